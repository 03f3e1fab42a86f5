"""Where frames come from, chosen by URL the way pyserial's serial_for_url
chooses a transport:

  sim://[SCENARIO][?seed=N&speed=N&sensor=fsr|hx711&imu=1]  the emulated ball on USB
  sim+ble://[SCENARIO][?...&disconnect_every=S]             the emulated ball over emulated BLE
  serial:///dev/ttyACM0, /dev/ttyACM0, COM3                 a ball on USB serial
  socket://HOST:PORT                                        a ball behind a TCP bridge
  ble://[NAME|ADDRESS]                                      a ball over Bluetooth LE
  file://PATH or PATH.rec                                   a recording, replayed

Every source is an async context manager yielding raw wire frames from
`frames()` and taking commands through `send(frame)`."""
import os
from urllib.parse import urlsplit, parse_qs

from ..errors import LIMITS, UserError, check_number

KNOWN = "sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://NAME or a .rec file"


def parse(url):
    """URL -> (scheme, rest, options dict), checked: options that are numbers
    (errors.LIMITS) must be in range, a socket needs HOST:PORT, a port a name."""
    u = urlsplit(url)
    scheme = u.scheme.lower()
    if len(scheme) <= 1:  # a bare path (or a Windows drive letter)
        if not url.strip():
            raise UserError(f"no source given: use {KNOWN}")
        return ("file" if url.endswith((".rec", ".csv")) or os.path.isfile(url) else "serial"), url, {}
    opts = {k: v[-1] for k, v in parse_qs(u.query).items()}
    for k, v in opts.items():
        if k in LIMITS:
            check_number(k, v, f"{scheme}:// option {k}")
    if scheme in ("socket", "rfc2217"):
        _host_port(url, u)
    if scheme == "serial" and not (u.netloc + u.path):
        raise UserError(f"{url}: no port named: give one, e.g. serial:///dev/ttyACM0")
    return scheme, (u.netloc + u.path), opts


def _host_port(url, u):
    try:
        ok = u.hostname and u.port
    except ValueError:  # a port that is not a number
        ok = False
    if not ok:
        raise UserError(f"{url}: give the bridge as {u.scheme}://HOST:PORT with a port number, "
                        f"e.g. {u.scheme}://127.0.0.1:7000")


def open_source(url, **kw):
    scheme, rest, opts = parse(url)
    opts.update(kw)
    if scheme == "sim":
        from .sim import SimSource
        return SimSource(rest or "session", **opts)
    if scheme in ("serial", "socket", "rfc2217", "loop"):
        from .serial import SerialSource
        return SerialSource(rest if scheme == "serial" else url, **opts)
    if scheme == "sim+ble":
        from .simble import SimBleSource
        return SimBleSource(rest or "session", **opts)
    if scheme == "ble":
        from .ble import BleSource
        return BleSource(rest, **opts)
    if scheme == "file":
        from .file import FileSource
        return FileSource(rest, **opts)
    raise UserError(f"unknown source {url!r}: use {KNOWN}")


def require_file(path):
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file: check the path")
    return path
