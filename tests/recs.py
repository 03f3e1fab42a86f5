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
from ballsense_fw import protocol as P

RATE = 100
PER_FRAME = 10


def status(rate=RATE, imu=True):
    return P.encode_status(dict(fw_major=0, fw_minor=1, fw_patch=0, board=0, sensor=1, flags=P.F_IMU if imu else 0,
                                rate_hz=rate, battery_pct=80, error=0, token=0, next_seq=0, threshold=0))


def write(path, parts, started, meta=None, rate=RATE, lost=()):
    """parts: [(side or None, Scenario)], played one after the other; a side
    note (as the guide writes it) where each part begins; `lost`: [(from s,
    to s)] in which data frames never arrived. -> (t, force, gyro, sent) as
    the ball sampled them, `sent` False where a frame was lost, for checks."""
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
    sent = np.ones(len(counts), bool)
    seq = 0
    while seq < len(counts):
        while marks and marks[0][0] <= seq / rate + 1e-9:
            w.note(side=marks.pop(0)[1], t_s=seq / rate)
        k = P.batch_len(counts, seq, min(PER_FRAME, len(counts) - seq), PER_FRAME)
        ms = seq * 1000 // rate
        if any(a <= seq / rate < b for a, b in lost):
            sent[seq:seq + k] = False
        else:
            w.frame(P.encode_imu(seq, ms, 1, [tuple(int(v) for v in lsb[seq])]))
            w.frame(P.encode_data(seq, ms, counts[seq:seq + k]))
        seq += k
    w.close()
    return np.arange(len(force)) / rate, cal.newtons(np.asarray(counts, float)), lsb * P.GYRO_DPS_PER_LSB, sent
