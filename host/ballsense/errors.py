"""Bad input, said once and plainly: UserError, and the checks of numbers and
output paths that every command shares (cli.main runs them on the options;
sources run them on URL options)."""
import math
import os
import sys


class UserError(Exception):
    """Bad input or environment: printed as one line that says what was wrong and
    what to do, exit code 2, no traceback."""


# What a number from the user may be, by option name (--seconds, ?speed=...):
# (type, lowest, highest, what it is). Both ends inclusive.
LIMITS = {
    "seconds": (float, 0.01, 86400, "seconds"),
    "minutes": (float, 0.01, 10080, "minutes"),
    "gentle_max": (float, 1, 2000, "newtons"),
    "gentle_max_pct": (float, 1, 100, "percent of body weight"),
    "body_mass": (float, 20, 300, "kilograms"),
    "days": (int, 1, 366, "a whole number of days"),
    "wait": (float, 1, 3600, "seconds"),
    "speed": (int, 1, 100, "a whole time compression"),
    "seed": (int, 0, 2**32 - 1, "a whole number"),
    "first_seed": (int, 0, 2**32 - 1, "a whole number"),
    "seeds": (int, 1, 10000, "a whole number of scenarios"),
    "drop_every": (float, 0.1, 86400, "seconds"),
    "disconnect_every": (float, 0, 86400, "seconds (0: never)"),
    "give_up": (float, 0.1, 86400, "seconds"),
    "scan": (float, 0.1, 600, "seconds"),
    "baudrate": (int, 300, 4000000, "bits a second"),
}


def check_number(name, value, label):
    """`value` (a number or the text of one) within LIMITS[name], else a
    UserError that names `label` (e.g. "--seconds")."""
    kind, lo, hi, what = LIMITS[name]
    try:
        v = kind(value)
    except (TypeError, ValueError):
        v = None
    if v is None:
        problem = "is not a whole number" if kind is int else "is not a number"
    elif not math.isfinite(v):
        problem = "is not a number"
    elif not lo <= v <= hi:
        problem = "is out of range"
    else:
        return v
    shown = f"{value:g}" if isinstance(value, float) else value
    raise UserError(f"{label} {shown} {problem}: give {what} from {lo} to {hi}")


def check_output(path, label, exts):
    """An output file we can create: the right extension, in a folder that exists."""
    if exts and not path.lower().endswith(exts):
        raise UserError(f"{label} {path}: the file name must end in {' or '.join(exts)}")
    if os.path.isdir(path):
        raise UserError(f"{label} {path} is a folder: give a file name in it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{label} {path}: the folder {folder} does not exist: create it or write elsewhere")


def warn(path, text):
    """Damaged but usable input (a recording cut off mid-write): say so, go on."""
    print(f"ballsense: warning: {path}: {text}", file=sys.stderr)
