# Stand-in for MicroPython's `bluetooth` module on the Unix port, which has no
# radio. It follows docs/library/bluetooth.rst for the peripheral role (GAP
# advertising, the GATT server, pairing and bonding) and behaves like the
# NimBLE ports where the docs leave it open; it is the ATT server of the
# emulated link and carries the traffic over a local TCP socket (port in
# BALLSENSE_RADIO_PORT) to the emulated radio on the host
# (ballsense/emulation/radio.py, whose docstring lists the messages).
# Runs under MicroPython only. The central role (gap_scan, gap_connect,
# gattc_*) and L2CAP are not here: the central is BlueZ on the host.
#
# How IRQs arrive: a reader thread plays the stack's own task. It answers by
# itself what needs no Python (buffers sent, CCCD reads and writes, the GAP
# service), so the link keeps going while the program is busy or blocked,
# and hands every other event to micropython.schedule(), so the irq handler
# runs in the main thread between bytecodes with the documented (event, data)
# tuples, as scheduled ("soft") IRQs do; it waits for each to have run before
# the next, so a handler sees each write before the following one lands. The
# state both threads touch (connection, buffers in flight, subscriptions, the
# socket) is behind locks, and an event that finds the main thread inside one
# of them waits until it has left: the real module's methods are C, so no
# scheduled handler ever runs in the middle of one.
#
# Modelled as NimBLE does it: the GAP (0x1800) and GATT (0x1801) services
# first, then the registered ones, a CCCD after each notify/indicate value
# (before the given descriptors); ATT permissions (a read or write the flags do
# not allow is refused with the ATT error and never reaches the irq handler;
# FLAG_*_ENCRYPTED on an unencrypted link answers "insufficient
# authentication" when no key is stored for the central, "insufficient
# encryption" when one is); _IRQ_GATTS_READ_REQUEST may deny a read;
# 20-byte value buffers that gatts_write and gatts_set_buffer grow, with
# append mode; subscriptions per connection (gatts_write(send_update=True)
# notifies or indicates only subscribers; gatts_notify/indicate send
# regardless); notifications truncated to MTU - 3; controller buffers
# (BUFFERS notifications in flight, one more raises OSError(ENOMEM) until the
# radio reports them sent); Just Works pairing (bonded when both sides ask for
# it; keys through _IRQ_SET_SECRET / _IRQ_GET_SECRET).
import json
import os
import random
import socket
import struct
import time

import _thread
import micropython

FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_AUTHENTICATED_SIGNED_WRITE = 0x0040
FLAG_AUX_WRITE = 0x0100
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_READ_AUTHORIZED = 0x0800
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000
FLAG_WRITE_AUTHORIZED = 0x4000

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_GATTS_INDICATE_DONE = 20
_IRQ_MTU_EXCHANGED = 21
_IRQ_CONNECTION_UPDATE = 27
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30

_SEC_PEERS = 2        # NimBLE's store type for a peer's keys
_ATT_INVALID_HANDLE = 0x01
_ATT_READ_NOT_PERMITTED = 0x02
_ATT_WRITE_NOT_PERMITTED = 0x03
_ATT_INSUFFICIENT_AUTHENTICATION = 0x05
_ATT_INVALID_OFFSET = 0x07
_ATT_INSUFFICIENT_ENCRYPTION = 0x0F
_NOT_CONNECTED = 7    # NimBLE's BLE_HS_ENOTCONN, the status of an indication cut off

BUFFERS = 8           # notifications the controller holds before ENOMEM
_DEFAULT_BUF = 20     # MicroPython's default characteristic value buffer
_ENOMEM = 12
_ENODEV = 19
_EINVAL = 22
_ENOTCONN = 107
_HDR = "<BH"          # message kind, payload length (both directions)
_ADDR_STATIC = b"\xc0\xff\xee\xba\x11\x01"  # the controller has no public address: a static random one
_BASE = b"\xfb\x34\x9b\x5f\x80\x00\x00\x80\x00\x10\x00\x00"  # Bluetooth base UUID, LE, below the 32 bits


def _buf(data):
    """Any object with the buffer protocol (bytes, bytearray, memoryview, str...) -> bytes."""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, int):
        raise TypeError("object with buffer protocol required")
    return bytes(data)


class UUID(bytes):
    """16-, 32- or 128-bit UUID. Its bytes (the buffer protocol) are the value
    little-endian, as on the air; 2, 4 or 16 of them."""

    def __init__(self, value):
        if isinstance(value, int):
            if not 0 <= value <= 0xFFFF:
                raise ValueError("invalid UUID")
            b = struct.pack("<H", value)
        else:  # any buffer: 2, 4 or 16 bytes are the value, anything else a 128-bit string
            b = _buf(value)
            if len(b) not in (2, 4, 16):
                h = b.decode().replace("-", "")
                if len(h) != 32:
                    raise ValueError("UUID too short" if len(h) < 32 else "UUID too long")
                b = bytes(reversed(bytes.fromhex(h)))
        super().__init__(b)

    def __eq__(self, other):
        return isinstance(other, UUID) and bytes(self) == bytes(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __lt__(self, other):  # by size, then by the bytes (MicroPython's order)
        return (len(bytes(self)), bytes(self)) < (len(bytes(other)), bytes(other))

    def __hash__(self):
        return hash(bytes(self))

    def __repr__(self):
        b = bytes(self)
        if len(b) == 2:
            return "UUID(0x%04x)" % struct.unpack("<H", b)[0]
        if len(b) == 4:
            return "UUID(0x%08x)" % struct.unpack("<I", b)[0]
        return "UUID('%s')" % _uuid_str(b)

    __str__ = __repr__


def _uuid_str(b):
    """UUID bytes (LE, any size) -> the 128-bit string BlueZ uses."""
    b = bytes(b)
    if len(b) < 16:
        b = _BASE + b + b"\x00" * (4 - len(b))
    h = "".join("%02x" % c for c in reversed(b))
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


_CCCD = UUID(0x2902)


class _Attr:
    """One attribute with a value: a characteristic value, a descriptor, a CCCD."""

    def __init__(self, uuid, flags, kind, value=b""):
        self.uuid, self.flags, self.kind = uuid, flags, kind  # kind: "chr", "dsc", "cccd", "gap"
        self.value = value
        self.size = max(_DEFAULT_BUF, len(value))
        self.append = False
        self.cccd = None   # handle of this value's CCCD


_ble = None


class BLE:
    """The radio is a singleton, as on real ports: BLE() returns the one object."""

    def __new__(cls):
        global _ble
        if _ble is None:
            _ble = super().__new__(cls)
            _ble._setup()
        return _ble

    def __init__(self):
        pass

    def _setup(self):
        self._lock = _thread.allocate_lock()  # state the stack's thread shares: connection, buffers, CCCDs
        self._tx = _thread.allocate_lock()    # the socket
        self._sock = None
        self._irq = None
        self._attrs = {}       # handle -> _Attr
        self._table = []       # what the radio is told: services, characteristics, descriptors
        self._conn = None
        self._peer = (0, bytes(6))
        self._in_flight = 0
        self._subs = {}        # CCCD handle -> subscription bits, this connection
        self._indicating = []  # value handles of indications awaiting confirmation
        self._conn_mtu = 23
        self._encrypted = False
        self._mtu = 23         # preferred ATT MTU (NimBLE's default without config(mtu=...))
        self._name = b"MPY NIMBLE"
        self._rxbuf = 128
        self._addr_mode = 1
        self._addr = _ADDR_STATIC
        self._bond = False
        self._mitm = False
        self._io = 3
        self._le_secure = False
        self._adv = b""
        self._resp = b""
        self._builtin()

    # ---- the socket ---------------------------------------------------------

    def _send(self, kind, payload=b""):
        if self._sock is None:
            raise OSError(_ENOTCONN)
        msg = struct.pack(_HDR, ord(kind), len(payload)) + payload
        with self._tx:  # the stack's thread answers too: one message at a time on the socket
            mv = memoryview(msg)
            while mv:
                n = self._sock.send(mv)
                mv = mv[n:]

    def _reader(self, sock):
        """The stack's own task: reads the radio, answers what needs no
        Python (buffers sent, CCCDs, the GAP service) at once, and hands each
        other event to the main thread, waiting for it before the next."""
        buf = b""
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                if self._sock in (sock, None):  # not an old socket after active(False), active(True)
                    self._on_main(ord("x"), b"")  # the radio went away
                return
            buf += data
            while len(buf) >= 3:
                kind, n = struct.unpack(_HDR, buf)
                if len(buf) < 3 + n:
                    break
                body, buf = buf[3:3 + n], buf[3 + n:]
                if not self._stack(chr(kind), body):
                    self._on_main(kind, body)

    def _stack(self, k, body):
        """What NimBLE's host answers by itself, even while Python is busy. True if handled."""
        if k == "t":
            with self._lock:
                self._in_flight = max(0, self._in_flight - struct.unpack("<H", body)[0])
            return True
        if k not in "rw":
            return False
        conn, h = struct.unpack_from("<HH", body)
        with self._lock:
            a = self._attrs.get(h)
            if a is None or a.kind not in ("cccd", "gap") or (k == "w" and a.kind == "gap"):
                return False
            if k == "w":
                self._subs[h] = struct.unpack("<H", (body[7:] + b"\x00\x00")[:2])[0]
            elif a.kind == "cccd":
                value = struct.pack("<H", self._subs.get(h, 0))
            elif not a.flags & FLAG_READ:
                value = None
            else:
                value = self._name if a.uuid == UUID(0x2A00) else a.value
        if k == "w":
            if body[4]:
                self._send("W", struct.pack("<HHB", conn, h, 0))
            return True
        offset = struct.unpack_from("<H", body, 4)[0]
        if value is None:
            err, value = _ATT_READ_NOT_PERMITTED, b""
        elif offset > len(value):
            err, value = _ATT_INVALID_OFFSET, b""
        else:
            err, value = 0, value[offset:]
        self._send("R", struct.pack("<HHB", conn, h, err) + value)
        return True

    def _on_main(self, kind, body):
        """One event for the irq handler: run it as a scheduled IRQ on the main
        thread and wait until it has run, so events keep their order.

        A scheduled function runs between any two bytecodes of the main
        thread, also inside this module's own locked sections (gatts_notify
        sending); taking the lock there would deadlock the thread on itself.
        While the event waits here this thread holds no lock, so a lock held
        when it runs is the main thread's: it gives way and is scheduled again."""
        state = [0]  # 0 scheduled, 1 ran, 2 gave way

        def run(_):
            if self._lock.locked() or self._tx.locked():
                state[0] = 2
                return
            try:
                self._dispatch(chr(kind), body)
            finally:
                state[0] = 1
        while state[0] != 1:
            state[0] = 0
            while True:
                try:
                    micropython.schedule(run, None)
                    break
                except RuntimeError:  # schedule queue full: the main thread is busy
                    time.sleep_ms(1)
            while not state[0]:
                time.sleep_ms(1)

    def _dispatch(self, k, body):
        # main thread, as a scheduled IRQ
        if k == "c":
            conn, at, addr = struct.unpack("<HB6s", body)
            with self._lock:
                self._conn, self._peer = conn, (at, addr)
                self._in_flight = 0
                self._subs = {}
            self._encrypted = False
            self._conn_mtu = 23
            self._fire(_IRQ_CENTRAL_CONNECT, (conn, at, memoryview(addr)))
        elif k == "d" or (k == "x" and self._conn is not None):
            self._lost(self._conn if k == "x" else struct.unpack_from("<H", body)[0])
        elif k == "r":
            conn, h, offset = struct.unpack("<HHH", body)
            err, value = self._read(conn, h, offset)
            self._send("R", struct.pack("<HHB", conn, h, err) + value)
        elif k == "w":
            conn, h, response, offset = struct.unpack_from("<HHBH", body)
            self._write(conn, h, bool(response), offset, body[7:])
        elif k == "m":
            self._conn_mtu = struct.unpack("<HH", body)[1]
            self._fire(_IRQ_MTU_EXCHANGED, struct.unpack("<HH", body))
        elif k == "u":
            self._fire(_IRQ_CONNECTION_UPDATE, struct.unpack("<HHHHB", body))
        elif k == "p":
            self._pair(*struct.unpack("<HB6s", body))
        elif k == "e":
            self._encrypt(*struct.unpack("<H6s16s", body))
        elif k == "i":
            conn, h = struct.unpack("<HH", body)
            if h in self._indicating:
                self._indicating.remove(h)
            self._fire(_IRQ_GATTS_INDICATE_DONE, (conn, h, 0))

    def _fire(self, event, data):
        if self._irq:
            return self._irq(event, data)

    def _lost(self, conn):
        for h in self._indicating:  # cut off before the confirmation
            self._fire(_IRQ_GATTS_INDICATE_DONE, (conn, h, _NOT_CONNECTED))
        self._indicating = []
        at, addr = self._peer
        with self._lock:
            self._conn = None
            self._in_flight = 0
            self._subs = {}
        self._encrypted = False
        self._fire(_IRQ_CENTRAL_DISCONNECT, (conn, at, memoryview(addr)))

    # ---- the ATT server -------------------------------------------------------

    def _security(self, need_enc, need_auth):
        """The ATT error for a request the link is not secure enough for, or 0
        (NimBLE's rule: unencrypted, it is encryption when a key is stored for
        the central, authentication otherwise)."""
        if not (need_enc or need_auth):
            return 0
        if not self._encrypted:
            key = self._fire(_IRQ_GET_SECRET, (_SEC_PEERS, 0, memoryview(b"\x00" + self._peer[1])))
            return _ATT_INSUFFICIENT_AUTHENTICATION if key is None else _ATT_INSUFFICIENT_ENCRYPTION
        return _ATT_INSUFFICIENT_AUTHENTICATION if need_auth else 0  # Just Works never authenticates

    def _read(self, conn, h, offset):
        a = self._attrs.get(h)
        if a is None:
            return _ATT_INVALID_HANDLE, b""
        if not a.flags & FLAG_READ:
            return _ATT_READ_NOT_PERMITTED, b""
        err = self._security(a.flags & FLAG_READ_ENCRYPTED, a.flags & FLAG_READ_AUTHENTICATED)
        err = err or self._fire(_IRQ_GATTS_READ_REQUEST, (conn, h)) or 0
        if err:
            return err, b""
        if offset > len(a.value):
            return _ATT_INVALID_OFFSET, b""
        return 0, a.value[offset:]

    def _write(self, conn, h, response, offset, data):
        a = self._attrs.get(h)
        if a is None:
            err = _ATT_INVALID_HANDLE
        elif not a.flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE | FLAG_AUX_WRITE):
            err = _ATT_WRITE_NOT_PERMITTED
        elif offset > len(a.value):
            err = _ATT_INVALID_OFFSET
        else:
            err = self._security(a.flags & FLAG_WRITE_ENCRYPTED, a.flags & FLAG_WRITE_AUTHENTICATED)
        if response:
            self._send("W", struct.pack("<HHB", conn, h, err))
        if err:
            return  # refused by the stack; a refused write command just vanishes
        old = a.value if a.append else a.value[:offset]
        a.value = (old + data)[:a.size]
        self._fire(_IRQ_GATTS_WRITE, (conn, h))

    def _pair(self, conn, bond_wanted, addr):
        """Just Works pairing asked by the central: encrypted at once; bonded
        when both sides set the bonding flag (NimBLE reports it so even if the
        store refuses the key)."""
        ltk = bytes(random.getrandbits(8) for _ in range(16))
        bonded = bool(bond_wanted and self._bond)
        if bonded:
            self._fire(_IRQ_SET_SECRET, (_SEC_PEERS, memoryview(b"\x00" + addr), memoryview(ltk)))
        self._encrypted = True
        self._fire(_IRQ_ENCRYPTION_UPDATE, (conn, 1, 0, int(bonded), 16))
        self._send("P", struct.pack("<HBB16s", conn, 1, int(bonded), ltk))

    def _encrypt(self, conn, addr, ltk):
        """A bonded central starts encryption with the key it kept."""
        v = self._fire(_IRQ_GET_SECRET, (_SEC_PEERS, 0, memoryview(b"\x00" + addr)))
        ok = v is not None and bytes(v) == ltk
        if ok:
            self._encrypted = True
            self._fire(_IRQ_ENCRYPTION_UPDATE, (conn, 1, 0, 1, 16))
        self._send("E", struct.pack("<HB", conn, int(ok)))

    # ---- documented API: configuration and events ------------------------------

    def active(self, active=None):
        if active is None:
            return self._sock is not None
        if active and self._sock is None:
            port = int(os.getenv("BALLSENSE_RADIO_PORT") or "0")
            if not port:
                raise OSError(_ENODEV)  # no emulated radio to talk to
            s = socket.socket()
            s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
            self._sock = s
            _thread.start_new_thread(self._reader, (s,))
            self._send("C", struct.pack("<H", self._mtu))
            self._send("S", json.dumps(self._table).encode())
        elif not active and self._sock is not None:
            self._sock.close()  # the radio ends the connection; the reader delivers it
            self._sock = None
        return self._sock is not None

    def config(self, *args, **kw):
        if not kw:
            if len(args) != 1:
                raise TypeError("must query one param")
            return self._get(args[0])
        if args:
            raise TypeError("can't specify pos and kw args")
        for k in kw:
            self._set(k, kw[k])

    def _get(self, name):
        # as modbluetooth.c: addr_mode, bond, mitm, io and le_secure can only be set
        if name == "mac":
            return (1, self._addr)  # random: the emulated controller has no public address
        if name == "gap_name":
            return self._name
        if name == "mtu":
            return self._mtu
        if name == "rxbuf":
            return self._rxbuf
        raise ValueError("unknown config param")

    def _set(self, k, v):
        if k == "gap_name":
            self._name = _buf(v)[:31]
        elif k == "mtu":
            if not 23 <= v <= 517:
                raise OSError(_EINVAL)
            self._mtu = v
            if self._sock is not None:
                self._send("C", struct.pack("<H", v))
        elif k == "rxbuf":
            if not 16 <= v <= 0xFFFF:
                raise ValueError
            self._rxbuf = v
        elif k == "addr_mode":
            self._addr_mode = v
            self._addr = _ADDR_STATIC if v in (0, 1) else _private(v)
        elif k == "bond":
            self._bond = bool(v)
        elif k == "mitm":
            self._mitm = bool(v)
        elif k == "io":
            self._io = v
        elif k == "le_secure":
            self._le_secure = bool(v)
        else:
            raise ValueError("unknown config param")

    def irq(self, handler):
        if handler is not None and not callable(handler):
            raise ValueError("invalid handler")
        self._irq = handler

    # ---- GAP ----------------------------------------------------------------------

    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        if adv_data is not None:
            self._adv = _buf(adv_data)
        if resp_data is not None:
            self._resp = _buf(resp_data)
        interval = 0 if interval_us is None else max(625, interval_us // 625 * 625)
        self._send("A", struct.pack("<IBB6sB", interval, int(bool(connectable)), 1, self._addr, len(self._adv))
                   + self._adv + self._resp)

    def gap_disconnect(self, conn_handle):
        if conn_handle != self._conn:
            return False
        self._send("D", struct.pack("<H", conn_handle))
        return True

    def gap_pair(self, conn_handle):
        """Ask the central to pair (a security request); _IRQ_ENCRYPTION_UPDATE follows."""
        if conn_handle != self._conn:
            raise OSError(_ENOTCONN)
        self._send("Q", struct.pack("<H", conn_handle))

    def gap_passkey(self, conn_handle, action, passkey):
        raise OSError(_EINVAL)  # only Just Works pairing is modelled: no passkey is ever asked

    def gattc_exchange_mtu(self, conn_handle):
        if conn_handle != self._conn:
            raise OSError(_ENOTCONN)
        self._send("X", struct.pack("<HH", conn_handle, self._mtu))

    # ---- GATT server ----------------------------------------------------------------

    def _builtin(self):
        """NimBLE's own services, always first: GAP (device name, appearance)
        and GATT (service changed, with its CCCD)."""
        self._attrs = {}
        self._table = []
        self._next = 1
        self._service(UUID(0x1800), ((UUID(0x2A00), FLAG_READ), (UUID(0x2A01), FLAG_READ)), "gap")
        self._attrs[5].value = b"\x00\x00"  # appearance: unknown
        self._service(UUID(0x1801), ((UUID(0x2A05), FLAG_INDICATE),), "gap")

    def _service(self, suuid, chars, kind="chr"):
        start = self._next
        self._next += 1
        handles = []
        out = []
        for c in chars:
            cuuid, flags = UUID(c[0]), c[1]
            value = self._next + 1  # after the declaration
            self._attrs[value] = _Attr(cuuid, flags, kind)
            self._next = value + 1
            handles.append(value)
            descs = []
            if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                self._attrs[self._next] = _Attr(_CCCD, FLAG_READ | FLAG_WRITE, "cccd")
                self._attrs[value].cccd = self._next
                descs.append([_uuid_str(_CCCD), self._next])
                self._next += 1
            for duuid, dflags in (c[2] if len(c) > 2 else ()):
                self._attrs[self._next] = _Attr(UUID(duuid), dflags, "dsc")
                handles.append(self._next)
                descs.append([_uuid_str(UUID(duuid)), self._next])
                self._next += 1
            out.append([_uuid_str(cuuid), value - 1, value, flags & 0xFF, descs])
        self._table.append([_uuid_str(suuid), start, self._next - 1, out])
        return tuple(handles)

    def gatts_register_services(self, services_definition):
        self._builtin()
        result = tuple(self._service(UUID(s[0]), s[1]) for s in services_definition)
        if self._sock is not None:
            self._send("S", json.dumps(self._table).encode())
        return result

    def _value(self, h):
        a = self._attrs.get(h)
        if a is None or a.kind == "gap":
            raise OSError(_EINVAL)  # not in the application's table
        return a

    def gatts_read(self, value_handle):
        a = self._value(value_handle)
        v = a.value
        if a.append:
            a.value = b""  # an append buffer is consumed by reading it
        return v

    def gatts_write(self, value_handle, data, send_update=False):
        a = self._value(value_handle)
        a.value = _buf(data)
        a.size = max(a.size, len(a.value))  # a local write grows the buffer
        if send_update and self._conn is not None and a.cccd is not None:
            with self._lock:
                sub = self._subs.get(a.cccd, 0)
            try:
                if sub & 1:
                    self.gatts_notify(self._conn, value_handle)
                elif sub & 2:
                    self.gatts_indicate(self._conn, value_handle)
            except OSError:
                pass  # the stack queues updates itself; out of buffers, this one is dropped

    def gatts_set_buffer(self, value_handle, length, append=False):
        a = self._value(value_handle)
        a.size = length
        a.append = bool(append)
        a.value = a.value[:length]

    def _air(self, kind, conn_handle, value_handle, data):
        a = self._value(value_handle)
        data = a.value if data is None else _buf(data)
        with self._lock:
            if conn_handle != self._conn:
                raise OSError(_ENOTCONN)
            if self._in_flight >= BUFFERS:
                raise OSError(_ENOMEM)
            self._in_flight += 1
        self._send(kind, struct.pack("<HH", conn_handle, value_handle) + data[:self._conn_mtu - 3])

    def gatts_notify(self, conn_handle, value_handle, data=None):
        self._air("N", conn_handle, value_handle, data)

    def gatts_indicate(self, conn_handle, value_handle, data=None):
        self._air("I", conn_handle, value_handle, data)
        self._indicating.append(value_handle)


def _private(mode):
    """A resolvable (2) or non-resolvable (3) private address: random, its two
    top bits 01 or 00 (addresses are in display order here, as config('mac') gives them)."""
    b = bytearray(random.getrandbits(8) for _ in range(6))
    b[0] = (b[0] & 0x3F) | (0x40 if mode == 2 else 0)
    return bytes(b)

