"""EDF+ export for clinics and research (docs/formats.md): the calibrated
force and the gyro as signals at the ball's rate, and what happened as
EDF+ annotations (the detector's states, phases, breaths, knee drops and
alerts; the spots with their sides; the guide's cues; gaps). Written with pyedflib, read by
EDFbrowser, MNE and any EDF+ reader."""
import datetime as dt
import math

import numpy as np

from . import sensors
from .errors import UserError
from .report import SIDES, private

RECORD_S = 1              # one EDF data record a second
DIGITAL = (-32768, 32767)
MIN_RANGE = {"force": 10.0, "gyro": 10.0}  # physical ranges at least this wide (N, deg/s)
MAX_ANNOTATION_SIGNALS = 64
MAX_TEXT = 40             # EDFlib writes at most this many characters of an annotation


def grid(t, rate):
    """Sample times -> (index of each on a regular grid, grid length). EDF
    holds an unbroken signal, so a sample missing from the recording is a gap
    on the grid."""
    idx = np.round((np.asarray(t, float) - t[0]) * rate).astype(int)
    return idx, int(idx[-1]) + 1


def regular(values, idx, n):
    """Values on the grid, gaps filled by straight lines between their ends."""
    out = np.interp(np.arange(n), idx, values)
    return out


def gaps(idx):
    """[(first missing index, how many)] on the grid."""
    d = np.diff(idx)
    at = np.flatnonzero(d > 1)
    return [(int(idx[i]) + 1, int(d[i]) - 1) for i in at]


def _range(x, kind, symmetric=False):
    """A physical range that holds the signal, in whole units (EDF writes
    them as 8 characters)."""
    lo, hi = float(np.min(x)), float(np.max(x))
    if symmetric:
        m = max(abs(lo), abs(hi), MIN_RANGE[kind] / 2)
        m = math.ceil(m * 1.05)
        return -m, m
    lo = min(0.0, math.floor(lo * 1.05))
    hi = max(lo + MIN_RANGE[kind], math.ceil(hi * 1.05))
    return lo, hi


def annotations(session):
    """What happened, as (onset s, duration s, text), onsets from the
    recording's first sample."""
    t0 = float(session.trace.t[0])
    out = []
    for st in session.summary["states"]:
        out.append((st["start_s"] - t0, st["end_s"] - st["start_s"], f"state {st['state']}"))
    for ph in session.summary.get("phases", []):
        out.append((ph["start_s"] - t0, ph["end_s"] - ph["start_s"], f"phase {ph['kind']}"))
    for e in session.events:
        if e.kind in ("state", "phase", "spot"):
            continue  # as spans, above and below
        text = e.kind
        if e.kind in ("alert", "alert_clear"):
            text = f"{e.kind} {e.alert} {e.value:.1f} N"
        elif e.kind == "gentle_max":
            text = f"gentle_max {e.value:.1f} N"
        out.append((e.t_s - t0, 0.0, text))
    for sp in session.spots:
        out.append((sp["start_s"] - t0, sp["end_s"] - sp["start_s"],
                    f"spot {sp['spot']}" + (f" {sp['side']}" if sp["side"] else "")))
    for n in session.notes:
        at = float(n.get("t_s", 0.0)) - t0
        if "cue" in n:
            out.append((at, 0.0, f"cue {n['cue']}"))
        elif n.get("side") in SIDES and "spot" not in n:  # --side; the guide's spot notes are the spots' sides
            out.append((at, 0.0, f"side {n['side']}"))
    return sorted((max(0.0, a), d, x) for a, d, x in out)


def write_edf(session, path):
    """The session as EDF+ (continuous): Force (N) and, with an IMU, Gyro X,
    Y, Z (deg/s), annotations as above, the start from the recording's meta."""
    import pyedflib
    from . import __version__
    from .analysis import rate_of

    tr = session.trace
    rate = rate_of(tr.t)
    idx, n = grid(tr.t, rate)
    records = -(-n // (rate * RECORD_S))
    pad = records * rate * RECORD_S - n
    chans = [("Force", "N", regular(tr.force, idx, n), "force", False,
              sensors.model(tr.sensor).LABEL)]
    if tr.gyro is not None:
        for i, axis in enumerate("XYZ"):
            chans.append((f"Gyro {axis}", "deg/s", regular(tr.gyro[:, i], idx, n), "gyro", True, "MEMS gyroscope"))
    notes = annotations(session)
    for at, k in gaps(idx):
        notes.append((at / rate, k / rate, f"gap: {k} samples interpolated"))
    if pad:
        notes.append((n / rate, pad / rate, "padding: recording ended"))
    notes.sort()
    try:
        w = pyedflib.EdfWriter(str(path), len(chans), file_type=pyedflib.FILETYPE_EDFPLUS)
    except OSError as e:
        raise UserError(f"{path}: cannot write the EDF+ file ({e}): check the folder") from None
    try:
        w.set_number_of_annotation_signals(min(MAX_ANNOTATION_SIGNALS, 1 + len(notes) // records))
        w.setStartdatetime(session.started or dt.datetime.now().replace(microsecond=0))
        w.setPatientName(_edf_text(session.person.name) or "X")
        w.setEquipment(f"ballsense_{__version__}")  # EDF+ subfields have no spaces
        w.setRecordingAdditional("emulated" if session.meta.get("emulated") else "")
        heads = []
        for label, unit, x, kind, sym, transducer in chans:
            lo, hi = _range(x, kind, sym)
            heads.append({"label": label, "dimension": unit, "sample_frequency": rate, "physical_min": lo,
                          "physical_max": hi, "digital_min": DIGITAL[0], "digital_max": DIGITAL[1],
                          "transducer": transducer, "prefilter": "none"})
        w.setSignalHeaders(heads)
        w.writeSamples([np.concatenate([x, np.full(pad, x[-1])]) for _, _, x, *_ in chans])
        for onset, dur, text in notes:
            w.writeAnnotation(onset, dur if dur > 0 else -1, text[:MAX_TEXT])
    finally:
        w.close()
    private(path)
    return {"samples": n, "gaps": sum(k for _, k in gaps(idx)), "annotations": len(notes), "rate_hz": rate}


def _edf_text(s):
    """EDF+ header subfields are ASCII without spaces."""
    return "".join(c if 33 <= ord(c) < 127 else "_" for c in str(s))[:40]
