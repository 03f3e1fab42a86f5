"""Recordings made quickly, for tests: a scenario's force and gyro sampled at
the ball's rate the way evaluate samples them, encoded as the ball's own frames
(status, IMU, data: ballsense_fw.protocol) and written through the project's
recorder, with the start time, meta and side notes a test asks for. No
real-time emulation: a three-minute session is written in a fraction of a
second and reads back exactly as a recording of the emulated ball does."""
import numpy as np

from ballsense import calibration
from ballsense.evaluate import sample
from ballsense.recording import RecWriter
from ballsense.scenarios import RATE_HZ
from ballsense_fw import protocol as P

RATE = 100
PER_FRAME = 10


def status(rate=RATE, imu=True):
    return P.encode_status(dict(fw_major=0, fw_minor=1, fw_patch=0, board=0, sensor=1, flags=P.F_IMU if imu else 0,
                                rate_hz=rate, battery_pct=80, error=0, token=0, next_seq=0, threshold=0,
                                epoch=0, epoch_seq=0))


def write(path, parts, started, meta=None, rate=RATE, lost=(), notes=(), settings=None):
    """parts: [(side or None, Scenario)], played one after the other; a side
    note (as `--side` writes it) where each part begins, unless `side` is
    None; `lost`: [(from s, to s)] in which data frames never arrived;
    `notes`: [dict with "t_s"], each written where its time comes (the
    guide's spot and cue notes, say); `settings`: the detector's settings
    (settings.Settings) noted as a live session notes them (else none, as
    `record` writes). -> (t, force, gyro, sent) as the ball sampled them,
    `sent` False where a frame was lost, for checks."""
    t0, force, gyro, marks = 0.0, [], [], []
    for side, sc in parts:
        _, f, g = sample(sc, rate)
        if side:
            marks.append((t0, side))
        force.append(f)
        gyro.append(g)
        t0 += len(f) / rate
    force, gyro = np.concatenate(force), np.concatenate(gyro)
    cal = calibration.nominal("fsr", "sim")
    counts = np.clip(np.round(cal.counts(force)), 0, 65535).astype(int).tolist()
    lsb = np.clip(np.trunc(gyro / P.GYRO_DPS_PER_LSB), -128, 127).astype(int)
    w = RecWriter(str(path), dict({"source": "serial:///dev/ttyACM0", "tool": "ballsense live",
                                   "started": started}, **(meta or {})))
    w.frame(status(rate))
    w.note(calibration=cal.to_dict())
    if settings is not None:
        w.note(settings=settings.note())
    marks = sorted([(t, {"side": side, "t_s": t}) for t, side in marks] + [(n["t_s"], n) for n in notes],
                   key=lambda m: m[0])
    sent = np.ones(len(counts), bool)
    seq = 0
    while seq < len(counts):
        while marks and marks[0][0] <= seq / rate + 1e-9:
            w.note(**marks.pop(0)[1])
        k = P.batch_len(counts, seq, min(PER_FRAME, len(counts) - seq), PER_FRAME)
        ms = seq * 1000 // rate
        if any(a <= seq / rate < b for a, b in lost):
            sent[seq:seq + k] = False
        else:
            w.frame(P.encode_imu(seq, ms, 1, [tuple(int(v) for v in lsb[seq])]))
            w.frame(P.encode_data(seq, ms, counts[seq:seq + k]))
        seq += k
    for _, n in marks:  # notes after the last sample
        w.note(**n)
    w.close()
    return np.arange(len(force)) / rate, cal.newtons(np.asarray(counts, float)), lsb * P.GYRO_DPS_PER_LSB, sent


def truth(parts, rate=RATE):
    """The scenarios' own ground truth on the recording's clock, spot by spot
    (Scenario.phases and Scenario.events): [{side, start_s, end_s, phases:
    [(start_s, end_s, kind, breaths)], breaths, knee_drops, spike, rolling,
    slip}], in the order the parts were played."""
    out, t0 = [], 0.0
    for side, sc in parts:
        spots = {}
        for s, e, kind, n in sc.phases:
            if kind != "off":
                spots.setdefault(n, []).append((t0 + s, t0 + e, kind))
        events = [(t0 + x, kind) for x, kind in sc.events]
        for n, phases in sorted(spots.items()):
            a, b = phases[0][0], phases[-1][1]
            sp = {"side": side, "start_s": a, "end_s": b, "breaths": 0, "knee_drops": 0, "spike": 0, "rolling": 0,
                  "slip": 0, "phases": [(s, e, k, sum(1 for x, kind in events if kind == "breath" and s <= x < e))
                                        for s, e, k in phases]}
            for x, kind in events:
                key = {"breath": "breaths", "knee_drop": "knee_drops"}.get(kind, kind)
                if key in sp and a <= x < b:
                    sp[key] += 1
            out.append(sp)
        t0 += len(sample(sc, rate)[1]) / rate
    return out


def true_force(parts, rate=RATE):
    """The scenarios' true force (no creep, noise or glitches), as the ball sampled it."""
    return np.concatenate([sc.true_force[::RATE_HZ // rate] for _, sc in parts])  # as evaluate.sample


def excursions(parts, limit, rate=RATE):
    """[(start_s, end_s)] in which the true force was above `limit` N, on the
    recording's clock (from the scenarios' full-rate force)."""
    from ballsense.scenarios import _excursions
    out, t0 = [], 0.0
    for _, sc in parts:
        out += [(t0 + s, t0 + e) for s, e in _excursions(sc.true_force, limit)]
        t0 += len(sample(sc, rate)[1]) / rate
    return out
