"""Reading traces for analysis: CSV (t_s, force_n, optional gyro) and .rec
recordings, with clear errors for what cannot be used."""
import csv
from dataclasses import dataclass

import numpy as np

from . import calibration
from .errors import UserError
from .protocol import Assembler, FrameError, decode
from .recording import Recording


@dataclass
class Trace:
    t: np.ndarray
    force: np.ndarray
    gyro: np.ndarray = None   # (n, 3) dps
    sensor: str = "fsr"
    note: str = ""


def load(path):
    if str(path).endswith(".rec"):
        return from_rec(path)
    return from_csv(path)


def from_csv(path):
    """Fast path with numpy; the slow path only to name what is wrong."""
    try:
        with open(path) as f:
            head = [h.strip() for h in f.readline().split(",")]
        if "t_s" in head and "force_n" in head:
            data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
            if data.shape[1] == len(head) and len(data) >= 2 and np.all(np.isfinite(data)):
                return _trace(path, head, data)
    except (ValueError, UnicodeDecodeError, OSError):
        pass
    return _from_csv_checked(path)


def _trace(path, head, data):
    col = {c: data[:, i] for i, c in enumerate(head)}
    t, force = col["t_s"], col["force_n"]
    _check(path, t, force)
    gyro = None
    if all(c in col for c in ("gx_dps", "gy_dps", "gz_dps")):
        gyro = np.column_stack([col["gx_dps"], col["gy_dps"], col["gz_dps"]])
    elif "gyro_dps" in col:
        gyro = np.column_stack([col["gyro_dps"], np.zeros(len(t)), np.zeros(len(t))])
    return Trace(t, force, gyro)


def _from_csv_checked(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file: check the path") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise UserError(f"{path} is not a CSV text file: give a CSV with header t_s,force_n or a .rec") from None
    if not rows:
        raise UserError(f"{path} is empty: a CSV needs the header t_s,force_n and rows of numbers")
    head = [h.strip() for h in rows[0]]
    if "t_s" not in head or "force_n" not in head:
        raise UserError(f"{path}: header {','.join(head)[:60]!r} lacks t_s and force_n: the first line must "
                        "name the columns, e.g. t_s,force_n")
    body = [row for row in rows[1:] if row]
    if len(body) < 2:
        raise UserError(f"{path}: fewer than 2 data rows: nothing to analyse")
    try:
        data = np.array([[float(row[head.index(c)]) for c in head] for row in body])
    except (ValueError, IndexError):
        bad = next(i for i, row in enumerate(body, 2) if not _numeric(row, len(head)))
        raise UserError(f"{path}: line {bad} is not {len(head)} numbers: fix or delete that line") from None
    return _trace(path, head, data)


def _numeric(row, n):
    try:
        return len(row) >= n and all(np.isfinite(float(x)) for x in row[:n])
    except ValueError:
        return False


def _check(path, t, force):
    if not np.all(np.isfinite(t)) or not np.all(np.isfinite(force)):
        i = int(np.flatnonzero(~(np.isfinite(t) & np.isfinite(force)))[0]) + 2
        raise UserError(f"{path}: line {i} has a value that is not a number (NaN or inf): fix or delete it")
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        raise UserError(f"{path}: time goes backwards or stands still at line {int(back[0]) + 3} "
                        f"(t_s {t[back[0]]} then {t[back[0] + 1]}): sort the rows by t_s")
    if force.min() < -5:
        i = int(np.argmin(force)) + 2
        raise UserError(f"{path}: line {i} has force {force.min():.1f} N, below zero: the force_n column must be "
                        "newtons on the ball (recalibrate or fix the export)")


def from_rec(path):
    rec = Recording(path)
    asm = Assembler()
    seq, t, counts, gyro = [], [], [], []
    for raw in rec.frames():
        try:
            f = decode(raw)
        except FrameError:
            continue
        for s in asm.feed(f):
            seq.append(s.seq)
            t.append(s.t_s)
            counts.append(s.counts)
            gyro.append(s.gyro or (0.0, 0.0, 0.0))
    if len(seq) < 2:
        raise UserError(f"{path}: the recording holds fewer than 2 samples: nothing to analyse")
    order = np.argsort(seq, kind="stable")
    used = [n["calibration"] for n in rec.notes() if "calibration" in n]
    cal = calibration.Calibration(**used[0]) if used else calibration.from_status(asm.status, asm.name)
    c = np.asarray(counts, float)[order]
    has_gyro = bool(asm.status.get("flags", 0) & 1)
    return Trace(np.asarray(t)[order], cal.newtons(c), np.asarray(gyro)[order] if has_gyro else None,
                 cal.sensor, rec.problems())
