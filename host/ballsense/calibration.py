"""Raw force counts -> newtons.

FSR: the divider output x = counts / 65535 gives the FSR's conductance relative
to the fixed resistor, g = x / (1 - x); force follows a power law in it,
F = a * g**b. HX711: linear, F = (counts - zero) / per_n.
Until a ball is calibrated with weights, the nominal curves of its sensor and
board (the same ones the emulated ball's physics uses) apply."""
import json
import math
import os
from dataclasses import dataclass, asdict
from pathlib import Path

import numpy as np
import platformdirs
from scipy.optimize import curve_fit

from ballsense_fw import boards as fw_boards
from ballsense_fw import protocol as P
from ballsense_fw.sensors import fsr as fw_fsr, hx711 as fw_hx711

from .errors import UserError


@dataclass
class Calibration:
    sensor: str           # fsr | hx711
    a: float = 0.0        # fsr: scale
    b: float = 1.0        # fsr: exponent
    zero: float = 0.0     # hx711: counts at no load
    per_n: float = 1.0    # hx711: counts per newton
    source: str = "nominal"

    def newtons(self, counts):
        c = np.asarray(counts, dtype=float)
        if self.sensor == "hx711":
            return (c - self.zero) / self.per_n
        x = np.clip(c / 65535.0, 1e-9, 1 - 1e-6)
        return self.a * (x / (1 - x)) ** self.b

    def counts(self, newtons):
        """Inverse: the raw count at a force (for thresholds sent to the ball)."""
        f = np.asarray(newtons, dtype=float)
        if self.sensor == "hx711":
            return f * self.per_n + self.zero
        g = (np.maximum(f, 0) / self.a) ** (1 / self.b)
        return 65535.0 * g / (1 + g)

    def to_dict(self):
        return asdict(self)


def nominal(sensor, board="xiao_esp32c3", hx711_shift=6):
    if sensor == "hx711":
        return Calibration("hx711", zero=fw_hx711.ZERO_COUNTS,
                           per_n=fw_hx711.NOMINAL_RAW_PER_N / 2 ** hx711_shift)
    b = fw_boards.load(board)
    # the inverse of fsr.divider_fraction: R = R1N * F**-alpha and g = Rm / R
    #   =>  F = (g * R1N / Rm) ** (1 / alpha)
    alpha = fw_fsr.NOMINAL_ALPHA
    return Calibration("fsr", a=(fw_fsr.NOMINAL_R_1N / b.FSR_DIVIDER_OHMS) ** (1 / alpha), b=1 / alpha)


def from_status(status, name=None):
    """The ball's stored calibration if it has one, else the nominal curve."""
    sensor = P.SENSORS.get(status.get("sensor"), "fsr")
    if name:
        stored = load(name)
        if stored and stored.sensor == sensor:
            return stored
    return nominal(sensor, P.BOARDS.get(status.get("board"), "xiao_esp32c3"))


def fit(sensor, counts, newtons):
    """Calibration from points (raw counts, known force). FSR: power law in
    conductance, fitted in log space first, then refined by least squares on
    newtons; HX711: a straight line."""
    c = np.asarray(counts, float)
    f = np.asarray(newtons, float)
    if len(c) != len(f) or len(c) < 2:
        raise UserError("calibration needs at least 2 points (and the same number of counts and forces)")
    if sensor == "hx711":
        per_n, zero = np.polyfit(f, c, 1)
        if per_n <= 0:
            raise UserError("the readings do not rise with the weight: check the load cell wiring")
        return Calibration("hx711", zero=float(zero), per_n=float(per_n), source="fit")
    loaded = f > 0
    if loaded.sum() < 2:
        raise UserError("an FSR calibration needs at least 2 points with weight on the ball")
    x = np.clip(c[loaded] / 65535.0, 1e-6, 1 - 1e-6)
    g = x / (1 - x)
    if np.any(np.diff(g[np.argsort(f[loaded])]) <= 0):
        raise UserError("the readings do not rise with the weight: check the FSR and its divider")
    b0, loga = np.polyfit(np.log(g), np.log(f[loaded]), 1)
    (a, b), _ = curve_fit(lambda gg, a, b: a * gg ** b, g, f[loaded], p0=(np.exp(loga), b0), maxfev=5000)
    return Calibration("fsr", a=float(a), b=float(b), source="fit")


def folder():
    return Path(platformdirs.user_config_dir("ballsense")) / "calibration"


def _path(name):
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "ball"
    return folder() / f"{safe}.json"


def save(name, cal):
    folder().mkdir(parents=True, exist_ok=True, mode=0o700)
    p = _path(name)
    tmp = p.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(cal.to_dict(), f, indent=1)
    os.replace(tmp, p)
    return p


def load(name):
    p = _path(name)
    try:
        d = json.loads(p.read_text())
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise UserError(f"{p} is corrupt ({e}): delete it and run ballsense calibrate again") from None
    return from_dict(d, p)


def from_dict(d, where):
    """A stored calibration (a file, a recording's note), checked: a broken one
    would turn every reading into nonsense forces."""
    try:
        cal = Calibration(**d)
        nums = [float(v) for v in (cal.a, cal.b, cal.zero, cal.per_n)]
    except (TypeError, ValueError):
        raise UserError(f"{where}: the calibration is corrupt ({str(d)[:80]}): run ballsense calibrate again") from None
    fsr_ok = cal.sensor == "fsr" and nums[0] > 0 and 0.1 <= nums[1] <= 10
    hx_ok = cal.sensor == "hx711" and nums[3] > 0
    if not all(math.isfinite(v) for v in nums) or not (fsr_ok or hx_ok):
        raise UserError(f"{where}: the calibration is out of range (sensor {cal.sensor!r}, a {cal.a}, b {cal.b}, "
                        f"zero {cal.zero}, per_n {cal.per_n}): run ballsense calibrate again")
    return cal
