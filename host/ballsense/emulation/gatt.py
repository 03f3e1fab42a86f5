"""The remote GATT objects of the emulated BlueZ (doc/gatt-api.txt, BlueZ
5.66; behaviour as src/gatt-client.c): GattService1, GattCharacteristic1,
GattDescriptor1, exported under the device as serviceXXXX/charYYYY/descZZZZ
(XXXX the service's first handle, YYYY the characteristic's declaration
handle, ZZZZ the descriptor's handle).

- ReadValue honours "offset" (ATT read blob); every read updates the cached
  Value and emits it, as BlueZ does (a client with a notification session
  sees a read as one more notification).
- WriteValue picks the procedure the way BlueZ does: "type" request/command/
  reliable if given, otherwise a write request when the characteristic has
  the write property, a write command when it has write-without-response, and
  NotSupported (nothing sent) when it has neither.
- An ATT error from the ball becomes BlueZ's D-Bus error (create_gatt_dbus_error);
  "insufficient authentication/encryption" first raises the link's security
  (encrypt with the kept key, or pair) and retries once, as BlueZ's ATT layer does.
- Notification sessions are per client: the first StartNotify writes the
  CCCD, the last StopNotify (or the client leaving the bus) clears it;
  notifications reach D-Bus (Value changed) only while a session is open.
- Flags come from the characteristic's properties byte only: a remote
  server's permissions (encrypt-write...) cannot be discovered over ATT, so
  BlueZ never shows them; they are enforced by the ball instead.
- CCCDs cannot be written through GattDescriptor1 (NotPermitted), as in BlueZ.
"""
import asyncio

from dbus_fast import Variant
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import dbus_method, dbus_property

from .bus import SENDER, Interface, error

R = PropertyAccess.READ
CCCD = "00002902-0000-1000-8000-00805f9b34fb"
_PROPS = ((0x01, "broadcast"), (0x02, "read"), (0x04, "write-without-response"), (0x08, "write"),
          (0x10, "notify"), (0x20, "indicate"), (0x40, "authenticated-signed-writes"))
_SECURITY = (0x05, 0x0F, 0x0C)   # insufficient authentication, encryption, key size


def att_error(code):
    """A DBusError for an ATT error code, as BlueZ's create_gatt_dbus_error."""
    if code == 0x02:
        return error("NotPermitted", "Read not permitted")
    if code == 0x03:
        return error("NotPermitted", "Write not permitted")
    if code in _SECURITY:
        return error("NotPermitted", "Not paired")
    if code == 0x07:
        return error("InvalidArguments", "Invalid offset")
    if code == 0x0D:
        return error("InvalidArguments", "Invalid Length")
    if code == 0x08:
        return error("NotAuthorized", "Operation Not Authorized")
    if code == 0x06:
        return error("NotSupported", "Operation is not supported")
    return error("Failed", f"Operation failed with ATT error: 0x{code:02x}")


def _options(options, allowed):
    out = {}
    for k, v in options.items():
        if k not in allowed:
            continue  # BlueZ ignores options it does not know
        want = allowed[k]
        if not isinstance(v, Variant) or v.signature != want:
            raise error("InvalidArguments", "Invalid arguments in method call")
        out[k] = v.value
    return out


class Link:
    """What the GATT objects need of the daemon: ATT requests with BlueZ's
    security retry (the daemon supplies raise_security)."""

    def __init__(self, radio, raise_security):
        self.radio = radio
        self.raise_security = raise_security

    async def request(self, op):
        """Run op() -> ATT error (or (error, value)); raise the D-Bus error BlueZ would."""
        try:
            result = await op()
            err = result[0] if isinstance(result, tuple) else result
            if err in _SECURITY and not self.radio.encrypted and await self.raise_security():
                result = await op()
                err = result[0] if isinstance(result, tuple) else result
        except (ConnectionError, asyncio.TimeoutError):
            raise error("Failed", "Not connected") from None
        if err:
            raise att_error(err)
        return result


class GattService(Interface):
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
    def Includes(self) -> "ao":
        return []


class _Attribute(Interface):
    """Value caching, reads and writes shared by characteristics and descriptors."""

    def __init__(self, name, link, uuid, handle):
        super().__init__(name)
        self.link, self.uuid, self.handle = link, uuid, handle
        self.value = b""

    def absent(self):
        return () if self.value else ("Value",)

    def _cache(self, value, offset=0):
        self.value = (self.value[:offset] if offset else b"") + bytes(value)
        self.changed({"Value": self.value})

    async def _read(self, options):
        offset = _options(options, {"offset": "q", "device": "o", "mtu": "q", "link": "s"}).get("offset", 0)
        if not self.link.radio.alive:
            raise error("Failed", "Not connected")
        _, value = await self.link.request(lambda: self.link.radio.read(self.handle, offset))
        self._cache(value, offset)
        return value

    async def _write_request(self, value, offset):
        await self.link.request(lambda: self.link.radio.write(self.handle, value, True, offset))


class GattCharacteristic(_Attribute):
    def __init__(self, link, uuid, service_path, handle, props):
        super().__init__("org.bluez.GattCharacteristic1", link, uuid, handle)
        self.service_path = service_path
        self.props = props
        self.flags = [name for bit, name in _PROPS if props & bit]
        self.sessions = set()   # clients with a notification session
        self.internal = False   # a BlueZ plugin (battery) subscribed for itself
        self.cccd = None        # the CCCD's handle
        self.on_value = None    # a plugin's callback for notified values

    def absent(self):
        gone = list(super().absent())
        if not self.props & 0x30:
            gone.append("Notifying")
        return gone

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
        return bool(self.sessions)

    @dbus_property(access=R)
    def Flags(self) -> "as":
        return self.flags

    @dbus_property(access=R)
    def MTU(self) -> "q":
        return self.link.radio.mtu

    @dbus_method()
    async def ReadValue(self, options: "a{sv}") -> "ay":
        return await self._read(options)

    @dbus_method()
    async def WriteValue(self, value: "ay", options: "a{sv}"):
        o = _options(options, {"offset": "q", "type": "s", "device": "o", "mtu": "q", "link": "s",
                               "prepare-authorize": "b"})
        kind, offset = o.get("type"), o.get("offset", 0)
        if not self.link.radio.alive:
            raise error("Failed", "Not connected")
        if kind in ("request", "reliable") or (kind is None and self.props & 0x08):
            return await self._write_request(value, offset)
        if (kind is not None and kind != "command") or offset or (kind is None and not self.props & 0x04):
            raise error("NotSupported", "Operation is not supported")
        try:
            await self.link.radio.write(self.handle, value, False)
        except ConnectionError:
            raise error("Failed", "Not connected") from None

    @dbus_method()
    async def StartNotify(self):
        if not self.props & 0x30:
            raise error("NotSupported", "Operation is not supported")
        client = SENDER.get()
        if client in self.sessions:
            return
        await self.subscribe(True)
        self.sessions.add(client)
        if len(self.sessions) == 1:
            self.changed({"Notifying": True})

    @dbus_method()
    async def StopNotify(self):
        client = SENDER.get()
        if client not in self.sessions:
            raise error("Failed", "No notify session started")
        await self.end_session(client)

    async def end_session(self, client):
        self.sessions.discard(client)
        if not self.sessions:
            self.changed({"Notifying": False})
            try:
                await self.subscribe(False)
            except Exception:
                pass  # the link went: nothing left to clear

    async def subscribe(self, on):
        """Write the CCCD when the first subscriber comes or the last goes."""
        others = bool(self.sessions) or self.internal
        if self.cccd is None or others:
            return
        value = (1 if self.props & 0x10 else 2) if on else 0
        await self.link.request(lambda: self.link.radio.write(self.cccd, value.to_bytes(2, "little"), True))

    def notified(self, data):
        if self.on_value is not None:
            self.on_value(bytes(data))
        if self.sessions:
            self._cache(data)


class GattDescriptor(_Attribute):
    def __init__(self, link, uuid, char_path, handle):
        super().__init__("org.bluez.GattDescriptor1", link, uuid, handle)
        self.char_path = char_path

    @dbus_property(access=R)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=R)
    def Characteristic(self) -> "o":
        return self.char_path

    @dbus_property(access=R)
    def Value(self) -> "ay":
        return self.value

    # No Flags: BlueZ 5.66 exports none for a remote descriptor (its
    # permissions are not discoverable over ATT), whatever the document lists.

    @dbus_method()
    async def ReadValue(self, options: "a{sv}") -> "ay":
        return await self._read(options)

    @dbus_method()
    async def WriteValue(self, value: "ay", options: "a{sv}"):
        o = _options(options, {"offset": "q", "device": "o", "link": "s", "prepare-authorize": "b"})
        if not self.link.radio.alive:
            raise error("Failed", "Not connected")
        if self.uuid == CCCD:
            raise error("NotPermitted", "Write not permitted")  # StartNotify/StopNotify do that
        await self._write_request(value, o.get("offset", 0))
