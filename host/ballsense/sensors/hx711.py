"""A load cell on an HX711: linear, F = (counts - zero) / per_n; no creep."""
import numpy as np

from ballsense_fw.config import DEFAULTS
from ballsense_fw.sensors import hx711 as fw

from ..errors import UserError

LABEL = "HX711 load cell"
CREEP = False
PARAMS = ("zero", "per_n")


def nominal(board, shift=DEFAULTS["hx711_shift"]):  # raw >> shift -> counts, as the ball's config says
    return {"zero": float(fw.ZERO_COUNTS), "per_n": fw.NOMINAL_RAW_PER_N / 2 ** shift}


def newtons(p, counts):
    return (np.asarray(counts, float) - p["zero"]) / p["per_n"]


def counts(p, force_n):
    return np.asarray(force_n, float) * p["per_n"] + p["zero"]


def fit(c, f):
    per_n, zero = np.polyfit(f, c, 1)
    if per_n <= 0:
        raise UserError("the readings do not rise with the weight: check the load cell wiring")
    return {"zero": float(zero), "per_n": float(per_n)}


def valid(p):
    return p["per_n"] > 0
