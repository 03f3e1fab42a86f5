"""An emulated BlueZ: a dbus-fast service that owns `org.bluez` on a private
system bus and follows BlueZ 5.66's D-Bus API (doc/adapter-api.txt,
device-api.txt, gatt-api.txt, agent-api.txt, battery-api.txt), behaving as
bluetoothd does where the documents leave it open, for what bleak and
bluetoothctl use:

- the ObjectManager on / (bus.py: InterfacesAdded/Removed from /, optional
  properties left out while absent);
- AgentManager1 on /org/bluez (RegisterAgent, RequestDefaultAgent,
  UnregisterAgent; one agent per client, released when the client leaves);
- Adapter1 on /org/bluez/hci0: discovery sessions per client with their
  filters, Powered/Alias/Discoverable/Pairable and the timeouts writable,
  RemoveDevice (the bond goes too);
- Device1: Connect (then the GATT objects appear and ServicesResolved),
  Disconnect, Pair (connects first when needed; Paired/Bonded), CancelPairing,
  Alias/Trusted/Blocked/WakeAllowed writable (a blocked device is
  disconnected and refused), Name and Appearance read from the GAP service
  after connecting as the gap plugin does (the GAP service itself is hidden);
- Battery1 on a device with a Battery Service, as the battery plugin does
  (read, subscribe, Percentage follows notifications);
- the GATT objects (gatt.py).
Like bluetoothd it keeps the key of a bonded ball and encrypts with it on
every connection, and raises the link's security when the ball answers
"insufficient authentication/encryption". Behind it is the emulated radio
(radio.py), which the ball's stand-in `bluetooth` module connects to.

Run as its own process, like bluetoothd:
  python -m ballsense.emulation.bluez --disconnect-every 9
prints `ready RADIO_PORT` once the ball may connect and bleak may scan."""
import argparse
import asyncio
import logging
import random
import signal
import sys

from dbus_fast import BusType, DBusError, Variant
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import dbus_method, dbus_property

from .bus import SENDER, BluezBus, Interface, error
from .gatt import CCCD, GattCharacteristic, GattDescriptor, GattService, Link
from .radio import Listener, Radio

HCI = "/org/bluez/hci0"
BALL_ADDRESS = "C0:FF:EE:BA:11:01"   # the stand-in's static random address
ADAPTER_ADDRESS = "00:AA:01:00:00:01"
R = PropertyAccess.READ
GAP_SERVICE = "00001800-0000-1000-8000-00805f9b34fb"   # claimed by the gap plugin: not exported
DEVICE_NAME = "00002a00-0000-1000-8000-00805f9b34fb"
APPEARANCE = "00002a01-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
CAPABILITIES = ("DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay")
log = logging.getLogger(__name__)
RSSI_THRESHOLD = 8   # dBm: BlueZ's delta threshold during discovery
_ADVERTISED = ("RSSI", "Name", "UUIDs", "ServiceData", "ManufacturerData", "TxPower", "Appearance")
_FILTER = {"UUIDs": "as", "RSSI": "n", "Pathloss": "q", "Transport": "s", "DuplicateData": "b",
           "Discoverable": "b", "Pattern": "s"}


def _invalid():
    return error("InvalidArguments", "Invalid arguments in method call")


def _sender():
    return SENDER.get()


class AgentManager(Interface):
    """org.bluez.AgentManager1: agents are noted (one per client); with Just
    Works pairing, the only kind modelled, BlueZ never needs to ask one."""

    def __init__(self):
        super().__init__("org.bluez.AgentManager1")
        self.agents = {}      # client -> (path, capability)
        self.default = None   # client whose agent is the default

    @dbus_method()
    def RegisterAgent(self, agent: "o", capability: "s"):
        client = _sender()
        if client in self.agents:
            raise error("AlreadyExists", "Already Exists")
        if capability and capability not in CAPABILITIES:
            raise _invalid()
        self.agents[client] = (agent, capability or "KeyboardDisplay")

    @dbus_method()
    def UnregisterAgent(self, agent: "o"):
        client = _sender()
        if self.agents.get(client, (None,))[0] != agent:
            raise error("DoesNotExist", "Does Not Exist")
        self.gone(client)

    @dbus_method()
    def RequestDefaultAgent(self, agent: "o"):
        client = _sender()
        if self.agents.get(client, (None,))[0] != agent:
            raise error("DoesNotExist", "Does Not Exist")
        self.default = client

    def gone(self, client):
        self.agents.pop(client, None)
        if self.default == client:
            self.default = None


class Adapter(Interface):
    def __init__(self, bz):
        super().__init__("org.bluez.Adapter1")
        self.bz = bz
        self.powered = True
        self.alias = None
        self.discoverable = False
        self.discoverable_timeout = 180
        self.pairable = True
        self.pairable_timeout = 0
        self.sessions = {}    # client -> discovery filter, while it discovers
        self.filters = {}     # client -> filter set before (or between) its discovery

    @property
    def discovering(self):
        return bool(self.sessions)

    def absent(self):
        return ("Modalias",)

    @dbus_property(access=R)
    def Address(self) -> "s":
        return ADAPTER_ADDRESS

    @dbus_property(access=R)
    def AddressType(self) -> "s":
        return "public"

    @dbus_property(access=R)
    def Name(self) -> "s":
        return "ballsense-emulated-hci0"

    @dbus_property()
    def Alias(self) -> "s":
        return self.alias or "ballsense-emulated-hci0"

    @Alias.setter
    def Alias(self, value: "s"):
        self.alias = value or None  # "" goes back to the system name
        self.changed({"Alias": self.Alias})

    @dbus_property(access=R)
    def Class(self) -> "u":
        return 0

    @dbus_property()
    def Powered(self) -> "b":
        return self.powered

    @Powered.setter
    def Powered(self, value: "b"):
        if value == self.powered:
            return
        self.powered = value
        if not value:
            self.bz.power_off()
        self.changed({"Powered": value})

    @dbus_property()
    def Discoverable(self) -> "b":
        return self.discoverable

    @Discoverable.setter
    def Discoverable(self, value: "b"):
        if not self.powered:
            raise error("NotReady", "Resource Not Ready")
        self.discoverable = value
        self.changed({"Discoverable": value})

    @dbus_property()
    def DiscoverableTimeout(self) -> "u":
        return self.discoverable_timeout

    @DiscoverableTimeout.setter
    def DiscoverableTimeout(self, value: "u"):
        self.discoverable_timeout = value
        self.changed({"DiscoverableTimeout": value})

    @dbus_property()
    def Pairable(self) -> "b":
        return self.pairable

    @Pairable.setter
    def Pairable(self, value: "b"):
        self.pairable = value
        self.changed({"Pairable": value})

    @dbus_property()
    def PairableTimeout(self) -> "u":
        return self.pairable_timeout

    @PairableTimeout.setter
    def PairableTimeout(self, value: "u"):
        self.pairable_timeout = value
        self.changed({"PairableTimeout": value})

    @dbus_property(access=R)
    def Discovering(self) -> "b":
        return self.discovering

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return []

    @dbus_property(access=R)
    def Modalias(self) -> "s":
        return ""

    @dbus_property(access=R)
    def Roles(self) -> "as":
        return ["central", "peripheral"]

    @dbus_method()
    def SetDiscoveryFilter(self, properties: "a{sv}"):
        filt = {}
        for k, v in properties.items():
            if _FILTER.get(k) != v.signature:
                raise _invalid()
            filt[k] = v.value
        if filt.get("Transport", "auto") not in ("auto", "le", "bredr"):
            raise _invalid()
        client = _sender()
        if client in self.sessions:
            self.sessions[client] = filt
        else:
            self.filters[client] = filt

    @dbus_method()
    def StartDiscovery(self):
        if not self.powered:
            raise error("NotReady", "Resource Not Ready")
        client = _sender()
        if client in self.sessions:
            raise error("InProgress", "Operation already in progress")
        self.sessions[client] = self.filters.pop(client, {})
        log.info("discovery started by %s (%d sessions)", client, len(self.sessions))
        if len(self.sessions) == 1:
            self.changed({"Discovering": True})
        # the first advertisement is heard a moment after the call returns, as with a real scan
        asyncio.get_running_loop().call_later(0.02, self.bz.seen)

    @dbus_method()
    def StopDiscovery(self):
        client = _sender()
        if client not in self.sessions:
            raise error("Failed", "No discovery started")
        self.end_session(client)

    def end_session(self, client):
        if client in self.sessions:
            log.info("discovery stopped by %s (%d sessions left)", client, len(self.sessions) - 1)
        if self.sessions.pop(client, None) is not None and not self.sessions:
            self.changed({"Discovering": False})
            self.bz.discovery_stopped()

    def gone(self, client):
        self.filters.pop(client, None)
        self.end_session(client)

    @dbus_method()
    async def RemoveDevice(self, device: "o"):
        dev = next((d for d in self.bz.devices.values() if d.path == device), None)
        if dev is None:
            raise error("DoesNotExist", "Does Not Exist")
        if not self.powered:
            raise error("NotReady", "Resource Not Ready")
        await self.bz.remove_device(dev)

    @dbus_method()
    def GetDiscoveryFilters(self) -> "as":
        return list(_FILTER)

    def matches(self, adv):
        """Would any discovery session report this advertisement (BlueZ merges the filters)?"""
        return any(_match(f, adv) for f in self.sessions.values())


def _match(f, adv):
    if f.get("Transport") == "bredr":
        return False
    uuids = [u.lower() for u in f.get("UUIDs", [])]
    if uuids and not set(uuids) & {u.lower() for u in adv["uuids"]}:
        return False
    pattern = f.get("Pattern", "")
    return not pattern or adv["address"].startswith(pattern) or (adv["name"] or "").startswith(pattern)


class Device(Interface):
    def __init__(self, bz, adv):
        super().__init__("org.bluez.Device1")
        self.bz = bz
        self.address = adv["address"]
        self.address_type = adv["address_type"]
        self.path = f"{HCI}/dev_{self.address.replace(':', '_')}"
        self.remote_name = None
        self.alias = None
        self.appearance = None
        self.adv_uuids = []
        self.gatt_uuids = []
        self.service_data = {}
        self.manufacturer = {}
        self.tx_power = None
        self.rssi = None
        self.connected = False
        self.resolved = False
        self.trusted = False
        self.blocked = False
        self.wake_allowed = False
        self.session_paired = False  # paired on this connection without a bond
        self.busy = None             # "connect" or "pair" while one runs
        self._heard = {}             # advertised properties as last signalled
        self._security = {"Paired": self.Paired, "Bonded": self.Bonded}
        self.advertised(adv)

    @property
    def key(self):
        return self.bz.keys.get(self.address)

    def absent(self):
        gone = []
        for prop, value in (("Name", self.remote_name), ("Appearance", self.appearance), ("RSSI", self.rssi),
                            ("TxPower", self.tx_power), ("ManufacturerData", self.manufacturer),
                            ("ServiceData", self.service_data)):
            if not value and value != 0:
                gone.append(prop)
        return gone

    @dbus_property(access=R)
    def Address(self) -> "s":
        return self.address

    @dbus_property(access=R)
    def AddressType(self) -> "s":
        return self.address_type

    @dbus_property(access=R)
    def Name(self) -> "s":
        return self.remote_name or ""

    @dbus_property()
    def Alias(self) -> "s":
        return self.alias or self.remote_name or self.address.replace(":", "-")

    @Alias.setter
    def Alias(self, value: "s"):
        self.alias = value or None  # "" goes back to the remote name
        self.changed({"Alias": self.Alias})

    @dbus_property(access=R)
    def Appearance(self) -> "q":
        return self.appearance or 0

    @dbus_property(access=R)
    def Paired(self) -> "b":
        return self.key is not None or self.session_paired

    @dbus_property(access=R)
    def Bonded(self) -> "b":
        return self.key is not None

    @dbus_property()
    def Trusted(self) -> "b":
        return self.trusted

    @Trusted.setter
    def Trusted(self, value: "b"):
        self.trusted = value
        self.changed({"Trusted": value})

    @dbus_property()
    def Blocked(self) -> "b":
        return self.blocked

    @Blocked.setter
    def Blocked(self, value: "b"):
        if value == self.blocked:
            return
        self.blocked = value
        if value and self.connected:
            self.bz.radio.disconnect()  # blocking drops the connection at once
        self.changed({"Blocked": value})

    @dbus_property()
    def WakeAllowed(self) -> "b":
        return self.wake_allowed

    @WakeAllowed.setter
    def WakeAllowed(self, value: "b"):
        self.wake_allowed = value
        self.changed({"WakeAllowed": value})

    @dbus_property(access=R)
    def LegacyPairing(self) -> "b":
        return False

    @dbus_property(access=R)
    def RSSI(self) -> "n":
        return self.rssi or 0

    @dbus_property(access=R)
    def TxPower(self) -> "n":
        return self.tx_power or 0

    @dbus_property(access=R)
    def Connected(self) -> "b":
        return self.connected

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return sorted(self.gatt_uuids) if self.resolved else list(self.adv_uuids)

    @dbus_property(access=R)
    def Adapter(self) -> "o":
        return HCI

    @dbus_property(access=R)
    def ManufacturerData(self) -> "a{qv}":
        return {k: Variant("ay", v) for k, v in self.manufacturer.items()}

    @dbus_property(access=R)
    def ServiceData(self) -> "a{sv}":
        return {k: Variant("ay", v) for k, v in self.service_data.items()}

    @dbus_property(access=R)
    def ServicesResolved(self) -> "b":
        return self.resolved

    # ---- methods ---------------------------------------------------------------

    @dbus_method()
    async def Connect(self):
        if self.connected:
            return
        if self.busy:
            raise error("InProgress", "In Progress")
        self.busy = "connect"
        try:
            await self.bz.connect(self)
        finally:
            self.busy = None

    @dbus_method()
    def Disconnect(self):
        if self.connected:
            self.bz.radio.disconnect()  # the radio reports back through on_disconnected

    @dbus_method()
    async def Pair(self):
        if self.busy == "pair":
            raise error("InProgress", "In Progress")
        if self.key is not None:
            raise error("AlreadyExists", "Already Exists")
        self.busy = "pair"
        try:
            if not self.connected:  # BlueZ connects first, then pairs
                try:
                    await self.bz.connect(self)
                except Exception:
                    raise error("ConnectionAttemptFailed", "Page Timeout") from None
            try:
                await self.bz.pair(self)
            except (ConnectionError, asyncio.TimeoutError):
                raise error("AuthenticationFailed", "Authentication Failed") from None
        finally:
            self.busy = None

    @dbus_method()
    def CancelPairing(self):
        raise error("DoesNotExist", "Does Not Exist")  # pairing here is over before a cancel could come

    # ---- what the daemon tells it -------------------------------------------------

    def advertised(self, adv):
        """An advertisement heard while discovering. Like BlueZ, only what
        changed is signalled, and RSSI only when it moved by the delta
        threshold (or is new in this discovery)."""
        self.remote_name = adv["name"] or self.remote_name
        self.appearance = adv["appearance"] if adv["appearance"] is not None else self.appearance
        self.adv_uuids = list(dict.fromkeys(self.adv_uuids + adv["uuids"]))
        self.service_data = dict(adv["service_data"]) or self.service_data
        self.manufacturer = dict(adv["manufacturer"]) or self.manufacturer
        self.tx_power = adv["tx_power"] if adv["tx_power"] is not None else self.tx_power
        rssi = -58 + random.randint(-4, 4)
        if self.rssi is None or abs(rssi - self.rssi) >= RSSI_THRESHOLD:
            self.rssi = rssi
        now = {k: getattr(self, k) for k in _ADVERTISED if k != "UUIDs" or not self.resolved}
        news = {k: v for k, v in now.items() if self._heard.get(k) != v}
        if "Name" in news and self.alias is None:
            news["Alias"] = self.Alias  # the alias follows the name until someone sets one
        self.changed(news)

    def changed(self, props, invalidated=()):
        # what clients last heard, however it changed (the GAP name read on connecting too),
        # so the next advertisement signals whatever differs from that
        self._heard.update({k: v for k, v in props.items() if k in _ADVERTISED})
        for k in invalidated:
            self._heard.pop(k, None)
        super().changed(props, invalidated)

    def discovery_ended(self):
        if self.rssi is not None:
            self.rssi = None
            self.changed({}, ["RSSI"])

    def named(self, name):
        """The GAP service's device name, read after connecting."""
        if name and name != self.remote_name:
            self.remote_name = name
            self.changed({"Name": name, **({} if self.alias else {"Alias": self.Alias})})

    def paired_changed(self):
        now = {"Paired": self.Paired, "Bonded": self.Bonded}
        self.changed({k: v for k, v in now.items() if self._security.get(k) != v})
        self._security = now

    def lost(self):
        if self.session_paired:
            self.session_paired = False  # no keys kept: not paired after this link
            self.paired_changed()
        if self.resolved or self.connected:
            self.connected = self.resolved = False
            self.changed({"ServicesResolved": False})
            self.changed({"Connected": False, "UUIDs": self.UUIDs})


class Battery(Interface):
    """org.bluez.Battery1, as the battery plugin exports it for a Battery Service."""

    def __init__(self, percentage):
        super().__init__("org.bluez.Battery1")
        self.percentage = percentage

    @dbus_property(access=R)
    def Percentage(self) -> "y":
        return self.percentage

    @dbus_property(access=R)
    def Source(self) -> "s":
        return "GATT Battery Service"

    def update(self, value):
        if value and value[0] <= 100 and value[0] != self.percentage:
            self.percentage = value[0]
            self.changed({"Percentage": self.percentage})


class BlueZ(Listener):
    """The daemon: owns org.bluez, turns radio events into D-Bus objects."""

    def __init__(self, bus, radio, keys=None):
        self.bus = bus
        self.radio = radio
        self.keys = dict(keys or {})   # address -> key of a bonded ball, kept across connections
        radio.listener = self
        self.agents = AgentManager()
        self.adapter = Adapter(self)
        self.devices = {}              # address -> Device
        self.link = Link(radio, self.raise_security)
        self.gatt = []                 # exported paths, in order
        self.chars = {}                # value handle -> GattCharacteristic
        self.battery = None
        self.current = None            # the connected Device
        self._tasks = set()
        bus.on_gone = self.client_gone

    def start(self):
        self.bus.export("/org/bluez", self.agents)
        self.bus.export(HCI, self.adapter)

    def client_gone(self, client):
        """A D-Bus client left: its agent, discovery and notification sessions end with it."""
        self.agents.gone(client)
        self.adapter.gone(client)
        for c in list(self.chars.values()):
            if client in c.sessions:
                self._spawn(c.end_session(client))

    def _spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)
        return t

    # ---- discovery ------------------------------------------------------------------

    def seen(self):
        """Discovery just started or the ball advertised: show it to the sessions that want it."""
        adv = self.radio.adv
        if adv is None or not self.adapter.powered or not self.adapter.matches(adv):
            return
        dev = self.devices.get(adv["address"])
        if dev is None:
            dev = self.devices[adv["address"]] = Device(self, adv)
            self.bus.export(dev.path, dev)
        else:
            dev.advertised(adv)

    def discovery_stopped(self):
        for dev in self.devices.values():
            dev.discovery_ended()

    async def advertise_loop(self, period=0.25):
        """While discovering, each advertisement the scanner hears updates RSSI."""
        while True:
            await asyncio.sleep(period)
            self.seen()

    # ---- connections --------------------------------------------------------------

    async def connect(self, dev):
        if not self.adapter.powered:
            raise error("NotReady", "Resource Not Ready")
        if dev.blocked:
            raise error("Failed", "Connection refused")
        adv = self.radio.adv
        if self.current is not None or (adv is not None and adv["address"] != dev.address):
            log.info("connect refused: linked to %s already, advertising %s", self.current and self.current.address,
                     adv and adv["address"])
            raise error("Failed", "Software caused connection abort")  # one link; that ball is elsewhere
        if not await self.radio.connect():
            log.info("connect: nobody answered (the ball is not advertising)")
            raise error("Failed", "Software caused connection abort")  # not advertising: nobody answered
        self.current = dev
        dev.connected = True
        dev.changed({"Connected": True})
        try:
            if dev.key is not None and not await self.radio.encrypt(dev.key):
                print("the ball refused our key (it forgot the bond): link left unencrypted", file=sys.stderr)
        except (ConnectionError, asyncio.TimeoutError):
            pass
        if self.current is not dev:  # the ball hung up already
            raise error("Failed", "Software caused connection abort")
        self.export_gatt(dev)
        dev.resolved = True
        dev.changed({"ServicesResolved": True, "UUIDs": dev.UUIDs})
        self._spawn(self.profiles(dev))

    async def pair(self, dev):
        """Pair with the connected ball; keep its key when both agreed to bond."""
        bonded, key = await self.radio.pair(bond=self.adapter.pairable)
        if bonded:
            self.keys[dev.address] = key
        dev.session_paired = not bonded
        dev.paired_changed()

    async def raise_security(self):
        """The ball said the link is not secure enough: encrypt with the kept
        key, or pair (BlueZ's ATT layer does this by itself). True when it worked."""
        dev = self.current
        if dev is None:
            return False
        try:
            if dev.key is not None:
                return await self.radio.encrypt(dev.key)
            await self.pair(dev)
        except (ConnectionError, asyncio.TimeoutError):
            return False
        return self.radio.encrypted

    async def remove_device(self, dev):
        """Adapter1.RemoveDevice: the device and its bond go."""
        self.keys.pop(dev.address, None)
        if dev.connected:
            self.radio.disconnect()
        self.forget(dev)

    def forget(self, dev):
        if self.devices.get(dev.address) is dev and not dev.connected:
            del self.devices[dev.address]
            self.bus.unexport(dev.path)

    def power_off(self):
        for client in list(self.adapter.sessions):
            self.adapter.end_session(client)
        self.radio.disconnect()

    # ---- the GATT database --------------------------------------------------------

    def export_gatt(self, dev):
        for suuid, start, _end, chars in self.radio.services:
            if suuid == GAP_SERVICE:
                continue  # claimed by the gap plugin
            spath = f"{dev.path}/service{start:04x}"
            self._export(spath, GattService(suuid, dev.path, start))
            for cuuid, decl, value, props, descs in chars:
                cpath = f"{spath}/char{decl:04x}"
                c = GattCharacteristic(self.link, cuuid, spath, value, props)
                self._export(cpath, c)
                self.chars[value] = c
                for duuid, dh in descs:
                    if duuid == CCCD:
                        c.cccd = dh
                    self._export(f"{cpath}/desc{dh:04x}", GattDescriptor(self.link, duuid, cpath, dh))
        dev.gatt_uuids = sorted({s[0] for s in self.radio.services})

    def _export(self, path, iface):
        self.bus.export(path, iface)
        self.gatt.append(path)

    def _find(self, uuid):
        return next(((h, p) for s in self.radio.services for u, _, h, p, _ in s[3] if u == uuid), (None, 0))

    async def profiles(self, dev):
        """What bluetoothd's gap and battery plugins do after a connection."""
        try:
            for uuid in (DEVICE_NAME, APPEARANCE):
                h, _ = self._find(uuid)
                if h is not None:
                    err, value = await self.radio.read(h)
                    if not err and uuid == DEVICE_NAME:
                        dev.named(value.decode(errors="replace"))
                    elif not err and len(value) == 2 and value != b"\x00\x00":
                        dev.appearance = int.from_bytes(value, "little")
                        dev.changed({"Appearance": dev.appearance})
            h, _ = self._find(BATTERY_LEVEL)
            c = self.chars.get(h)
            if c is not None and c.cccd is not None:
                err, value = await self.radio.read(h)
                if err or not value:
                    return
                await c.subscribe(True)
                c.internal = True
                self.battery = Battery(min(value[0], 100))
                c.on_value = self.battery.update
                self.bus.export(dev.path, self.battery)
        except (ConnectionError, asyncio.TimeoutError, DBusError):
            pass  # the link went while we asked, or the ball said no: nothing to show

    def _unexport_gatt(self, dev):
        if self.battery is not None:
            self.bus.unexport(dev.path, self.battery)
            self.battery = None
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
            c.notified(data)

    def on_security_request(self):
        if self.current is not None:
            self._spawn(self.raise_security())

    def on_disconnected(self):
        dev, self.current = self.current, None
        for t in list(self._tasks):
            t.cancel()
        if dev is not None:
            self._unexport_gatt(dev)
            dev.lost()

    def on_ball_gone(self):
        for dev in list(self.devices.values()):
            if dev.key is None:
                self.forget(dev)  # out of range for good: BlueZ forgets it (a bonded one it keeps)


async def serve(radio, ready=None, keys=None):
    """Run the emulated BlueZ on the system bus (DBUS_SYSTEM_BUS_ADDRESS) until cancelled."""
    bus = await BluezBus(bus_type=BusType.SYSTEM).connect()
    await bus.request_name("org.bluez")
    await bus.watch_clients()
    await radio.start()
    bz = BlueZ(bus, radio, keys)
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
    p.add_argument("--bond-address", default=BALL_ADDRESS, help="that ball's address")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)d %(message)s", stream=sys.stderr)
    keys = {a.bond_address.upper(): bytes.fromhex(a.bond_key)} if a.bond_key else {}
    radio = Radio(a.interval_ms, a.per_event, a.disconnect_every, a.supervision_ms, drop_jitter=a.drop_jitter)

    async def run():
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await serve(radio, lambda port: print(f"ready {port}", flush=True), keys)

    try:
        asyncio.run(run())
    except (asyncio.CancelledError, KeyboardInterrupt):
        pass
    print(f"radio: delivered {radio.delivered}, lost {radio.lost}, drops {radio.drops}", file=sys.stderr)


if __name__ == "__main__":
    main()
