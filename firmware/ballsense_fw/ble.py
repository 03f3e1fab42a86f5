# BLE link: a GATT server on MicroPython's low-level `bluetooth` module
# (documented bluetooth.BLE API only, so it runs on ESP32 NimBLE, Pico W
# BTstack and the Unix port's emulated radio alike). Why not aioble: the App's
# loop is synchronous (it must sample on a deadline), and aioble needs asyncio
# tasks; the raw API is a few dozen lines here. See docs/ble.md.
#
# One notification carries one protocol frame. Frames are queued here and sent
# at most PER_EVENT per connection interval, so the stack's buffers are never
# exhausted; when the stack still refuses (ENOMEM) or the queue is full, the
# frame is dropped: its samples stay in the ring and the host backfills them.
import struct

from . import VERSION
from . import protocol as P

try:
    from micropython import const
except ImportError:  # CPython imports this file for the UUIDs only
    def const(x):
        return x

try:
    from time import ticks_ms, ticks_diff
except ImportError:  # CPython
    import time as _t

    def ticks_ms():
        return int(_t.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b

# The ball's service (random 128-bit UUID). The host imports these strings.
SERVICE_UUID = "b5e1a000-5c3a-4f7e-9d1b-6a0c2f8e4b71"
DATA_UUID = "b5e1a001-5c3a-4f7e-9d1b-6a0c2f8e4b71"     # notify: ball -> host frames
CONTROL_UUID = "b5e1a002-5c3a-4f7e-9d1b-6a0c2f8e4b71"  # write: host -> ball command frames
BATTERY_SERVICE = 0x180F
BATTERY_LEVEL = 0x2A19
DEVICE_INFO_SERVICE = 0x180A

# Documented IRQ event codes (docs: bluetooth.BLE.irq).
_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_CONNECTION_UPDATE = const(27)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IO_CAPABILITY_NO_INPUT_OUTPUT = const(3)
_SEC_OURS = const(1)   # secret types of the store (NimBLE's; 3 = subscriptions)
_SEC_PEERS = const(2)

_FLAG_READ = const(0x0002)
_FLAG_WRITE_NO_RESPONSE = const(0x0004)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_FLAG_WRITE_ENCRYPTED = const(0x1000)

_ADV_INTERVAL_US = const(100000)
MTU_WANTED = const(247)        # largest ATT MTU we accept (payload 244)
PER_EVENT = const(3)           # notifications per connection interval (NimBLE-safe)
BURST = const(6)               # most notifications sent back to back
QUEUE_BYTES = const(2048)      # frames waiting for the radio; beyond this, drop
_BATTERY_PERIOD_MS = const(60000)
_ENOMEM = const(12)


def _ad(kind, data):
    return struct.pack("BB", len(data) + 1, kind) + data


def _uuid128_le(s):
    """'xxxxxxxx-....' -> 16 bytes little-endian, as advertising carries it."""
    b = bytes.fromhex(s.replace("-", ""))
    return bytes(reversed(b))


def adv_payloads(name, battery):
    """(advertising data, scan response): flags, service UUID and battery in
    the advertisement (26 of 31 bytes); the name in the scan response."""
    adv = _ad(0x01, b"\x06")                       # LE general discoverable, no BR/EDR
    adv += _ad(0x07, _uuid128_le(SERVICE_UUID))   # complete list of 128-bit UUIDs
    adv += _ad(0x16, struct.pack("<HB", BATTERY_SERVICE, battery))  # service data
    resp = _ad(0x09, name.encode()[:29])          # complete local name
    return adv, resp


class BleLink:
    name = "ble"

    def __init__(self, app):
        import bluetooth
        self.app = app
        self.ble = bluetooth.BLE()
        self.ble.active(True)
        self._gap_name = app.cfg["name"]
        self.ble.config(gap_name=self._gap_name, mtu=MTU_WANTED)
        # Security: LE Secure Connections, Just Works (the ball has no display
        # or keys; the squeeze gesture is the physical check). Bonding is off
        # except while the pairing window is open (set_bondable).
        self.ble.config(le_secure=True, mitm=False, io=_IO_CAPABILITY_NO_INPUT_OUTPUT, bond=False)
        self.bondable = False
        self.bonds = app.bonds
        self.trusted = False    # this link is encrypted with a bonded key: it may command
        self.bonded_now = False  # a new bond was made (the App closes the window)
        self.peer_key = None     # the connected host's key in the bond store
        self.ble.irq(self._irq)
        self._register(bluetooth)
        self.connected = False
        self.conn = None
        self.reconnects = 0
        self.dropped = 0        # frames not sent (queue full or stack out of buffers)
        self._q = []
        self._qbytes = 0
        self._rx = []           # command frames copied by the IRQ handler
        self._mtu = 0           # set by the IRQ, applied in commands()
        self._interval_ms = 30  # until the central tells us (30-50 ms is typical)
        self._credit = 0
        self._last = ticks_ms()
        self._readvertise = True
        self._hello = False
        self._battery_at = ticks_ms()
        self._streamer = None
        self._payload = P.ATT_DEFAULT_PAYLOAD

    def _register(self, bluetooth):
        U = bluetooth.UUID
        ball = (U(SERVICE_UUID), ((U(DATA_UUID), _FLAG_NOTIFY | _FLAG_READ),
                                  (U(CONTROL_UUID), _FLAG_WRITE | _FLAG_WRITE_NO_RESPONSE
                                   | _FLAG_WRITE_ENCRYPTED)))
        info = (U(DEVICE_INFO_SERVICE), ((U(0x2A29), _FLAG_READ), (U(0x2A24), _FLAG_READ),
                                         (U(0x2A26), _FLAG_READ)))
        batt = (U(BATTERY_SERVICE), ((U(BATTERY_LEVEL), _FLAG_READ | _FLAG_NOTIFY),))
        ((self.h_data, self.h_ctrl), (h_man, h_model, h_fw), (self.h_batt,)) = \
            self.ble.gatts_register_services((ball, info, batt))
        self.ble.gatts_set_buffer(self.h_ctrl, 64)  # room for the longest command (rename)
        self.ble.gatts_write(h_man, b"ballsense project")
        self.ble.gatts_write(h_model, self.app.board.NAME.encode())
        self.ble.gatts_write(h_fw, ("%d.%d.%d" % VERSION).encode())
        self.ble.gatts_write(self.h_batt, bytes([self.app.board.battery_pct()]))

    def _irq(self, event, data):
        # Runs as a (soft) interrupt: copy what is needed and return.
        if event == _IRQ_CENTRAL_CONNECT:
            self.conn = data[0]
            self.connected = True
            self.trusted = False
            self.peer_key = None
            self._hello = True
            self._q = []
            self._qbytes = 0
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self.conn = None
            self.connected = False
            self.trusted = False
            self._mtu = 23  # back to the default payload for the next central
            self._readvertise = True
            self.reconnects += 1
        elif event == _IRQ_GATTS_WRITE:
            if data[1] == self.h_ctrl:
                self._rx.append(bytes(self.ble.gatts_read(self.h_ctrl)))
        elif event == _IRQ_MTU_EXCHANGED:
            self._mtu = data[1]
        elif event == _IRQ_CONNECTION_UPDATE:
            self._interval_ms = max(8, data[1] * 5 // 4)  # units of 1.25 ms
        elif event == _IRQ_ENCRYPTION_UPDATE:
            conn, encrypted, _auth, bonded, _size = data
            if conn == self.conn:
                self.trusted = bool(encrypted and bonded)
        elif event == _IRQ_GET_SECRET:
            sec_type, index, key = data
            if key is not None:
                key = bytes(key)
                if sec_type in (_SEC_OURS, _SEC_PEERS):
                    self.peer_key = key  # the stack is looking up the connecting host
            return self.bonds.get(sec_type, index, key)
        elif event == _IRQ_SET_SECRET:
            sec_type, key, value = data
            if value is not None and not self.bondable:
                return False  # no new keys outside the pairing window
            if sec_type in (_SEC_OURS, _SEC_PEERS) and value is not None:
                self.bonded_now = True  # a new host's keys: the App closes the window
                self.peer_key = bytes(key)
            return self.bonds.set(sec_type, key, None if value is None else bytes(value))

    def set_bondable(self, on):
        """Open or close bonding (the pairing window)."""
        if on != self.bondable:
            self.bondable = on
            self.ble.config(bond=on)

    def _advertise(self):
        name = self.app.cfg["name"]
        if name != self._gap_name:  # renamed: the GAP Device Name a central reads on connecting too
            self._gap_name = name
            self.ble.config(gap_name=name)
        adv, resp = adv_payloads(name, self.app.board.battery_pct())
        self.ble.gap_advertise(_ADV_INTERVAL_US, adv_data=adv, resp_data=resp)

    def send(self, frame):
        if self._qbytes + len(frame) > QUEUE_BYTES:
            self.dropped += 1  # the host sees the gap and asks for a backfill
            return
        self._q.append(frame)
        self._qbytes += len(frame)
        self._flush()

    def _flush(self):
        # Token bucket: PER_EVENT notifications per connection interval.
        now = ticks_ms()
        iv = self._interval_ms
        self._credit = min(self._credit + ticks_diff(now, self._last) * PER_EVENT, BURST * iv)
        self._last = now
        while self._q and self._credit >= iv and self.conn is not None:
            f = self._q[0]
            try:
                self.ble.gatts_notify(self.conn, self.h_data, f)
            except OSError as e:
                if e.args[0] == _ENOMEM:
                    return  # stack buffers full: keep it queued, try next loop
                self._q = []  # not connected any more
                self._qbytes = 0
                return
            self._q.pop(0)
            self._qbytes -= len(f)
            self._credit -= iv

    def _apply_mtu(self):
        s = self.app.streamer
        if self._mtu:
            # 3 bytes of ATT header; 244 is the protocol's largest payload
            self._payload = max(P.ATT_DEFAULT_PAYLOAD, min(self._mtu - 3, 244))
            self._mtu = 0
            s.set_payload(self._payload)
            self._streamer = s
        elif self._streamer is not s and self._streamer is not None:
            s.set_payload(self._payload)  # set_rate made a new streamer
            self._streamer = s

    def commands(self):
        """Raw command frames written since the last call; also the link's
        housekeeping (advertising, MTU, pacing), kept out of the IRQ."""
        if self._readvertise:
            self._readvertise = False
            self._advertise()
        self._apply_mtu()
        if ticks_diff(ticks_ms(), self._battery_at) >= _BATTERY_PERIOD_MS:
            self._battery_at = ticks_ms()
            self.ble.gatts_write(self.h_batt, bytes([self.app.board.battery_pct()]))
        got, self._rx = self._rx, []
        if got and self._hello:
            # the host has subscribed by the time it writes: tell it our name
            self._hello = False
            self.send(P.encode_info(self.app.cfg["name"]))
        self._flush()
        return got
