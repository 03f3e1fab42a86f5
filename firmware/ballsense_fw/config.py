# Device config: a JSON file on the ball's flash. Every value is validated before
# it is applied or written; a bad value is refused, never clamped.
import json

from . import protocol as P

FILE = "ballsense.json"

DEFAULTS = {
    "name": "ballsense",
    "board": "xiao_esp32c3",
    "sensor": "fsr",          # fsr | hx711
    "imu": False,
    "rate_hz": P.RATE_DEFAULT_HZ,
    "threshold": 0,           # on-ball alert level in raw counts; 0 = off
    "threshold_off": 0,       # alert clears below this (hysteresis)
    "hx711_shift": 6,         # raw 24-bit reading >> shift -> counts
    "payload": P.ATT_DEFAULT_PAYLOAD,
}


def check(key, value):
    """None when `value` is valid for `key`, else the reason it is not."""
    if key not in DEFAULTS:
        return "unknown setting %r" % key
    if key == "name":
        if not isinstance(value, str) or not value:
            return "name must be a non-empty string"
        if len(value.encode()) > P.NAME_MAX_BYTES:
            return "name longer than %d bytes" % P.NAME_MAX_BYTES
        for ch in value:
            if ord(ch) < 32:
                return "name has control characters"
        return None
    if key == "board":
        return None if value in P.BOARDS.values() else "unknown board %r" % value
    if key == "sensor":
        return None if value in P.SENSORS.values() else "unknown sensor %r" % value
    if key == "imu":
        return None if value in (True, False) else "imu must be true or false"
    if not isinstance(value, int) or isinstance(value, bool):
        return "%s must be an integer" % key
    if key == "rate_hz" and not P.RATE_MIN_HZ <= value <= P.RATE_MAX_HZ:
        return "rate_hz %d outside %d..%d" % (value, P.RATE_MIN_HZ, P.RATE_MAX_HZ)
    if key in ("threshold", "threshold_off") and not 0 <= value <= 0xFFFF:
        return "%s %d outside 0..65535" % (key, value)
    if key == "hx711_shift" and not 0 <= value <= 12:
        return "hx711_shift %d outside 0..12" % value
    if key == "payload" and not 20 <= value <= 244:
        return "payload %d outside 20..244" % value
    return None


def check_all(cfg):
    for k in cfg:
        why = check(k, cfg[k])
        if why:
            return why
    if cfg.get("threshold_off", 0) > cfg.get("threshold", 0):
        return "threshold_off above threshold"
    return None


def load(path=FILE):
    """Defaults overlaid with the file; a missing file gives the defaults, a
    corrupt one raises ValueError (the caller reports it and keeps defaults)."""
    cfg = dict(DEFAULTS)
    try:
        with open(path) as f:
            stored = json.load(f)
    except OSError:
        return cfg
    if not isinstance(stored, dict):
        raise ValueError("config file is not a JSON object")
    why = check_all(stored)
    if why:
        raise ValueError("config file: " + why)
    cfg.update(stored)
    return cfg


def save(cfg, path=FILE):
    why = check_all(cfg)
    if why:
        raise ValueError(why)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f)
    import os
    os.rename(tmp, path)


EPOCH_FILE = "epoch"


def next_epoch(path=EPOCH_FILE):
    """The sequence epoch for this boot: one past the last one used, stored
    so a reboot never repeats it (docs/protocol.md); random when the flash
    cannot be read."""
    try:
        with open(path) as f:
            e = int(f.read()) + 1
    except (OSError, ValueError):
        import os
        e = os.urandom(1)[0]
    save_epoch(e)
    return e & 0xFF


def save_epoch(e, path=EPOCH_FILE):
    try:
        with open(path, "w") as f:
            f.write(str(e & 0xFF))
    except OSError:
        pass  # a read-only flash: the next boot draws a random epoch
