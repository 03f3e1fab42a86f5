"""An emulated BlueZ: a dbus-fast service that owns `org.bluez` on a private
system bus and implements the part of BlueZ's documented D-Bus API that
bleak's BlueZ backend uses (ObjectManager on /, Adapter1 discovery, Device1
Connect/Disconnect/ServicesResolved, Device1.Pair with Paired/Bonded/Trusted,
GattService1, GattCharacteristic1 with StartNotify/StopNotify/ReadValue/
WriteValue and notifications as `Value` PropertiesChanged). Like bluetoothd it
keeps the key of a bonded ball and encrypts with it on every connection, and
when a write is refused for insufficient encryption it pairs and retries. Behind it is the emulated radio (radio.py), which the
ball's stand-in `bluetooth` module connects to.

Run as its own process, like bluetoothd:
  python -m ballsense.emulation.bluez --disconnect-every 9
prints `ready RADIO_PORT` once the ball may connect and bleak may scan."""
import argparse
import asyncio
import random
import signal
import sys

from dbus_fast import BusType, DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from .radio import Radio, Listener, InsufficientEncryption

HCI = "/org/bluez/hci0"
BALL_ADDRESS = "C0:FF:EE:BA:11:01"
ADAPTER_ADDRESS = "00:AA:01:00:00:01"
R = PropertyAccess.READ
_FLAGS = ((0x0002, "read"), (0x0004, "write-without-response"), (0x0008, "write"),
          (0x0010, "notify"), (0x0020, "indicate"))


def _failed(msg):
    return DBusError("org.bluez.Error.Failed", msg)


class Adapter(ServiceInterface):
    def __init__(self, bz):
        super().__init__("org.bluez.Adapter1")
        self.bz = bz
        self.discovering = False

    @dbus_property(access=R)
    def Address(self) -> "s":
        return ADAPTER_ADDRESS

    @dbus_property(access=R)
    def AddressType(self) -> "s":
        return "public"

    @dbus_property(access=R)
    def Name(self) -> "s":
        return "ballsense-emulated-hci0"

    @dbus_property(access=R)
    def Alias(self) -> "s":
        return "ballsense-emulated-hci0"

    @dbus_property(access=R)
    def Powered(self) -> "b":
        return True

    @dbus_property(access=R)
    def Discovering(self) -> "b":
        return self.discovering

    @dbus_property(access=R)
    def Roles(self) -> "as":
        return ["central", "peripheral"]

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return []

    @dbus_method()
    def SetDiscoveryFilter(self, filt: "a{sv}"):
        pass  # one ball in the room: nothing to filter

    @dbus_method()
    def StartDiscovery(self):
        self.discovering = True
        self.emit_properties_changed({"Discovering": True})
        self.bz.seen()

    @dbus_method()
    def StopDiscovery(self):
        self.discovering = False
        self.emit_properties_changed({"Discovering": False})

    @dbus_method()
    def RemoveDevice(self, path: "o"):
        self.bz.remove_device()

    @dbus_method()
    def GetDiscoveryFilters(self) -> "as":
        return ["UUIDs", "RSSI", "Transport", "DuplicateData"]


class Device(ServiceInterface):
    def __init__(self, bz, adv):
        super().__init__("org.bluez.Device1")
        self.bz = bz
        self.adv = adv
        self.rssi = -58
        self.connected = False
        self.resolved = False
        self.trusted = False
        self.session_paired = False  # paired on this connection without a bond

    @dbus_property(access=R)
    def Address(self) -> "s":
        return BALL_ADDRESS

    @dbus_property(access=R)
    def AddressType(self) -> "s":
        return "random"

    @dbus_property(access=R)
    def Name(self) -> "s":
        return self.adv["name"] or ""

    @dbus_property(access=R)
    def Alias(self) -> "s":
        return self.adv["name"] or BALL_ADDRESS.replace(":", "-")

    @dbus_property(access=R)
    def Adapter(self) -> "o":
        return HCI

    @dbus_property(access=R)
    def Connected(self) -> "b":
        return self.connected

    @dbus_property(access=R)
    def ServicesResolved(self) -> "b":
        return self.resolved

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return list(self.adv["uuids"])

    @dbus_property(access=R)
    def RSSI(self) -> "n":
        return self.rssi

    @dbus_property(access=R)
    def Paired(self) -> "b":
        return self.bz.key is not None or self.session_paired

    @dbus_property(access=R)
    def Bonded(self) -> "b":
        return self.bz.key is not None

    @dbus_property()
    def Trusted(self) -> "b":
        return self.trusted

    @Trusted.setter
    def Trusted(self, value: "b"):
        self.trusted = value

    @dbus_property(access=R)
    def Blocked(self) -> "b":
        return False

    @dbus_property(access=R)
    def LegacyPairing(self) -> "b":
        return False

    @dbus_property(access=R)
    def ManufacturerData(self) -> "a{qv}":
        return {k: Variant("ay", v) for k, v in self.adv["manufacturer"].items()}

    @dbus_property(access=R)
    def ServiceData(self) -> "a{sv}":
        return {k: Variant("ay", v) for k, v in self.adv["service_data"].items()}

    @dbus_method()
    async def Connect(self):
        if self.connected:
            return
        if not await self.bz.radio.connect():
            raise _failed("Software caused connection abort")  # not advertising: nobody answered
        self.connected = True
        self.emit_properties_changed({"Connected": True})
        if self.bz.key is not None and not await self.bz.radio.encrypt(self.bz.key):
            print("the ball refused our key (it forgot the bond): link left unencrypted", file=sys.stderr)
        self.bz.export_gatt()
        self.resolved = True
        self.emit_properties_changed({"ServicesResolved": True})

    @dbus_method()
    async def Pair(self):
        if not self.connected:
            await self.Connect()
        try:
            await self.bz.pair()
        except (ConnectionError, asyncio.TimeoutError):
            raise DBusError("org.bluez.Error.AuthenticationFailed", "Authentication Failed") from None

    @dbus_method()
    def CancelPairing(self):
        pass  # pairing is quick here: nothing left to cancel

    def paired_changed(self):
        self.emit_properties_changed({"Paired": self.Paired, "Bonded": self.Bonded})

    @dbus_method()
    def Disconnect(self):
        self.bz.radio.disconnect()  # the radio reports back through on_disconnected

    def advertised(self, adv):
        """A fresh advertisement while discovering: new data, new RSSI."""
        self.adv = adv
        self.rssi = -58 + random.randint(-4, 4)
        self.emit_properties_changed({"RSSI": self.rssi, "Name": self.Name, "UUIDs": self.UUIDs,
                                      "ServiceData": self.ServiceData})

    def lost(self):
        if self.session_paired:
            self.session_paired = False  # no keys kept: not paired after this link
            self.paired_changed()
        if self.resolved or self.connected:
            self.connected = self.resolved = False
            self.emit_properties_changed({"ServicesResolved": False})
            self.emit_properties_changed({"Connected": False})


class GattService(ServiceInterface):
    def __init__(self, uuid, device_path, handle):
        super().__init__("org.bluez.GattService1")
        self.uuid, self.device_path, self.handle = uuid, device_path, handle

    @dbus_property(access=R)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=R)
    def Device(self) -> "o":
        return self.device_path

    @dbus_property(access=R)
    def Primary(self) -> "b":
        return True

    @dbus_property(access=R)
    def Handle(self) -> "q":
        return self.handle


class GattCharacteristic(ServiceInterface):
    def __init__(self, bz, uuid, service_path, handle, flags):
        super().__init__("org.bluez.GattCharacteristic1")
        self.bz, self.uuid, self.service_path, self.handle = bz, uuid, service_path, handle
        self.flags = [name for bit, name in _FLAGS if flags & bit]
        self.value = b""
        self.notifying = False

    @dbus_property(access=R)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=R)
    def Service(self) -> "o":
        return self.service_path

    @dbus_property(access=R)
    def Value(self) -> "ay":
        return self.value

    @dbus_property(access=R)
    def Notifying(self) -> "b":
        return self.notifying

    @dbus_property(access=R)
    def Flags(self) -> "as":
        return self.flags

    @dbus_property(access=R)
    def Handle(self) -> "q":
        return self.handle

    @dbus_property(access=R)
    def MTU(self) -> "q":
        return self.bz.radio.mtu

    @dbus_method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        if not self.bz.radio.alive:
            raise _failed("Not connected")
        self.value = bytes(self.bz.radio.read(self.handle))
        return self.value

    @dbus_method()
    async def WriteValue(self, value: "ay", options: "a{sv}"):
        try:
            try:
                self.bz.radio.write(self.handle, value)
            except InsufficientEncryption:
                await self.bz.pair()  # bluetoothd raises the security level and retries
                self.bz.radio.write(self.handle, value)
        except (ConnectionError, asyncio.TimeoutError):
            raise _failed("Not connected") from None

    @dbus_method()
    def StartNotify(self):
        if "notify" not in self.flags:
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        self.notifying = True
        self.emit_properties_changed({"Notifying": True})

    @dbus_method()
    def StopNotify(self):
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})

    def notify(self, data):
        self.value = bytes(data)
        if self.notifying:
            self.emit_properties_changed({"Value": self.value})


class BlueZ(Listener):
    """The daemon: owns org.bluez, turns radio events into D-Bus objects."""

    def __init__(self, bus, radio, key=None):
        self.bus = bus
        self.radio = radio
        self.key = key     # the bonded ball's key, kept across connections
        radio.listener = self
        self.adapter = Adapter(self)
        self.device = None
        self.dev_path = f"{HCI}/dev_{BALL_ADDRESS.replace(':', '_')}"
        self.gatt = []     # exported (path, interface)
        self.chars = {}    # value handle -> GattCharacteristic

    def start(self):
        self.bus.export(HCI, self.adapter)

    def seen(self):
        """Discovery just started or the ball advertised: show it."""
        adv = self.radio.adv
        if adv is None or not self.adapter.discovering:
            return
        if self.device is None:
            self.device = Device(self, adv)
            self.bus.export(self.dev_path, self.device)
        else:
            self.device.advertised(adv)

    async def pair(self):
        """Pair with the connected ball; keep its key when it agreed to bond."""
        bonded, key = await self.radio.pair(bond=True)
        if bonded:
            self.key = key
        if self.device is not None:
            self.device.session_paired = not bonded
            self.device.paired_changed()

    def remove_device(self):
        """Adapter1.RemoveDevice: the device and its bond go."""
        self.key = None
        self.forget_device()

    def forget_device(self):
        if self.device is not None and not self.device.connected:
            self.bus.unexport(self.dev_path)
            self.device = None

    def export_gatt(self):
        for i, (suuid, chars) in enumerate(self.radio.services):
            shandle = min(c[2] for c in chars) - 2 if chars else i + 1
            spath = f"{self.dev_path}/service{shandle:04x}"
            s = GattService(suuid, self.dev_path, shandle)
            self.bus.export(spath, s)
            self.gatt.append(spath)
            for cuuid, flags, h in chars:
                cpath = f"{spath}/char{h - 1:04x}"  # BlueZ names a characteristic by its declaration
                c = GattCharacteristic(self, cuuid, spath, h, flags)
                self.bus.export(cpath, c)
                self.gatt.append(cpath)
                self.chars[h] = c

    def _unexport_gatt(self):
        for path in reversed(self.gatt):
            self.bus.unexport(path)
        self.gatt = []
        self.chars = {}

    # ---- radio events -----------------------------------------------------

    def on_advertising(self, adv):
        if adv is not None:
            self.seen()

    def on_notify(self, handle, data):
        c = self.chars.get(handle)
        if c is not None:
            c.notify(data)

    def on_disconnected(self):
        self._unexport_gatt()
        if self.device is not None:
            self.device.lost()

    def on_ball_gone(self):
        if self.key is None:
            self.forget_device()  # out of range for good: BlueZ forgets it (a bonded one it keeps)

    async def advertise_loop(self, period=0.25):
        """While discovering, each advertisement the scanner hears updates RSSI."""
        while True:
            await asyncio.sleep(period)
            self.seen()


async def serve(radio, ready=None, key=None):
    """Run the emulated BlueZ on the system bus (DBUS_SYSTEM_BUS_ADDRESS) until cancelled."""
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    await bus.request_name("org.bluez")
    await radio.start()
    bz = BlueZ(bus, radio, key)
    bz.start()
    adv = asyncio.create_task(bz.advertise_loop())
    if ready:
        ready(radio.port)
    try:
        await asyncio.Event().wait()
    finally:
        adv.cancel()
        await radio.stop()
        bus.disconnect()


def main(argv=None):
    p = argparse.ArgumentParser(description="emulated BlueZ + radio for the emulated ball")
    p.add_argument("--interval-ms", type=float, default=15)
    p.add_argument("--per-event", type=int, default=4)
    p.add_argument("--disconnect-every", type=float, default=0)
    p.add_argument("--supervision-ms", type=float, default=500)
    p.add_argument("--drop-jitter", type=float, default=0, help="random spread of the drop interval, 0..1")
    p.add_argument("--bond-key", default="", help="hex key of a ball bonded earlier")
    a = p.parse_args(argv)
    key = bytes.fromhex(a.bond_key) if a.bond_key else None
    radio = Radio(a.interval_ms, a.per_event, a.disconnect_every, a.supervision_ms, drop_jitter=a.drop_jitter)

    async def run():
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await serve(radio, lambda port: print(f"ready {port}", flush=True), key)

    try:
        asyncio.run(run())
    except (asyncio.CancelledError, KeyboardInterrupt):
        pass
    print(f"radio: delivered {radio.delivered}, lost {radio.lost}, drops {radio.drops}", file=sys.stderr)


if __name__ == "__main__":
    main()
