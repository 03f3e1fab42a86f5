"""Raw force counts -> newtons, through the model of the ball's sensor
(sensors/: an FSR's power law, a load cell's straight line). Until a ball is
calibrated with weights, the nominal curve of its sensor and board (the one
the emulated ball's physics uses) applies."""
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import platformdirs

from ballsense_fw import boards as fw_boards
from ballsense_fw import protocol as P

from . import sensors
from .errors import UserError


@dataclass
class Calibration:
    sensor: str                                  # a kind in sensors.KINDS
    params: dict = field(default_factory=dict)   # its model's numbers (sensors/<kind>.PARAMS)
    source: str = "nominal"

    @property
    def model(self):
        return sensors.model(self.sensor)

    def newtons(self, counts):
        return self.model.newtons(self.params, counts)

    def counts(self, newtons):
        """Inverse: the raw count at a force (for thresholds sent to the ball)."""
        return self.model.counts(self.params, newtons)

    def to_dict(self):
        return {"sensor": self.sensor, **self.params, "source": self.source}


def nominal(sensor, board="xiao_esp32c3"):
    return Calibration(sensor, sensors.model(sensor).nominal(fw_boards.load(board)))


def from_status(status, name=None):
    """The ball's stored calibration if it has one, else the nominal curve."""
    sensor = P.SENSORS.get(status.get("sensor"), sensors.DEFAULT)
    if name:
        stored = load(name)
        if stored and stored.sensor == sensor:
            return stored
    return nominal(sensor, P.BOARDS.get(status.get("board"), "xiao_esp32c3"))


def fit(sensor, counts, newtons):
    """Calibration from points (raw counts, known force)."""
    c = np.asarray(counts, float)
    f = np.asarray(newtons, float)
    if len(c) != len(f) or len(c) < 2:
        raise UserError("calibration needs at least 2 points (and the same number of counts and forces)")
    return Calibration(sensor, sensors.model(sensor).fit(c, f), source="fit")


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
    would turn every reading into nonsense forces. Older files carry every
    model's numbers; each model takes its own."""
    try:
        m = sensors.model(d["sensor"])
        params = {k: float(d[k]) for k in m.PARAMS}
        cal = Calibration(d["sensor"], params, str(d.get("source", "nominal")))
    except (KeyError, TypeError, ValueError, UserError):
        raise UserError(f"{where}: the calibration is corrupt ({str(d)[:80]}): run ballsense calibrate again") from None
    if not all(math.isfinite(v) for v in params.values()) or not m.valid(params):
        raise UserError(f"{where}: the calibration is out of range (sensor {cal.sensor!r}, "
                        + ", ".join(f"{k} {v}" for k, v in params.items()) + "): run ballsense calibrate again")
    return cal
