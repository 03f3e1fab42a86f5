"""CSV export: seq,t_s,force_n (and gyro columns when the ball has an IMU),
sorted by sequence so backfilled samples land where they belong."""
import os

import numpy as np


def write_csv(path, seq, t_s, force_n, gyro=None):
    order = np.argsort(seq, kind="stable")
    cols = [np.asarray(seq)[order], np.asarray(t_s)[order], np.asarray(force_n)[order]]
    header = "seq,t_s,force_n"
    fmt = ["%d", "%.3f", "%.2f"]
    if gyro is not None:
        g = np.asarray(gyro)[order]
        cols += [g[:, 0], g[:, 1], g[:, 2]]
        header += ",gx_dps,gy_dps,gz_dps"
        fmt += ["%.0f"] * 3
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        np.savetxt(f, np.column_stack(cols), fmt=fmt, delimiter=",", header=header, comments="")
