"""--web: the phone view. The live pipeline serves one read-only page (HTML,
script and styles shipped in sinks/webpage/) over HTTP and a WebSocket, from
aiohttp in the pipeline's own asyncio loop.

Every client gets the latest state, never a queue: on_batch encodes one frame
and wakes each client's sender, which sends whatever is newest when it gets
to run. A slow phone skips frames; a stalled one fills small, fixed buffers
(SEND_BUFFER, WRITE_BUFFER), takes nothing more, and is dropped after
SEND_TIMEOUT_S. on_batch never awaits a client. Each frame carries the host
time of the oldest update in it (host_ms), so the page's paint can be timed.

Security: binds 127.0.0.1 unless told otherwise. Any other address needs a
random per-session token as the first path segment (the URL and QR code carry
it); without it every request is answered 403. On loopback the Host header must
name loopback (no DNS rebinding), and a WebSocket's Origin must match its Host.
The page only reads: the sink has no handle on the ball, and what a page sends
is dropped."""
import asyncio
import hmac
import ipaddress
import json
import os
import secrets
import socket
import sys
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from ..errors import UserError
from ..pipeline import Sink
from ..alerts import ALERTS
from .screen import G, PHASE_WORDS, STATE_WORDS, bar_top
from ..cues import CUES

DEFAULT_HOST = "127.0.0.1"
MAX_HZ = 30            # frames a second at most; alerts, states and cues go at once
URGENT = {"alert", "alert_clear", "state", "phase"}
SEND_TIMEOUT_S = 10.0  # a client that cannot take one frame in this long is dropped
HEARTBEAT_S = 10.0     # ping; a client that does not answer is dropped
ALERT_MIN_S = 2.0      # the page keeps an alert up at least this long, so a short one is seen
MAX_IN_MSG = 1024      # what a page may send (it is ignored anyway)
# What may wait for one client, at most: the kernel's send buffer (which it
# doubles), then the transport's, where sending pauses until it drains (aiohttp
# checks every WRITER_LIMIT bytes). A few seconds of frames for a phone that
# falls behind, not a growing backlog of stale ones.
SEND_BUFFER = 16384
WRITE_BUFFER = 16384
WRITER_LIMIT = 4096
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PAGE_FILES = {"": ("index.html", "text/html"), "page.js": ("page.js", "text/javascript"),
              "page.css": ("page.css", "text/css")}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"}


def parse_address(text):
    """--web [HOST:]PORT -> (host, port). IPv6 hosts in brackets: [::]:8765."""
    host, sep, port = str(text).rpartition(":")
    host = host.strip("[]") if sep else DEFAULT_HOST
    try:
        port = int(port)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535 or (sep and not host):
        raise UserError(f"--web {text}: give [HOST:]PORT, e.g. --web 8765, or --web HOST:8765 with "
                        "this computer's address on your network "
                        "(port 1-65535, 0 for any free one)")
    return host, port


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: could be anything


def is_any(host):
    """Bound to every address of this computer (the unspecified address)."""
    try:
        return host == "" or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


# Asking the kernel which of our addresses routes toward a documentation
# address (RFC 5737) finds the one a phone on the same network would use;
# connecting a UDP socket only looks up the route, it sends nothing.
ROUTE_PROBE = "192.0.2.1"


def _lan_address():
    """This computer's address on the network, for a server bound to all of
    them (the unspecified address): what a phone would type. None if none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((ROUTE_PROBE, 9))
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ipaddress.ip_address(ip).is_loopback or ipaddress.ip_address(ip).is_unspecified else ip


class _Client:
    def __init__(self, ws, transport):
        self.ws = ws
        self.transport = transport
        self.wake = asyncio.Event()
        self.sent = 0


class Web(Sink):
    def __init__(self, host=DEFAULT_HOST, port=8765, token=None):
        self.host, self.port = host, port
        self.loopback = is_loopback(host)
        self.token = (secrets.token_urlsafe(16) if not self.loopback else "") if token is None else token
        self.prefix = f"/{self.token}/" if self.token else "/"
        self.clients = set()
        self.view = None
        self.frame = None       # the newest frame, encoded once for every client
        self.seq = 0
        self._since = None      # host time of the oldest update not yet in a frame
        self._sent_at = -1e9
        self._timer = None
        self._cue_n = 0
        self.ended = False
        self._runner = None
        self._pages = {}

    # -- the server --------------------------------------------------------
    async def open(self):
        """Listen; a port in use or an address not ours is a UserError."""
        root = files("ballsense.sinks") / "webpage"
        self._pages = {k: ((root / name).read_bytes(), ctype) for k, (name, ctype) in PAGE_FILES.items()}
        self.loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[self._guard])
        for name in PAGE_FILES:
            app.router.add_get(self.prefix + name, self._page)
        app.router.add_get(self.prefix + "ws", self._ws)
        app.router.add_get(self.prefix + "clock", self._clock)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as e:
            await self._runner.cleanup()
            why = ("no such host" if isinstance(e, socket.gaierror) else
                   os.strerror(e.errno).lower() if e.errno else str(e))
            raise UserError(f"--web {self.host}:{self.port}: cannot listen there ({why}): "
                            "give another port, or an address of this computer") from None
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self):
        """Let the senders flush the last frame (briefly), then close clients."""
        if self._runner is None:
            return
        if self._timer:
            self._timer.cancel()
        if self.clients:
            await asyncio.sleep(0.05)  # the senders take the last frame (stop's "ended") first
        for c in list(self.clients):
            if c.transport and c.transport.get_write_buffer_size():
                c.transport.abort()  # behind: it would only wait for the close frame
                continue
            try:
                await asyncio.wait_for(c.ws.close(code=1001, message=b"session ended"), 0.5)
            except (asyncio.TimeoutError, ConnectionError, RuntimeError):
                pass
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self):
        return await self.open()

    async def __aexit__(self, *exc):
        await self.close()

    @property
    def url(self):
        host = self.host
        if is_any(host):
            host = _lan_address() or socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.prefix}"

    def announce(self, out=None):
        """The URL on a line of its own; off loopback, a QR code of it too."""
        out = out or sys.stdout
        print("phone view (read-only):", file=out)
        print(self.url, file=out)
        if not self.loopback:
            import segno
            segno.make(self.url, error="m").terminal(out=out, compact=True)
            print("scan it with the phone's camera (same network); the code in it is this session's key",
                  file=out)
        out.flush()

    def _allowed(self, request):
        path = request.path
        if self.token:
            first = path[1:].split("/", 1)[0]
            return hmac.compare_digest(first.encode(), self.token.encode())
        return request.host in [f"{h}:{self.port}" for h in LOOPBACK_NAMES]

    @web.middleware
    async def _guard(self, request, handler):
        if not self._allowed(request):
            raise web.HTTPForbidden(text="403: this page needs the address printed by ballsense, key included\n")
        if self.token and request.path == f"/{self.token}":
            raise web.HTTPFound(self.prefix)
        resp = await handler(request)
        resp.headers.update(HEADERS)
        return resp

    async def _page(self, request):
        body, ctype = self._pages[request.path[len(self.prefix):]]
        return web.Response(body=body, content_type=ctype, charset="utf-8")

    async def _clock(self, request):
        """The host's clock (ms), for the page to align its own with (bench)."""
        return web.Response(text=f"{self.loop.time() * 1000:.3f}")

    async def _ws(self, request):
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="403: another site's page may not watch this session\n")
        if request.transport:
            request.transport.set_write_buffer_limits(high=WRITE_BUFFER)
            sock = request.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_IN_MSG, writer_limit=WRITER_LIMIT,
                                   compress=False)  # small frames: deflate would only cost CPU
        await ws.prepare(request)
        c = _Client(ws, request.transport)
        await ws.send_str(self._hello())
        if self.view is not None:
            if not self.ended:  # what it shows now, not when the last client left
                self.frame = self._encode(self.loop.time())
            c.wake.set()
        self.clients.add(c)
        pump = asyncio.create_task(self._pump(c))
        try:
            async for msg in ws:  # read-only: anything the page sends is dropped
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.clients.discard(c)
            pump.cancel()
        return ws

    async def _pump(self, c):
        """One client's sender: the newest frame whenever woken."""
        while not c.ws.closed:
            await c.wake.wait()
            c.wake.clear()
            try:
                await asyncio.wait_for(c.ws.send_str(self.frame), SEND_TIMEOUT_S)
            except asyncio.TimeoutError:
                if c.transport:
                    c.transport.abort()  # stalled: drop it, buffer and all
                return
            except (ConnectionError, RuntimeError):
                return
            c.sent += 1

    # -- the sink ----------------------------------------------------------
    def start(self, view):
        self.view = view

    def on_batch(self, view, events):
        self.view = view
        if not self.clients:
            return  # nothing to encode for; a new client gets a fresh frame
        now = self.loop.time()
        if self._since is None:
            self._since = now
        urgent = view.cue_n != self._cue_n or any(e.kind in URGENT for e in events)
        if urgent or now - self._sent_at >= 1 / MAX_HZ:
            self._publish()
        elif self._timer is None:
            self._timer = self.loop.call_at(self._sent_at + 1 / MAX_HZ, self._publish)

    def on_link(self, view):
        self.view = view
        if self.clients:
            self._publish()

    def stop(self, view):
        self.view = view
        if self._runner is not None:
            self._publish(ended=True)

    def _publish(self, ended=False):
        if self._timer:
            self._timer.cancel()
            self._timer = None
        now = self.loop.time()
        self.ended = self.ended or ended
        self.frame = self._encode(self._since if self._since is not None else now, self.ended)
        self._since, self._sent_at = None, now
        self._cue_n = self.view.cue_n
        for c in self.clients:
            c.wake.set()

    def _encode(self, host_s, ended=False):
        v = self.view
        self.seq += 1
        force = max(v.force_n, 0.0)
        return json.dumps({
            "type": "view", "seq": self.seq, "host_ms": round(host_s * 1000, 3), "ended": ended,
            "t": round(v.t_s, 2), "force": round(force, 1), "kg": round(force / G, 1),
            "state": v.state, "phase": v.phase,
            "gentle_max": v.gentle_max and round(v.gentle_max), "bar_top": bar_top(v.gentle_max),
            "breaths": v.breaths, "knee_drops": v.knee_drops,
            "hold_s": int(v.t_s - v.hold_since) if v.hold_since is not None else None,
            "alert": v.alert, "alerts": v.alerts, "link": v.link, "no_signal": v.no_signal,
            "battery": v.battery, "name": v.name,
            "side": v.side, "spot": v.spot, "cue_text": v.cue_text, "cue_n": v.cue_n})

    def _hello(self):
        """The words the page shows and says, from where they are written."""
        return json.dumps({
            "type": "hello", "state_words": STATE_WORDS, "phase_words": PHASE_WORDS, "alert_min_s": ALERT_MIN_S,
            "alert_words": {k: {"head": a.head, "sub": a.sub, "say": CUES[a.cue].spoken}
                            for k, a in ALERTS.items()},
            "no_signal_words": {"text": CUES["no_signal"].text, "say": CUES["no_signal"].spoken}})
