# Stand-in for MicroPython's `bluetooth` module on the Unix port, which has no
# radio. It implements the part of the documented bluetooth.BLE API the
# firmware uses and carries the GATT traffic over a local TCP socket
# (port in BALLSENSE_RADIO_PORT) to the emulated radio on the host
# (ballsense/emulation/radio.py). Runs under MicroPython only.
#
# How IRQs arrive: a reader thread blocks on the socket and hands each batch
# of messages to micropython.schedule(), so the firmware's irq handler runs in
# the main thread between bytecodes, with (event, data) tuples, as scheduled
# ("soft") IRQs do on the ESP32 and the Pico W. The thread shares no mutable
# state with the main thread; everything it reads goes through schedule().
#
# Modelled: controller buffers (BUFFERS notifications in flight; one more
# raises OSError(ENOMEM) as NimBLE does until the radio reports them sent),
# 20-byte characteristic buffers unless gatts_set_buffer() grows them, the
# advertisement stopping on connection; pairing (Just Works) and encryption:
# a central's pairing request bonds only while config(bond=True), keys go
# through _IRQ_SET_SECRET / _IRQ_GET_SECRET as on NimBLE, and a write to a
# FLAG_WRITE_ENCRYPTED characteristic on an unencrypted link never reaches the
# firmware (the radio answers the central with "insufficient encryption").
import json
import os
import random
import socket
import struct
import time

import _thread
import micropython

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_WRITE_ENCRYPTED = 0x1000
_SEC_PEERS = 2  # NimBLE's store type for a peer's keys

BUFFERS = 8          # notifications the controller holds before ENOMEM
_DEFAULT_BUF = 20    # MicroPython's default characteristic value buffer
_ENOMEM = 12
_ENOTCONN = 107
_HDR = "<BH"         # message kind, payload length (both directions)


class UUID:
    def __init__(self, v):
        if isinstance(v, UUID):
            self.s = v.s
        elif isinstance(v, int):
            self.s = "0000%04x-0000-1000-8000-00805f9b34fb" % v
        elif isinstance(v, str):
            s = v.lower()
            self.s = ("0000%04x-0000-1000-8000-00805f9b34fb" % int(s, 16)) if len(s) <= 6 else s
        else:  # bytes, little-endian as on the air
            b = bytes(v)
            if len(b) == 2:
                self.s = "0000%04x-0000-1000-8000-00805f9b34fb" % (b[0] | b[1] << 8)
            else:
                h = "".join("%02x" % c for c in reversed(b))
                self.s = "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def __eq__(self, other):
        return isinstance(other, UUID) and other.s == self.s

    def __hash__(self):
        return hash(self.s)

    def __str__(self):
        return self.s

    def __repr__(self):
        return "UUID('%s')" % self.s


class _BLE:
    def __init__(self):
        self._sock = None
        self._irq = None
        self._values = {}
        self._bufsize = {}
        self._conn = None
        self._in_flight = 0
        self._mtu = 23
        self._name = "MPY"
        self._next_handle = 0  # last handle used
        self._adv = None
        self._flags = {}       # value handle -> flags
        self._bond = False     # config(bond=...)
        self._encrypted = False

    # ---- the socket ---------------------------------------------------------

    def _send(self, kind, payload=b""):
        if self._sock is None:
            raise OSError(_ENOTCONN)
        msg = struct.pack(_HDR, kind, len(payload)) + payload
        mv = memoryview(msg)
        while mv:
            n = self._sock.send(mv)
            mv = mv[n:]

    def _reader(self, sock):
        buf = b""
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                self._deliver([(ord("x"), b"")])  # the radio went away
                return
            buf += data
            msgs = []
            while len(buf) >= 3:
                kind, n = struct.unpack(_HDR, buf)
                if len(buf) < 3 + n:
                    break
                msgs.append((kind, buf[3:3 + n]))
                buf = buf[3 + n:]
            if msgs:
                self._deliver(msgs)

    def _deliver(self, msgs):
        while True:
            try:
                micropython.schedule(self._dispatch, msgs)
                return
            except RuntimeError:  # schedule queue full: the main thread is busy
                time.sleep_ms(1)

    def _dispatch(self, msgs):
        # main thread, as a scheduled IRQ
        for kind, body in msgs:
            k = chr(kind)
            if k == "c":
                conn, at, addr = struct.unpack("<HB6s", body)
                self._conn = conn
                self._in_flight = 0
                self._encrypted = False
                self._fire(1, (conn, at, memoryview(addr)))
            elif k == "d" or (k == "x" and self._conn is not None):
                conn = self._conn if k == "x" else struct.unpack("<H", body[:2])[0]
                self._conn = None
                self._in_flight = 0
                self._encrypted = False
                self._fire(2, (conn, 1, memoryview(bytes(6))))
            elif k == "w":
                conn, h = struct.unpack("<HH", body[:4])
                if self._flags.get(h, 0) & FLAG_WRITE_ENCRYPTED and not self._encrypted:
                    continue  # the stack refuses it; the radio told the central
                self._values[h] = bytes(body[4:4 + self._bufsize.get(h, _DEFAULT_BUF)])
                self._fire(3, (conn, h))
            elif k == "m":
                self._fire(21, struct.unpack("<HH", body))
            elif k == "u":
                self._fire(27, struct.unpack("<HHHHB", body))
            elif k == "p":
                self._pair(*struct.unpack("<HB6s", body))
            elif k == "e":
                self._encrypt(*struct.unpack("<H6s16s", body))
            elif k == "t":
                self._in_flight = max(0, self._in_flight - struct.unpack("<H", body)[0])

    def _fire(self, event, data):
        if self._irq:
            return self._irq(event, data)

    def _pair(self, conn, bond_wanted, addr):
        """Just Works pairing asked by the central: encrypted at once; bonded
        when both sides want it and the firmware stores the key."""
        ltk = bytes(random.getrandbits(8) for _ in range(16))
        bonded = bool(bond_wanted and self._bond)
        if bonded:
            bonded = bool(self._fire(30, (_SEC_PEERS, memoryview(b"\x00" + addr), memoryview(ltk))))
        self._encrypted = True
        self._fire(28, (conn, 1, 0, int(bonded), 16))
        self._send(ord("P"), struct.pack("<HBB16s", conn, 1, int(bonded), ltk))

    def _encrypt(self, conn, addr, ltk):
        """A bonded central starts encryption with the key it kept."""
        v = self._fire(29, (_SEC_PEERS, 0, memoryview(b"\x00" + addr)))
        ok = v is not None and bytes(v) == ltk
        if ok:
            self._encrypted = True
            self._fire(28, (conn, 1, 0, 1, 16))
        self._send(ord("E"), struct.pack("<HB", conn, int(ok)))

    # ---- documented API -----------------------------------------------------

    def active(self, on=None):
        if on is None:
            return self._sock is not None
        if on and self._sock is None:
            port = int(os.getenv("BALLSENSE_RADIO_PORT") or "0")
            s = socket.socket()
            s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
            self._sock = s
            _thread.start_new_thread(self._reader, (s,))
        elif not on and self._sock is not None:
            self._sock.close()
            self._sock = None
        return self._sock is not None

    def config(self, *names, **kw):
        if names:
            n = names[0]
            if n == "mac":
                return (1, b"\xc0\xff\xee\xba\x11\x01")
            if n == "gap_name":
                return self._name
            if n == "mtu":
                return self._mtu
            raise ValueError("unknown config param")
        for k in kw:
            if k not in ("mtu", "gap_name", "bond", "le_secure", "mitm", "io"):
                raise ValueError("unknown config param")
        self._bond = kw.get("bond", self._bond)
        if "mtu" in kw or "gap_name" in kw:
            self._mtu = kw.get("mtu", self._mtu)
            self._name = kw.get("gap_name", self._name)
            self._send(ord("C"), struct.pack("<H", self._mtu) + self._name.encode())

    def irq(self, handler):
        self._irq = handler

    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        if interval_us is None:
            interval_us = 0
        if adv_data is not None or self._adv is None:
            self._adv = (bytes(adv_data or b""), bytes(resp_data or b""))
        adv, resp = self._adv
        self._send(ord("A"), struct.pack("<IB", interval_us, len(adv)) + adv + resp)

    def gap_disconnect(self, conn_handle):
        if conn_handle != self._conn:
            return False
        self._send(ord("D"), struct.pack("<H", conn_handle))
        return True

    def gatts_register_services(self, services):
        out = []
        desc = []
        for suuid, chars in services:
            self._next_handle += 1  # the service declaration
            hs = []
            cd = []
            for c in chars:
                cuuid, flags = c[0], c[1]
                h = self._next_handle + 2  # the declaration, then the value
                self._next_handle = h + (1 if flags & (FLAG_NOTIFY | FLAG_INDICATE) else 0)  # + CCCD
                self._values[h] = b""
                self._flags[h] = flags
                hs.append(h)
                cd.append([str(UUID(cuuid)), flags, h])
            out.append(tuple(hs))
            desc.append([str(UUID(suuid)), cd])
        self._send(ord("S"), json.dumps(desc).encode())
        return tuple(out)

    def gatts_notify(self, conn_handle, value_handle, data=None):
        if conn_handle != self._conn:
            raise OSError(_ENOTCONN)
        if self._in_flight >= BUFFERS:
            raise OSError(_ENOMEM)
        if data is None:
            data = self._values.get(value_handle, b"")
        self._in_flight += 1
        self._send(ord("N"), struct.pack("<HH", conn_handle, value_handle) + bytes(data))

    def gatts_write(self, value_handle, data, send_update=False):
        self._values[value_handle] = bytes(data)
        self._send(ord("V"), struct.pack("<H", value_handle) + bytes(data))
        if send_update and self._conn is not None:
            self.gatts_notify(self._conn, value_handle)

    def gatts_read(self, value_handle):
        return self._values.get(value_handle, b"")

    def gatts_set_buffer(self, value_handle, length, append=False):
        self._bufsize[value_handle] = length


_ble = None


def BLE():
    """The radio is a singleton, as on real ports."""
    global _ble
    if _ble is None:
        _ble = _BLE()
    return _ble
