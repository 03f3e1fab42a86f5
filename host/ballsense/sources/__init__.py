"""Where frames come from, chosen by URL the way pyserial's serial_for_url
chooses a protocol handler: the scheme names a module here, which parses and
refuses its own options.

  sim://[SCENARIO][?seed=N&speed=N&sensor=fsr|hx711&imu=1]  the emulated ball on USB (sim.py)
  sim+ble://[SCENARIO][?...&disconnect_every=S]             the emulated ball over emulated BLE (simble.py)
  serial:///dev/ttyACM0, /dev/ttyACM0, COM3                 a ball on USB serial (serial.py)
  socket://HOST:PORT, rfc2217://HOST:PORT                   a ball behind a TCP bridge (socket.py, rfc2217.py)
  ble://[NAME|ADDRESS]                                      a ball over Bluetooth LE (ble.py)
  file://PATH or PATH.rec                                   a recording, replayed (file.py)

A new scheme is one module with `SOURCE = YourSource`, a subclass of Source."""
import importlib
import os
import re
from abc import ABC, abstractmethod
from urllib.parse import urlsplit, parse_qs

from ..errors import LIMITS, UserError, check_number

KNOWN = "sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://NAME or a .rec file"
FLAG = "flag"  # an option kind: 1/0, true/false, yes/no


def _no_link(state, **info):
    pass


class Source(ABC):
    """What every source has, as bleak's BaseBleakClient is for its backends.
    An async context manager: `frames()` yields raw wire frames (read it
    once), `send(frame)` takes a command frame. The one reading it (the
    Stream) sets `on_link` once, to hear of link changes."""
    link = "?"          # what the view shows: usb, ble, sim-usb, sim-ble, file
    commands = True     # it takes commands (a recording played back does not)
    OPTIONS = {}        # the URL options it takes: name -> int, float, str or FLAG

    def __init__(self):
        self.on_link = _no_link
        self.speed = 1          # time compression (the emulated ball)
        self.reconnects = 0
        self.gave_up = None     # why it stopped trying, once it did
        self.decisions = None   # a recording's: what its live session decided (recording.Decisions)

    @classmethod
    def from_url(cls, url, rest, options):
        """The source for a URL's part after the scheme, and its checked options."""
        return cls(rest, **options)

    @classmethod
    def options(cls, scheme, given):
        """{name: text or value} -> typed values; an unknown name or a bad
        value is a one-line error naming what this scheme takes."""
        out = {}
        for k, v in given.items():
            kind = cls.OPTIONS.get(k)
            if kind is None:
                known = ", ".join(cls.OPTIONS) or "none"
                raise UserError(f"{scheme}:// has no option {k!r}: its options are {known}")
            out[k] = _typed(scheme, k, v, kind)
        return out

    @property
    def device_t0_us(self):
        """Sample 0's due time in host monotonic us mod 2^30, where the source
        can tell (the emulated ball shares the machine's clock); else None."""
        return None

    @property
    def notes(self):
        """A recording's notes (a .rec played back), else none."""
        return []

    def squeeze(self):
        """Make the pairing gesture on the ball, where the source can (the
        emulated ball): -> True if it did; a real ball needs a hand."""
        return False

    @property
    def bad_frames(self):
        """Frames the transport itself dropped (serial: garbage, bad CRC)."""
        return 0

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    @abstractmethod
    def frames(self):
        """An async iterator of raw frames; it ends when the ball is gone."""

    @abstractmethod
    async def send(self, frame):
        """One command frame to the ball."""


def _typed(scheme, name, value, kind):
    label = f"{scheme}:// option {name}"
    if name in LIMITS:
        return check_number(name, value, label)
    if kind is FLAG:
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(f"{label} {value}: give 1 or 0")
    try:
        return kind(value)
    except (TypeError, ValueError):
        what = {int: "a whole number", float: "a number"}.get(kind, "a word")
        raise UserError(f"{label} {value} is not {what}") from None


def parse(url):
    """URL -> (scheme, rest, options given); open_source checks them."""
    u = urlsplit(url)
    scheme = u.scheme.lower()
    if len(scheme) <= 1:  # a bare path (or a Windows drive letter)
        if not url.strip():
            raise UserError(f"no source given: use {KNOWN}")
        return ("file" if url.endswith((".rec", ".csv")) or os.path.isfile(url) else "serial"), url, {}
    return scheme, (u.netloc + u.path), {k: v[-1] for k, v in parse_qs(u.query).items()}


def source_class(scheme, url=None):
    """The Source subclass for a scheme: the module of that name's SOURCE."""
    name = scheme.replace("+", "")
    mod = None
    if re.fullmatch(r"[a-z][a-z0-9]*", name):
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    cls = getattr(mod, "SOURCE", None)
    if cls is None:
        raise UserError(f"unknown source {url or scheme!r}: use {KNOWN}")
    return cls


def open_source(url, **kw):
    """The source a URL names; `kw` are options too, checked the same way."""
    scheme, rest, given = parse(url)
    cls = source_class(scheme, url)
    return cls.from_url(url, rest, cls.options(scheme, {**given, **kw}))


def require_file(path):
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file: check the path")
    return path
