"""The central halves of the pinned multitests, written once with bleak: each
follows the test's instance1 step for step and prints what that instance
prints, the values coming from the link (reads, notifications, what BlueZ
reports), so its output can be compared with the .exp file like the
peripheral's.

Where BlueZ cannot do what MicroPython's own central does, the central does
the BlueZ way and DIFFERS says which .exp lines that changes, and why:
- BlueZ hands a notification to D-Bus only inside a notify session
  (StartNotify, which writes the CCCD), so these centrals open one where
  MicroPython's central just listens; notifications sent to a central that
  has not subscribed never show;
- on a characteristic with both notify and indicate, StartNotify always asks
  for notifications: a central cannot subscribe for indications;
- BlueZ keeps the GAP service to itself (the device name is Device1.Name,
  read by its gap plugin on each connection);
- BlueZ caches every read in Value and signals it, so a read looks like one
  more notification to a subscribed client (reads drain the inbox)."""
import asyncio

from bleak import BleakClient, BleakScanner
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

A5 = "a5a5a5a5-ffff-9999-1111-5a5a5a5a5a5a"
_BASE = "-0000-1000-8000-00805f9b34fb"


def mp_uuid(u):
    """bleak's UUID string -> how MicroPython prints the UUID."""
    u = u.lower()
    if u.endswith(_BASE):
        v = int(u[:8], 16)
        return f"UUID(0x{v:04x})" if v <= 0xFFFF else f"UUID(0x{v:08x})"
    return f"UUID('{u}')"


def mp_sorted(uuids):
    """sorted() of MicroPython UUIDs: by size, then their little-endian bytes."""
    def key(u):
        u = u.lower()
        if u.endswith(_BASE):
            v = int(u[:8], 16)
            return (2, v.to_bytes(2, "little")) if v <= 0xFFFF else (4, v.to_bytes(4, "little"))
        return (16, bytes.fromhex(u.replace("-", ""))[::-1])
    return "[" + ", ".join(mp_uuid(u) for u in sorted(uuids, key=key)) + "]"


class Inbox:
    """Notifications of one characteristic, in order."""

    def __init__(self):
        self.q = asyncio.Queue()

    def __call__(self, _char, data):
        self.q.put_nowait(bytes(data))

    async def get(self, timeout=5):
        return await asyncio.wait_for(self.q.get(), timeout)

    def drain(self):
        got = []
        while not self.q.empty():
            got.append(self.q.get_nowait())
        return got


async def connect(s, disconnected=None):
    dev = await BleakScanner.find_device_by_address(s.address, timeout=10)
    assert dev is not None, f"{s.address} was not heard"
    c = BleakClient(dev, disconnected_callback=(lambda _c: disconnected.set()) if disconnected else None)
    await c.connect()
    return c


async def gap_connect(s):
    """The central's connect, as the multitest prints it on both halves."""
    s.print("gap_connect")
    c = await connect(s)
    s.print("_IRQ_PERIPHERAL_CONNECT")
    return c


async def gap_disconnect(s, c):
    await c.disconnect()
    s.print("gap_disconnect:", True)
    s.print("_IRQ_PERIPHERAL_DISCONNECT")


async def connected_states(address, n, timeout=5):
    """Device1.Connect, then the first n values Device1.Connected takes."""
    path = "/org/bluez/hci0/dev_" + address.replace(":", "_")
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    states = []
    got = asyncio.Event()

    def on_message(msg):
        if msg.member == "PropertiesChanged" and msg.path == path and msg.body[0] == "org.bluez.Device1":
            if "Connected" in msg.body[1]:
                states.append(msg.body[1]["Connected"].value)
                if len(states) >= n:
                    got.set()
    try:
        bus.add_message_handler(on_message)
        await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                               interface="org.freedesktop.DBus", member="AddMatch", signature="s",
                               body=[f"type='signal',interface='org.freedesktop.DBus.Properties',path='{path}'"]))
        await bus.call(Message(destination="org.bluez", path=path, interface="org.bluez.Device1", member="Connect"))
        await asyncio.wait_for(got.wait(), timeout)
        return states[:n]
    finally:
        bus.disconnect()


async def read(c, char, inbox=None):
    v = bytes(await c.read_gatt_char(char))
    if inbox is not None:
        inbox.drain()  # BlueZ's echo of the read, not a notification
    return v


def char_of(c, service, uuid):
    return c.services.get_service(service).get_characteristic(uuid)


async def device_property(address, name):
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        reply = await bus.call(Message(destination="org.bluez", path="/org/bluez/hci0/dev_" + address.replace(":", "_"),
                                       interface="org.freedesktop.DBus.Properties", member="Get", signature="ss",
                                       body=["org.bluez.Device1", name]))
        return None if reply.message_type == MessageType.ERROR else reply.body[0].value  # absent: no such property
    finally:
        bus.disconnect()


async def remove_devices():
    """Adapter1.RemoveDevice for every device BlueZ knows: the next test starts clean."""
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        reply = await bus.call(Message(destination="org.bluez", path="/", interface="org.freedesktop.DBus.ObjectManager",
                                       member="GetManagedObjects"))
        for path, ifaces in reply.body[0].items():
            if "org.bluez.Device1" in ifaces:
                await bus.call(Message(destination="org.bluez", path="/org/bluez/hci0", interface="org.bluez.Adapter1",
                                       member="RemoveDevice", signature="o", body=[path]))
    finally:
        bus.disconnect()


# ---- micropython-lib aioble multitests ----------------------------------------

AIOBLE_CHAR = "00000000-1111-2222-3333-444444444444"


async def aioble_ble_characteristic(s):
    s.print("connect")
    c = await connect(s)
    svc = c.services.get_service(A5)
    s.print("service", mp_uuid(svc.uuid))
    ch = svc.get_characteristic(AIOBLE_CHAR)
    s.print("characteristic", mp_uuid(ch.uuid))
    inbox = Inbox()
    await c.start_notify(ch, inbox)
    s.print("read", await read(c, ch, inbox))
    for value, kind in (("central0", "notified"), ("central1", "notified"), ("central2", "indicated")):
        s.print("write")
        await c.write_gatt_char(ch, value.encode(), response=True)
        s.print(kind, await inbox.get())
        s.print("read", await read(c, ch, inbox))
    s.print("disconnect")
    await c.disconnect()
    s.print("disconnected")


async def aioble_ble_notify(s):
    s.print("connect")
    c = await connect(s)
    svc = c.services.get_service(A5)
    s.print("service", mp_uuid(svc.uuid))
    ch = svc.get_characteristic(AIOBLE_CHAR)
    s.print("characteristic", mp_uuid(ch.uuid))
    inbox = Inbox()

    async def none_within(t):
        try:
            await inbox.get(t)
            return False
        except asyncio.TimeoutError:
            return True

    s.broadcast("discovery")
    s.print("no notification" if await none_within(0.5) else "fail")
    await c.start_notify(ch, inbox)
    s.broadcast("subscribed")
    s.print("notified", await inbox.get())
    await c.stop_notify(ch)
    s.broadcast("unsubscribed")
    s.print("no notification" if await none_within(0.5) else "fail")
    await c.start_notify(ch, inbox)  # DIFFERS: BlueZ needs a session to hand direct notifications on
    s.broadcast("start-direct")
    for _ in range(5):
        await s.wait("notified")
        await asyncio.sleep(0.2)
        got = inbox.drain() or [await inbox.get()]
        s.print("notified", got[-1])  # aioble's notified() keeps the latest value
        if not await none_within(0.1):
            s.print("unexpected notify")
        s.broadcast("next")
    s.print("disconnect")
    await c.disconnect()
    s.print("disconnected")


async def aioble_ble_descriptor(s):
    s.print("connect")
    c = await connect(s)
    svc = c.services.get_service(A5)
    s.print("service", mp_uuid(svc.uuid))
    s.print("found", mp_sorted([ch.uuid for ch in svc.characteristics]))

    def descs(name, uuid):
        ch = svc.get_characteristic(uuid)
        s.print(name, mp_uuid(ch.uuid))
        s.print(f"{name} descs", mp_sorted([d.uuid for d in ch.descriptors]))
        return {d.uuid: d for d in ch.descriptors}

    d1 = descs("char1", AIOBLE_CHAR)
    for n in (5, 6):
        d = d1[f"00000000-1111-2222-3333-44444444444{n}"]
        s.print(f"char1 desc{n - 4}", mp_uuid(d.uuid))
        s.print("read", bytes(await c.read_gatt_descriptor(d)))
    s.print("write")
    await c.write_gatt_descriptor(d, b"update")
    descs("char2", "00000000-1111-2222-3333-555555555555")
    d3 = descs("char3", "00000000-1111-2222-3333-666666666666")
    d = d3["00000000-1111-2222-3333-666666666667"]
    s.print("char3 desc1", mp_uuid(d.uuid))
    s.print("read", bytes(await c.read_gatt_descriptor(d)))
    s.print("disconnect")
    await c.disconnect()
    s.print("disconnected")


async def aioble_ble_write_order(s):
    s.print("connect")
    c = await connect(s)
    svc = c.services.get_service(A5)
    s.print("service", mp_uuid(svc.uuid))
    first = svc.get_characteristic(AIOBLE_CHAR)
    second = svc.get_characteristic("00000000-1111-2222-3333-555555555555")
    s.print("characteristic", mp_uuid(first.uuid), mp_uuid(second.uuid))
    for tag, order in (("c", (first, second)), ("r", (second, first))):
        for i in range(5):
            s.print(f"write {tag}{i}")
            for ch in order:
                await c.write_gatt_char(ch, f"{tag}{i}".encode(), response=True)
            await asyncio.sleep(0.3)
    await c.disconnect()


async def aioble_ble_advertise_services(s):
    found = asyncio.Event()
    services = []

    def heard(dev, adv):
        if dev.address == s.address and adv.service_uuids and not found.is_set():
            services.extend(adv.service_uuids)
            found.set()

    async with BleakScanner(heard):
        await asyncio.wait_for(found.wait(), 5)
    s.print("[" + ", ".join(mp_uuid(u) for u in services) + "]")
    s.print("connect")
    c = await connect(s)
    s.print("disconnect")
    await c.disconnect()


# ---- MicroPython tests/multi_bluetooth ------------------------------------------

MP_CHAR = "00000000-1111-2222-3333-444444444444"


async def ble_gap_connect(s):
    c = await gap_connect(s)
    await gap_disconnect(s, c)
    # the peripheral hangs up as soon as we are connected, before bleak would
    # have the services: watch Device1.Connected instead, as MicroPython's IRQs do
    await BleakScanner.find_device_by_address(s.address, timeout=10)
    s.print("gap_connect")
    for state in await connected_states(s.address, 2):
        s.print("_IRQ_PERIPHERAL_CONNECT" if state else "_IRQ_PERIPHERAL_DISCONNECT")


async def ble_characteristic(s):
    await s.wait("peripheral:adv")
    c = await gap_connect(s)
    ch = char_of(c, A5, MP_CHAR)
    s.print("_IRQ_GATTC_CHARACTERISTIC_RESULT", mp_uuid(ch.uuid))
    s.print("_IRQ_GATTC_CHARACTERISTIC_DONE")
    inbox = Inbox()
    await c.start_notify(ch, inbox)  # DIFFERS (silently: the CCCD write shows nowhere)

    async def gattc_read():
        s.print("gattc_read")
        s.print("_IRQ_GATTC_READ_RESULT", await read(c, ch, inbox))
        s.print("_IRQ_GATTC_READ_DONE", 0)

    await gattc_read()
    for value, irq in (("central0", "NOTIFY"), ("central1", "NOTIFY"), ("central2", "INDICATE")):
        s.print("gattc_write")
        await c.write_gatt_char(ch, value.encode(), response=True)
        s.print("_IRQ_GATTC_WRITE_DONE", 0)
        s.print(f"_IRQ_GATTC_{irq}", await inbox.get())
        await gattc_read()
    await c.write_gatt_char(ch, b"central3", response=False)
    s.print("_IRQ_GATTC_NOTIFY", await inbox.get())
    await gap_disconnect(s, c)


async def ble_gap_device_name(s):
    for i in range(2):
        await s.wait(f"peripheral:adv:{i}")
        before = await device_property(s.address, "Name") if i else None
        c = await gap_connect(s)
        s.print("gattc_read")
        name = None
        for _ in range(40):  # the gap plugin reads it just after connecting
            name = await device_property(s.address, "Name")
            if name and name != before:
                break
            await asyncio.sleep(0.05)
        s.print("_IRQ_GATTC_READ_RESULT", (name or "").encode())
        await gap_disconnect(s, c)


async def ble_subscribe(s):
    c = await gap_connect(s)
    ch = char_of(c, A5, MP_CHAR)
    s.print("_IRQ_GATTC_CHARACTERISTIC_RESULT", mp_uuid(ch.uuid))
    s.print("_IRQ_GATTC_CHARACTERISTIC_DONE")
    cccd = [d for d in ch.descriptors if d.uuid.startswith("00002902")]
    s.print("_IRQ_GATTC_DESCRIPTOR_RESULT", mp_uuid(cccd[0].uuid))
    s.print("_IRQ_GATTC_DESCRIPTOR_DONE")
    inbox = Inbox()
    s.print("gattc_read")
    s.print("_IRQ_GATTC_READ_RESULT", await read(c, ch))
    s.print("_IRQ_GATTC_READ_DONE", 0)

    async def step(value, tag):
        s.print("gattc_write")
        await c.write_gatt_char(ch, value, response=True)
        s.print("_IRQ_GATTC_WRITE_DONE", 0)
        await s.wait(tag)
        for v in inbox.drain():
            s.print("_IRQ_GATTC_NOTIFY", v)

    await step(b"central0", "A")
    await c.start_notify(ch, inbox)          # CCCD <- notify
    s.print("_IRQ_GATTC_WRITE_DONE", 0)
    await step(b"central1", "B")
    await step(b"central2", "C")             # DIFFERS: no way to ask for indications instead
    await c.stop_notify(ch)                  # CCCD <- 0
    s.print("_IRQ_GATTC_WRITE_DONE", 0)
    await step(b"central3", "D")
    await gap_disconnect(s, c)


async def ble_gatt_data_transfer(s):
    c = await gap_connect(s)
    svc = c.services.get_service("00000001-1111-2222-3333-444444444444")
    ctrl, rx, tx = (svc.get_characteristic(f"0000000{n}-1111-2222-3333-444444444444") for n in (2, 3, 4))
    for ch in (ctrl, rx, tx):
        s.print("_IRQ_GATTC_CHARACTERISTIC_RESULT", mp_uuid(ch.uuid))
    s.print("_IRQ_GATTC_CHARACTERISTIC_DONE")
    inbox = Inbox()
    for ch in (ctrl, tx):
        await c.start_notify(ch, inbox)
    for i in range(4):
        s.print("gattc_write")
        await c.write_gatt_char(rx, f"central{i}".encode(), response=bool(i & 1))
        if i & 1:
            s.print("_IRQ_GATTC_WRITE_DONE", 0)
        await asyncio.sleep(0.4)
    await c.write_gatt_char(ctrl, b"OK", response=True)
    s.print("_IRQ_GATTC_WRITE_DONE", 0)
    while (v := await inbox.get()) != b"OK":
        s.print("_IRQ_GATTC_NOTIFY", v)
    s.print("_IRQ_GATTC_NOTIFY", v)
    await gap_disconnect(s, c)


async def ble_gap_pair(s):
    c = await gap_connect(s)
    ch = char_of(c, A5, MP_CHAR)
    s.print("_IRQ_GATTC_CHARACTERISTIC_RESULT", mp_uuid(ch.uuid))
    s.print("_IRQ_GATTC_CHARACTERISTIC_DONE")
    s.print("gap_pair")
    await c.pair()
    paired = await device_property(s.address, "Paired")
    bonded = await device_property(s.address, "Bonded")
    # BlueZ does not say whether the link is authenticated: Just Works, the only pairing here, never is
    s.print("_IRQ_ENCRYPTION_UPDATE", int(paired), 0, int(bonded))
    s.print("gattc_read")
    s.print("_IRQ_GATTC_READ_RESULT", await read(c, ch))
    await gap_disconnect(s, c)


ble_gap_pair_bond = ble_gap_pair


async def ble_gattc_discover_services(s):
    c = await gap_connect(s)
    wanted = {"0000180d" + _BASE, A5}  # what the test's irq handler counts
    found = [sv.uuid for sv in sorted(c.services, key=lambda sv: sv.handle) if sv.uuid in wanted]  # in handle order
    for u in found:
        s.print("_IRQ_GATTC_SERVICE_RESULT", mp_uuid(u))
    s.print("_IRQ_GATTC_SERVICE_DONE")
    s.print("discovered:", len(found))
    await gap_disconnect(s, c)


async def ble_irq_calls(s):
    c = await connect(s)
    ch = char_of(c, A5, "a5a5a5a5-eeee-9999-1111-5a5a5a5a5a5a")
    await c.start_notify(ch, Inbox())  # the CCCD write
    for _ in range(2):
        s.print("gattc_read result:", await read(c, ch))
    await c.disconnect()


def _without(*lines):
    """An .exp edit: drop the first occurrence of each line, each after the one before."""
    def edit(exp):
        exp, at = list(exp), 0
        for line in lines:
            at = exp.index(line, at)
            del exp[at]
        return exp
    return edit


def _subscribe(exp):
    exp = _without("_IRQ_GATTC_NOTIFY b'periph2'",        # a forced notify before subscribing
                   "_IRQ_GATTC_NOTIFY b'periph10'")(exp)  # a forced notify after unsubscribing
    at = exp.index("_IRQ_GATTC_NOTIFY b'periph5'") + 1
    assert exp[at] == "_IRQ_GATTC_WRITE_DONE 0"
    del exp[at]                                           # the CCCD write asking for indications
    return exp


# what of instance1's .exp a BlueZ central cannot reproduce (see the docstring)
DIFFERS = {
    "ble_subscribe": _subscribe,
    "ble_gap_device_name": _without("gattc_discover_characteristics",
                                    "_IRQ_GATTC_CHARACTERISTIC_RESULT UUID(0x2a00)",
                                    "_IRQ_GATTC_CHARACTERISTIC_DONE"),  # the GAP service is BlueZ's own
}
# tests whose central is MicroPython-internal (deep calls in the irq handler): only some of its lines
CENTRAL_LINES = {"ble_irq_calls": lambda line: line.startswith("gattc_read result:")}
