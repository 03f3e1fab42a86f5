"""A force-sensitive resistor in a divider: the output x = counts / 65535
gives its conductance relative to the fixed resistor, g = x / (1 - x); force
follows a power law in it, F = a * g**b. Its reading creeps up under a steady
load (ballsense_fw.sensors.fsr has the model; detect.py divides it out)."""
import numpy as np
from scipy.optimize import curve_fit

from ballsense_fw.sensors import fsr as fw

from ..errors import UserError

LABEL = "FSR"
CREEP = True
PARAMS = ("a", "b")


def nominal(board):
    """The inverse of fw.divider_fraction: R = R1N * F**-alpha and g = Rm / R
    => F = (g * R1N / Rm) ** (1 / alpha)."""
    alpha = fw.NOMINAL_ALPHA
    return {"a": (fw.NOMINAL_R_1N / board.FSR_DIVIDER_OHMS) ** (1 / alpha), "b": 1 / alpha}


def newtons(p, counts):
    x = np.clip(np.asarray(counts, float) / fw.FULL_SCALE, 1e-9, 1 - 1e-6)
    return p["a"] * (x / (1 - x)) ** p["b"]


def counts(p, force_n):
    g = (np.maximum(np.asarray(force_n, float), 0) / p["a"]) ** (1 / p["b"])
    return fw.FULL_SCALE * g / (1 + g)


def fit(c, f):
    """Power law in conductance, fitted in log space first, then refined by
    least squares on newtons."""
    loaded = f > 0
    if loaded.sum() < 2:
        raise UserError("an FSR calibration needs at least 2 points with weight on the ball")
    x = np.clip(c[loaded] / fw.FULL_SCALE, 1e-6, 1 - 1e-6)
    g = x / (1 - x)
    if np.any(np.diff(g[np.argsort(f[loaded])]) <= 0):
        raise UserError("the readings do not rise with the weight: check the FSR and its divider")
    b0, loga = np.polyfit(np.log(g), np.log(f[loaded]), 1)
    (a, b), _ = curve_fit(lambda gg, a, b: a * gg ** b, g, f[loaded], p0=(np.exp(loga), b0), maxfev=5000)
    return {"a": float(a), "b": float(b)}


def valid(p):
    return p["a"] > 0 and 0.1 <= p["b"] <= 10
