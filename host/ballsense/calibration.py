"""Raw force counts -> newtons.

FSR: the divider output x = counts / 65535 gives the FSR's conductance relative
to the fixed resistor, g = x / (1 - x); force follows a power law in it,
F = a * g**b. HX711: linear, F = (counts - zero) / per_n.
Until a ball is calibrated with weights, the nominal curves of its sensor and
board (the same ones the emulated ball's physics uses) apply."""
from dataclasses import dataclass, asdict

import numpy as np

from ballsense_fw import boards as fw_boards
from ballsense_fw import protocol as P
from ballsense_fw.sensors import fsr as fw_fsr, hx711 as fw_hx711


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
    # R = R1N * F**-alpha and g = Rm / R  =>  F = (g * R1N / Rm) ** (1 / alpha)
    alpha = fw_fsr.NOMINAL_ALPHA
    return Calibration("fsr", a=(fw_fsr.NOMINAL_R_1N / b.FSR_DIVIDER_OHMS) ** (1 / alpha), b=1 / alpha)


def from_status(status):
    return nominal(P.SENSORS.get(status.get("sensor"), "fsr"), P.BOARDS.get(status.get("board"), "xiao_esp32c3"))
