"""The host's model of each sensor kind: counts -> newtons, its nominal curve,
fitting it to known weights, and whether its reading creeps under load. A new
sensor is one module here (with its firmware driver in ballsense_fw/sensors
and its wire code in protocol.SENSORS). Each module has:

  LABEL, CREEP (bool), PARAMS (the calibration's numbers)
  nominal(board) -> params      newtons(params, counts)      counts(params, newtons)
  fit(counts, newtons) -> params (UserError when the points cannot be a curve)
  valid(params) -> bool"""
import importlib

from ballsense_fw import protocol as P
from ballsense_fw.config import DEFAULTS

KINDS = tuple(P.SENSORS.values())
DEFAULT = DEFAULTS["sensor"]  # a ball's sensor when nothing says otherwise


def model(kind):
    if kind not in KINDS:
        from ..errors import UserError
        raise UserError(f"unknown sensor {kind!r}: choose one of {', '.join(KINDS)}")
    return importlib.import_module(f"{__name__}.{kind}")
