"""Reading traces for analysis: CSV (t_s, force_n, optional gyro) and .rec
recordings, with clear errors for what cannot be used. A recording is
replayed through the live Intake (stream.py) with the live session's own
decisions, so analysis sees exactly the samples the live detector saw."""
import csv
import gc
from dataclasses import dataclass

import numpy as np

from . import calibration, sensors
from .errors import UserError, warn
from .protocol import RATE_MIN_HZ
from .recording import Decisions, Recording


@dataclass
class Trace:
    t: np.ndarray
    force: np.ndarray
    gyro: np.ndarray = None   # (n, 3) dps
    sensor: str = sensors.DEFAULT
    note: str = ""
    segments: list = None     # [(first index, rate_hz, has gyro)]: where the rate or the IMU changed
    settings: dict = None     # the live session's detector settings (a recording with a live detector)
    events: list = None       # ... and the events it raised, as noted
    notes: list = None        # every note of the recording


MIN_RATE_HZ = RATE_MIN_HZ  # the ball's slowest rate; slower is a wrong time column
MAX_RATE_HZ = 5000
NEGATIVE_N = -5.0     # a zero offset gives a few newtons below zero; more is a wrong calibration or column


def load(path):
    """A trace from a .rec or a CSV, checked; damage that still leaves a usable
    trace (a recording cut off mid-write) is printed as a warning."""
    tr = from_rec(path) if str(path).endswith(".rec") else from_csv(path)
    if tr.note:
        warn(path, tr.note)
    return tr


def from_csv(path):
    """Fast path with numpy; the slow path line by line, to name what is wrong."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            head = [h.strip() for h in f.readline().split(",")]
        if "t_s" in head and "force_n" in head:
            data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
            if data.shape[1] == len(head):
                return _csv_trace(path, head, data, np.arange(2, len(data) + 2))
    except (ValueError, UnicodeDecodeError, OSError, UserError):
        pass  # the slow path says what it was
    return _csv_trace(path, *_read_csv_checked(path))


def _read_csv_checked(path):
    """-> (header, numbers, line number of each row)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file: check the path") from None
    except (UnicodeDecodeError, IsADirectoryError, csv.Error):
        raise UserError(f"{path} is not a CSV text file: give a CSV with header t_s,force_n or a .rec") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror}): check its permissions") from None
    if not rows:
        raise UserError(f"{path} is empty: a CSV needs the header t_s,force_n and rows of numbers")
    head = [h.strip() for h in rows[0]]
    if "t_s" not in head or "force_n" not in head:
        raise UserError(f"{path}: header {','.join(head)[:60]!r} lacks t_s and force_n: the first line must "
                        "name the columns, e.g. t_s,force_n")
    body = [(n, row) for n, row in enumerate(rows[1:], 2) if "".join(row).strip() and not row[0].startswith("#")]
    data = []
    for n, row in body:
        try:
            data.append([float(row[i]) for i in range(len(head))])
        except (ValueError, IndexError):
            raise UserError(f"{path} line {n}: {','.join(row)[:40]!r} is not {len(head)} numbers "
                            f"({','.join(head)}): fix or delete that line") from None
    return head, np.array(data).reshape(-1, len(head)), np.array([n for n, _ in body])


def _csv_trace(path, head, data, lines):
    if len(data) < 2:
        raise UserError(f"{path}: fewer than 2 data rows: nothing to analyse")
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        raise UserError(f"{path} line {lines[np.argmax(bad)]}: a value is not a number (NaN or inf): "
                        "fix or delete that line")
    col = {c: data[:, i] for i, c in enumerate(head)}
    t, force = col["t_s"], col["force_n"]
    _check(t, force, lambda i: f"{path} line {lines[i]}", path)
    gyro = None
    if all(c in col for c in ("gx_dps", "gy_dps", "gz_dps")):
        gyro = np.column_stack([col["gx_dps"], col["gy_dps"], col["gz_dps"]])
    elif "gyro_dps" in col:
        gyro = np.column_stack([col["gyro_dps"], np.zeros(len(t)), np.zeros(len(t))])
    return Trace(t, force, gyro)


def _check(t, force, where, path):
    """What the detector cannot use, named where it is: `where(i)` names sample i."""
    step = np.diff(t)
    if np.any(step <= 0):
        i = int(np.argmax(step <= 0)) + 1
        what = f"stands still ({t[i]:.3f} s twice)" if step[i - 1] == 0 else \
            f"goes backwards ({t[i]:.3f} s after {t[i - 1]:.3f} s)"
        raise UserError(f"{where(i)}: time {what}: samples must be in time order, each at its own time")
    rate = 1.0 / float(np.median(step))
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise UserError(f"{path}: {rate:.3g} samples a second: the analysis needs {MIN_RATE_HZ} to {MAX_RATE_HZ} "
                        "(a ball records 100 a second; a CSV's t_s must be in seconds)")
    if force.min() < NEGATIVE_N:
        i = int(np.argmin(force))
        raise UserError(f"{where(i)}: force {force[i]:.1f} N, below zero: force must be newtons pressing on "
                        "the ball: recalibrate it (ballsense calibrate) or, for a CSV, fix the export")


def from_rec(path):
    rec = Recording(path)
    notes = rec.notes()
    dec = Decisions.of(notes)
    cal = calibration.from_dict(dec.calibration, path) if dec.calibration else None
    from .stream import Intake
    # the gaps a live detector went on without are gaps here too; a plain
    # `record` had no detector, so every sample counts
    intake = Intake(lambda st, name: cal or calibration.from_status(st, name),
                    recorded=dec if dec.settings else Decisions(epochs=dec.epochs))
    runs = []
    gc.disable()  # a million small objects, none of them garbage: collecting would only rescan them
    try:
        for raw in rec.frames():
            runs += intake.runs(raw)
        runs += intake.flush_runs()
    finally:
        gc.enable()
    if dec.end:  # where the live detector stopped
        last = (dec.end["epoch"], dec.end["seq"])
        runs = [([s for s in run if (s.epoch, s.seq) <= last], *rest) for run, *rest in runs]
        runs = [r for r in runs if r[0]]
    batches = intake.batches(runs)
    n = sum(len(b.seq) for b in batches)
    if n < 2:
        raise UserError(f"{path}: the recording holds fewer than 2 samples: nothing to analyse")
    segments, i = [], 0
    for b in batches:
        seg = (b.rate_hz, b.gyro is not None)
        if not segments or segments[-1][1:] != seg:
            segments.append((i, *seg))
        i += len(b.seq)
    t = np.concatenate([b.t_s for b in batches])
    force = np.concatenate([b.force_n for b in batches])
    _check(t, force, lambda i: f"{path} at {t[i]:.2f} s", path)
    gyro = None
    if any(g for _, _, g in segments):
        gyro = np.concatenate([b.gyro if b.gyro is not None else np.zeros((len(b.seq), 3)) for b in batches])
    note = rec.problems()
    if note:
        note += f"; {len(t)} samples ({t[-1] - t[0]:.2f} s) loaded"
    settings = dec.settings or _meta_settings(rec.meta, intake.calib.sensor)
    return Trace(t, force, gyro, intake.calib.sensor, note, segments, settings, dec.events, notes)


def _meta_settings(meta, sensor):
    """A recording without a live detector's settings (made before they were
    noted, or by `record`): the gentle maximum its meta names, given live or
    its person's profile; None when it names none."""
    if meta.get("gentle_max") is not None:
        gm, source = meta["gentle_max"], "given"
    else:
        from .profile import from_meta
        gm, source = from_meta(meta["profile"]).gentle_max() if "profile" in meta else None, "profile"
    return None if gm is None else {"gentle_max_n": gm, "gentle_max_source": source, "creep": sensors.model(sensor).CREEP}
