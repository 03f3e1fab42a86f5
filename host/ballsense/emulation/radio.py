"""The emulated radio: the air between the ball's stand-in `bluetooth` module
(emulation/radio/bluetooth.py, under MicroPython) and the emulated BlueZ
(emulation/bluez.py). One ball, one central.

What it models, and why:
- advertising: the ball is visible only while it advertises; connecting stops
  the advertisement, as on real controllers;
- a connection interval (default 15 ms): queued notifications leave at most
  `per_event` per connection event, so latency figures include the wait for
  the next event; the ball gets its buffers back ("t" messages) only when they
  have been sent, which is what makes NimBLE's ENOMEM reachable;
- link loss (`drop()`, or every `disconnect_every` s): notifications in the
  air are lost, the link goes silent, and both sides learn of it only after
  the supervision timeout (default 0.5 s), like a ball rolled out of range;
- security: pairing (`pair`), encryption with a kept key (`encrypt`), and the
  ATT rule that a characteristic flagged write-encrypted refuses writes on an
  unencrypted link.

Wire format both ways: kind (1 byte), payload length (u16 LE), payload; see
the stand-in module for the kinds."""
import asyncio
import random
import json
import struct
from collections import deque

_HDR = struct.Struct("<BH")
ATT_MTU_CENTRAL = 517  # what BlueZ proposes
CENTRAL_ADDRESS = bytes.fromhex("00aa01000001")
FLAG_WRITE_ENCRYPTED = 0x1000


class InsufficientEncryption(PermissionError):
    """ATT error 0x0F: the characteristic needs an encrypted link."""


def parse_adv(data):
    """Advertising or scan response bytes -> {name, uuids, service_data, manufacturer}."""
    out = {"name": None, "uuids": [], "service_data": {}, "manufacturer": {}}
    i = 0
    while i + 1 < len(data):
        n = data[i]
        if n == 0 or i + 1 + n > len(data):
            break
        kind, body = data[i + 1], bytes(data[i + 2:i + 1 + n])
        i += 1 + n
        if kind in (0x08, 0x09):
            out["name"] = body.decode(errors="replace")
        elif kind in (0x02, 0x03):
            out["uuids"] += [uuid16(int.from_bytes(body[j:j + 2], "little")) for j in range(0, len(body), 2)]
        elif kind in (0x06, 0x07):
            out["uuids"] += [uuid128(body[j:j + 16]) for j in range(0, len(body), 16)]
        elif kind == 0x16 and len(body) >= 2:
            out["service_data"][uuid16(int.from_bytes(body[:2], "little"))] = body[2:]
        elif kind == 0xFF and len(body) >= 2:
            out["manufacturer"][int.from_bytes(body[:2], "little")] = body[2:]
    return out


def uuid16(v):
    return f"0000{v:04x}-0000-1000-8000-00805f9b34fb"


def uuid128(le):
    h = bytes(reversed(le)).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Listener:
    """What the radio tells the central side (BlueZ emulation). No-ops here."""

    def on_advertising(self, adv): pass       # dict from parse_adv, or None when it stopped
    def on_disconnected(self): pass
    def on_notify(self, handle, data): pass
    def on_ball_gone(self): pass


class Radio:
    def __init__(self, interval_ms=15, per_event=4, disconnect_every=0.0, supervision_ms=500,
                 central_mtu=ATT_MTU_CENTRAL, drop_jitter=0.0):
        self.interval = interval_ms / 1000
        self.per_event = per_event
        self.disconnect_every = float(disconnect_every or 0)
        self.drop_jitter = float(drop_jitter)  # drops every disconnect_every * (1 +- jitter) s
        self.supervision = supervision_ms / 1000
        self.central_mtu = central_mtu
        self.listener = Listener()
        self.port = None
        self._writer = None
        self.adv = None           # parsed advertisement while advertising
        self.services = []        # [[uuid, [[uuid, flags, value_handle], ...]], ...]
        self.values = {}          # attribute values the ball wrote (for reads)
        self.ball_mtu = 23
        self.connected = False    # a connection exists (both sides think so)
        self.alive = False        # and the air carries it
        self.mtu = 23
        self._conn = 0
        self._txq = deque()
        self._tasks = []
        self.delivered = 0        # notifications that reached the central
        self.lost = 0             # notifications lost in the air (drops)
        self.drops = 0
        self.encrypted = False
        self._replies = {}        # "P"/"E" -> future for the ball's answer

    async def start(self):
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks.append(asyncio.create_task(self._events()))
        if self.disconnect_every > 0:
            self._tasks.append(asyncio.create_task(self._dropper()))

    async def stop(self):
        for t in self._tasks:
            t.cancel()
        self._server.close()
        if self._writer:
            self._writer.close()

    # ---- the ball's side --------------------------------------------------

    async def _serve(self, reader, writer):
        self._writer = writer
        try:
            while True:
                kind, n = _HDR.unpack(await reader.readexactly(_HDR.size))
                self._from_ball(chr(kind), await reader.readexactly(n) if n else b"")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self._writer = None
        if self.connected:
            self._end()
        self.adv = None
        self.listener.on_ball_gone()

    def _send(self, kind, payload=b""):
        if self._writer is not None:
            self._writer.write(_HDR.pack(ord(kind), len(payload)) + payload)

    def _from_ball(self, k, body):
        if k == "A":
            interval, n = struct.unpack_from("<IB", body)
            if interval and not self.connected:
                adv, resp = body[5:5 + n], body[5 + n:]
                self.adv = parse_adv(adv)
                more = parse_adv(resp)
                self.adv["name"] = more["name"] or self.adv["name"]
                self.adv["uuids"] += more["uuids"]
                self.adv["service_data"].update(more["service_data"])
            else:
                self.adv = None
            self.listener.on_advertising(self.adv)
        elif k == "S":
            self.services = json.loads(body)
        elif k == "V":
            self.values[struct.unpack_from("<H", body)[0]] = body[2:]
        elif k == "N":
            conn, h = struct.unpack_from("<HH", body)
            if self.alive and conn == self._conn:
                self._txq.append((h, body[4:]))
            else:
                self.lost += 1  # into the void; no buffer comes back until the ball learns
        elif k == "D":
            if self.connected:
                self._send("d", struct.pack("<HB6s", self._conn, 1, bytes(6)))
                self._end()
        elif k == "C":
            self.ball_mtu = struct.unpack_from("<H", body)[0]
        elif k in ("P", "E"):
            fut = self._replies.pop(k, None)
            if fut is not None and not fut.done():
                fut.set_result(body)

    # ---- the central's side -----------------------------------------------

    async def connect(self, timeout=2.0):
        """Connect to the ball if it advertises within `timeout` s."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.adv is None or self._writer is None:
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.02)
        self._conn += 1
        self.connected = self.alive = True
        self.encrypted = False
        self.adv = None  # connecting stops the advertisement
        self._txq.clear()
        self.mtu = min(self.ball_mtu, self.central_mtu)
        units = round(self.interval / 0.00125)
        self._send("c", struct.pack("<HB6s", self._conn, 0, CENTRAL_ADDRESS))
        self._send("u", struct.pack("<HHHHB", self._conn, units, 0, 400, 0))
        self._send("m", struct.pack("<HH", self._conn, self.mtu))
        self.listener.on_advertising(None)
        return True

    def disconnect(self):
        """The central hangs up."""
        if self.connected:
            self._send("d", struct.pack("<HB6s", self._conn, 0, bytes(6)))
            self._end()

    def write(self, handle, data):
        if not self.alive:
            raise ConnectionError("not connected")
        if self.flags(handle) & FLAG_WRITE_ENCRYPTED and not self.encrypted:
            raise InsufficientEncryption("Insufficient Encryption")
        self._send("w", struct.pack("<HH", self._conn, handle) + bytes(data))

    def read(self, handle):
        return self.values.get(handle, b"")

    def flags(self, handle):
        return next((f for _, chars in self.services for _, f, h in chars if h == handle), 0)

    async def _ask(self, kind, body, reply, timeout=2.0):
        if not self.alive:
            raise ConnectionError("not connected")
        fut = asyncio.get_running_loop().create_future()
        self._replies[reply] = fut
        self._send(kind, body)
        return await asyncio.wait_for(fut, timeout)

    async def pair(self, bond=True):
        """Just Works pairing -> (bonded, key). The link is encrypted after it."""
        body = await self._ask("p", struct.pack("<HB6s", self._conn, int(bond), CENTRAL_ADDRESS), "P")
        _, ok, bonded, key = struct.unpack("<HBB16s", body)
        self.encrypted = bool(ok)
        return bool(bonded), key

    async def encrypt(self, key):
        """Encrypt with a key kept from an earlier bond; False when the ball has forgotten it."""
        body = await self._ask("e", struct.pack("<H6s16s", self._conn, CENTRAL_ADDRESS, key), "E")
        self.encrypted = bool(struct.unpack("<HB", body)[1])
        return self.encrypted

    def drop(self):
        """Link loss: the air goes silent; both ends notice after the
        supervision timeout."""
        if not self.alive:
            return
        self.alive = False
        self.drops += 1
        self.lost += len(self._txq)
        self._txq.clear()
        asyncio.get_running_loop().call_later(self.supervision, self._supervision_timeout, self._conn)

    def _supervision_timeout(self, conn):
        if self.connected and conn == self._conn:
            self._send("d", struct.pack("<HB6s", conn, 0, bytes(6)))
            self._end()

    def _end(self):
        self.connected = self.alive = self.encrypted = False
        self._txq.clear()
        self.listener.on_disconnected()

    async def _events(self):
        """Connection events: up to per_event queued notifications each."""
        loop = asyncio.get_running_loop()
        t = loop.time()
        while True:
            t += self.interval
            await asyncio.sleep(max(0.0, t - loop.time()))
            n = 0
            while self._txq and n < self.per_event and self.alive:
                h, data = self._txq.popleft()
                self.listener.on_notify(h, data)
                n += 1
            if n:
                self.delivered += n
                self._send("t", struct.pack("<H", n))

    async def _dropper(self):
        while True:
            j = self.drop_jitter
            await asyncio.sleep(self.disconnect_every * random.uniform(1 - j, 1 + j))
            self.drop()
