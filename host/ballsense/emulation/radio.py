"""The emulated radio: the air between the ball's stand-in `bluetooth` module
(emulation/radio/bluetooth.py, under MicroPython, the ATT server) and the
emulated BlueZ (emulation/bluez.py, the ATT client). One peripheral, one central.

What it models, and why:
- advertising: the ball is visible only while it advertises; connecting stops
  the advertisement, as on real controllers; a non-connectable advertisement
  is heard but cannot be connected to;
- a connection interval (default 15 ms; a Linux central connects at 30 ms and
  never updates by itself, so for any other interval the emulated central
  updates at once and the ball is told, _IRQ_CONNECTION_UPDATE, as a phone's
  would): queued notifications and indications
  leave at most `per_event` per connection event, so latency figures include
  the wait for the next event; the ball gets its buffers back ("t" messages)
  only when they have been sent, which is what makes NimBLE's ENOMEM
  reachable; BlueZ confirms each indication it receives;
- ATT requests: reads and writes go to the ball and its answer (value or ATT
  error) comes back; one request at a time, as on one ATT bearer;
- link loss (`drop()`, or every `disconnect_every` s): notifications in the
  air are lost, the link goes silent, and both sides learn of it only after
  the supervision timeout (default 0.5 s), like a ball rolled out of range;
- security: pairing (`pair`), encryption with a kept key (`encrypt`), the
  peripheral's security request (gap_pair).

Not modelled: service discovery over the air (the ball hands its attribute
table over whole), request/response timing (answers come as fast as the
ball's loop runs), radio noise and retransmissions.

Wire format both ways: kind (1 byte), payload length (u16 LE), payload.
Ball -> radio:
  A  advertise: <IBB6sB interval_us (0 = stop), connectable, address type,
     address, advertising data length; then advertising data, scan response
  S  attribute table, JSON: [[service uuid, start, end, [[uuid, declaration,
     value handle, properties, [[descriptor uuid, handle], ...]], ...]], ...]
  C  <H preferred ATT MTU
  N / I  notification / indication: <HH conn, value handle; then the value
  R  read answer: <HHB conn, handle, ATT error (0 = ok); then the value
  W  write answer: <HHB conn, handle, ATT error
  D  <H the ball hangs up;  Q  <H security request;  X  <HH MTU exchange
  P  <HBB16s pairing done: conn, ok, bonded, key;  E  <HB encryption: conn, ok
Radio -> ball:
  c  <HB6s connected: conn, central's address type and address
  d  <HB6s disconnected: conn, reason, address
  u  <HHHHB connection update: conn, interval (1.25 ms), latency, supervision
     timeout (10 ms), status; sent only when the link runs at another interval
     than a Linux central connects with (CONNECT_INTERVAL_MS)
  m  <HH MTU exchanged;  t  <H buffers sent;  i  <HH indication confirmed
  r  <HHH read: conn, handle, offset
  w  <HHBH write: conn, handle, with response, offset; then the value
  p  <HB6s pairing request: conn, bond, central's address
  e  <H6s16s encrypt: conn, central's address, key"""
import asyncio
import json
import logging
import random
import struct
from collections import deque

log = logging.getLogger(__name__)  # link events, into the emulated BlueZ's log

_HDR = struct.Struct("<BH")
ATT_MTU_CENTRAL = 517  # what BlueZ proposes
CENTRAL_ADDRESS = bytes.fromhex("00aa01000001")
ATT_TIMEOUT_S = 10     # the ball's loop answers in milliseconds; this is for a wedged one
CONNECT_INTERVAL_MS = 30.0  # what a Linux central connects with (the kernel's minimum, 24 x 1.25 ms)


def parse_adv(data):
    """Advertising or scan response bytes -> {name, uuids, service_data,
    manufacturer, flags, tx_power, appearance}."""
    out = {"name": None, "uuids": [], "service_data": {}, "manufacturer": {}, "flags": None,
           "tx_power": None, "appearance": None}
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
        elif kind in (0x04, 0x05):
            out["uuids"] += [uuid16(int.from_bytes(body[j:j + 4], "little")) for j in range(0, len(body), 4)]
        elif kind in (0x06, 0x07):
            out["uuids"] += [uuid128(body[j:j + 16]) for j in range(0, len(body), 16)]
        elif kind == 0x16 and len(body) >= 2:
            out["service_data"][uuid16(int.from_bytes(body[:2], "little"))] = body[2:]
        elif kind == 0xFF and len(body) >= 2:
            out["manufacturer"][int.from_bytes(body[:2], "little")] = body[2:]
        elif kind == 0x01 and body:
            out["flags"] = body
        elif kind == 0x0A and body:
            out["tx_power"] = struct.unpack("b", body[:1])[0]
        elif kind == 0x19 and len(body) == 2:
            out["appearance"] = int.from_bytes(body, "little")
    return out


def uuid16(v):
    """A 16- or 32-bit UUID in its 128-bit form."""
    return f"{v:08x}-0000-1000-8000-00805f9b34fb"


def uuid128(le):
    h = bytes(reversed(le)).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _address(b):
    return ":".join(f"{x:02X}" for x in b)


class Listener:
    """What the radio tells the central side (BlueZ emulation). No-ops here."""

    def on_advertising(self, adv): pass       # dict from parse_adv (+ address, connectable), or None
    def on_disconnected(self): pass
    def on_notify(self, handle, data): pass   # a notification or an indication
    def on_ball_gone(self): pass
    def on_security_request(self): pass       # the ball asked to be paired


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
        self.services = []        # the ball's attribute table ("S")
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
        self._replies = {}        # reply kind -> future for the ball's answer
        self._att = None          # one ATT request at a time

    async def start(self):
        self._att = asyncio.Lock()
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
        if self._writer is not None:  # one ball: the old one's socket is dead to us now
            self._writer.close()
        self._writer = writer
        try:
            while True:
                kind, n = _HDR.unpack(await reader.readexactly(_HDR.size))
                self._from_ball(chr(kind), await reader.readexactly(n) if n else b"")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if self._writer is not writer:
            return
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
            self._advertised(body)
        elif k == "S":
            self.services = json.loads(body)
        elif k in "NI":
            conn, h = struct.unpack_from("<HH", body)
            if self.alive and conn == self._conn:
                self._txq.append((k, h, body[4:]))
            else:
                self.lost += 1  # into the void; no buffer comes back until the ball learns
        elif k == "D":
            if self.connected:
                self._send("d", struct.pack("<HB6s", self._conn, 0x16, CENTRAL_ADDRESS))
                self._end()
        elif k == "C":
            self.ball_mtu = struct.unpack_from("<H", body)[0]
        elif k == "X":
            if self.alive:
                self.mtu = min(struct.unpack_from("<HH", body)[1], self.central_mtu)
                self._send("m", struct.pack("<HH", self._conn, self.mtu))
        elif k == "Q":
            if self.alive:
                self.listener.on_security_request()
        elif k in "PERW":
            fut = self._replies.pop(k, None)
            if fut is not None and not fut.done():
                fut.set_result(body)

    def _advertised(self, body):
        interval, connectable, addr_type, addr, n = struct.unpack_from("<IBB6sB", body)
        if interval and not self.connected:
            adv, resp = body[13:13 + n], body[13 + n:]
            self.adv = parse_adv(adv)
            more = parse_adv(resp)
            self.adv["name"] = more["name"] or self.adv["name"]
            self.adv["uuids"] += more["uuids"]
            self.adv["service_data"].update(more["service_data"])
            self.adv["manufacturer"].update(more["manufacturer"])
            self.adv["appearance"] = self.adv["appearance"] or more["appearance"]
            self.adv.update(address=_address(addr), address_type="public" if addr_type == 0 else "random",
                            connectable=bool(connectable))
        else:
            self.adv = None
        log.info("advertising %s (connected %s)", bool(self.adv), self.connected)
        self.listener.on_advertising(self.adv)

    # ---- the central's side -----------------------------------------------

    async def connect(self, timeout=2.0):
        """Connect to the ball if it advertises, connectable, within `timeout` s."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.adv is None or not self.adv["connectable"] or self._writer is None:
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.02)
        self._conn += 1
        log.info("connect %d", self._conn)
        self.connected = self.alive = True
        self.encrypted = False
        self.adv = None  # connecting stops the advertisement
        self._txq.clear()
        self.mtu = min(self.ball_mtu, self.central_mtu)
        self._send("c", struct.pack("<HB6s", self._conn, 0, CENTRAL_ADDRESS))
        self._send("m", struct.pack("<HH", self._conn, self.mtu))  # BlueZ exchanges the MTU at once
        if round(self.interval * 1000, 2) != CONNECT_INTERVAL_MS:
            # a link asked to run at another interval: the central updates it at
            # once, so the ball hears of it (from BlueZ alone it never would)
            units = round(self.interval / 0.00125)
            self._send("u", struct.pack("<HHHHB", self._conn, units, 0, round(self.supervision * 100), 0))
        self.listener.on_advertising(None)
        return True

    def disconnect(self):
        """The central hangs up."""
        if self.connected:
            self._send("d", struct.pack("<HB6s", self._conn, 0x16, CENTRAL_ADDRESS))
            self._end()

    async def _ask(self, kind, body, reply, timeout=ATT_TIMEOUT_S):
        if not self.alive:
            raise ConnectionError("not connected")
        fut = asyncio.get_running_loop().create_future()
        self._replies[reply] = fut
        self._send(kind, body)
        return await asyncio.wait_for(fut, timeout)

    async def read(self, handle, offset=0):
        """ATT read (blob) -> (ATT error, value)."""
        async with self._att:
            body = await self._ask("r", struct.pack("<HHH", self._conn, handle, offset), "R")
        return body[4], bytes(body[5:])

    async def write(self, handle, data, response=True, offset=0):
        """ATT write request -> ATT error; a write command (response=False) -> 0, whatever became of it."""
        msg = struct.pack("<HHBH", self._conn, handle, int(response), offset) + bytes(data)
        if not response:
            if not self.alive:
                raise ConnectionError("not connected")
            self._send("w", msg)
            return 0
        async with self._att:
            return (await self._ask("w", msg, "W"))[4]

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
        log.info("drop %d", self._conn)
        self.lost += len(self._txq)
        self._txq.clear()
        asyncio.get_running_loop().call_later(self.supervision, self._supervision_timeout, self._conn)

    def _supervision_timeout(self, conn):
        if self.connected and conn == self._conn:
            self._send("d", struct.pack("<HB6s", conn, 0x08, CENTRAL_ADDRESS))
            self._end()

    def _end(self):
        log.info("end %d", self._conn)
        self.connected = self.alive = self.encrypted = False
        self._txq.clear()
        for fut in self._replies.values():
            if not fut.done():
                fut.set_exception(ConnectionError("disconnected"))
        self._replies = {}
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
                kind, h, data = self._txq.popleft()
                self.listener.on_notify(h, data)
                if kind == "I":
                    self._send("i", struct.pack("<HH", self._conn, h))
                n += 1
            if n:
                self.delivered += n
                self._send("t", struct.pack("<H", n))

    async def _dropper(self):
        while True:
            j = self.drop_jitter
            await asyncio.sleep(self.disconnect_every * random.uniform(1 - j, 1 + j))
            self.drop()
