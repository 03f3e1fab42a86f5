"""EDF+ export (issue 18): a recording's force and gyro, and its events as
annotations, round-trip through pyedflib (the EDF library of EDFbrowser's
author), including a gap the link lost."""
import datetime as dt
from collections import Counter

import numpy as np
import pyedflib
import pytest

import recs
from ballsense import cli, export, report, scenarios
from ballsense.analysis import run
from ballsense.traces import from_rec

LOST = (61.0, 62.5)  # 150 samples the link never delivered
CUES = [{"cue": "breathe", "t_s": 9.5, "side": "left", "spot": 1},  # two of the guide's notes
        {"cue": "move_ball", "t_s": 80.1, "side": "left", "spot": 1}]


@pytest.fixture(scope="module", autouse=True)
def home(fresh_home):  # a fresh user's folders (conftest)
    return fresh_home


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("edf")
    rec, edf = d / "s.rec", d / "s.edf"
    t, force, gyro, sent = recs.write(rec, [("left", scenarios.demo(2)), ("right", scenarios.hold(5))],
                                "2024-05-07T18:20:05+0200", {"profile": {"name": "Ann Lee", "body_mass_kg": 64.0}},
                                lost=[LOST], notes=CUES)
    assert cli.main(["record", str(rec), "-o", str(edf)]) == 0
    assert edf.stat().st_mode & 0o077 == 0
    r = pyedflib.EdfReader(str(edf))
    yield rec, r, t, force, gyro, sent
    r.close()


def test_signals_round_trip(exported):
    rec, r, t, force, gyro, kept = exported
    assert r.getSignalLabels() == ["Force", "Gyro X", "Gyro Y", "Gyro Z"]
    assert [r.getPhysicalDimension(i) for i in range(4)] == ["N", "deg/s", "deg/s", "deg/s"]
    assert list(r.getSampleFrequencies()) == [100.0] * 4
    assert r.getStartdatetime() == dt.datetime(2024, 5, 7, 18, 20, 5)  # the recording's own start
    assert r.getPatientName() == "Ann Lee" and r.getEquipment().startswith("ballsense")
    n = len(t)
    assert r.getNSamples()[0] == 100 * int(np.ceil(n / 100))  # whole seconds, the last one padded
    assert 140 <= (~kept).sum() <= 160
    f = r.readSignal(0)[:n]
    step = (r.getPhysicalMaximum(0) - r.getPhysicalMinimum(0)) / 65535
    assert np.abs(f[kept] - force[kept]).max() <= step  # the digital resolution, no more
    gap = ~kept
    line = np.interp(t[gap], t[kept], force[kept])
    assert np.abs(f[gap] - line).max() <= step  # the gap: a straight line between its ends
    read = from_rec(str(rec))  # the gyro as recorded: the ball's latest reading for each sample
    assert np.array_equal(read.t, t[kept] - t[kept][0]) and np.allclose(read.force, force[kept])
    assert np.abs(read.gyro).max() > 30  # it rolls: there is something to carry
    for i in range(3):
        g = r.readSignal(1 + i)[:n]
        gstep = (r.getPhysicalMaximum(1 + i) - r.getPhysicalMinimum(1 + i)) / 65535
        assert np.abs(g[kept] - read.gyro[:, i]).max() <= gstep


def test_events_are_annotations(exported):
    rec, r, t, _, _, kept = exported
    onsets, durations, texts = r.readAnnotations()
    got = list(zip(np.round(onsets, 4), np.round(durations, 4), texts))
    # what the detector says about the recording, independently of the export
    tr = from_rec(str(rec))
    events, _, _ = run(tr.t, tr.force, tr.gyro)
    kinds = Counter(e.kind for e in events if e.kind not in ("state", "phase", "spot"))  # those: as spans
    assert kinds["breath"] >= 10 and kinds["knee_drop"] == 15  # the demo: 5 at each of 3 spots
    assert Counter(x.split()[0] for _, _, x in got if x.split()[0] in kinds) == kinds
    alerts = [(round(e.t_s - tr.t[0], 4), f"alert {e.alert} {e.value:.1f} N") for e in events if e.kind == "alert"]
    assert alerts and all(any(abs(o - a) < 2e-4 and x == text for o, _, x in got) for a, text in alerts)
    assert {"alert pressure_high", "alert rolling", "alert slip"} <= {" ".join(x.split()[:2]) for *_, x in got}
    # spots with their sides and lengths, the side notes, the guide's cues, the gap, the padding
    s = report.load(rec)
    spots = [(round(sp["start_s"], 4), round(sp["end_s"] - sp["start_s"], 4), f"spot {sp['spot']} {sp['side']}")
             for sp in s.spots]
    assert spots and all(x in got for x in spots)
    assert [x for *_, x in got if x.startswith("side ")] == ["side left", "side right"]  # --side's, not the cues'
    assert [(o, x) for o, _, x in got if x.startswith("cue ")] == [(9.5, "cue breathe"), (80.1, "cue move_ball")]
    [gap] = [(o, d_) for o, d_, x in got if x.startswith("gap")]
    lost = np.flatnonzero(~kept)
    assert gap == pytest.approx((t[lost[0]], len(lost) / 100), abs=1e-4)
    assert all(len(x) <= export.MAX_TEXT for *_, x in export.annotations(s))  # nothing cut short
    assert got[-1][2] == "padding: recording ended" and got[-1][0] == pytest.approx(len(t) / 100)
    # state spans tile the recording
    states = sorted((o, d_) for o, d_, x in got if x.startswith("state "))
    assert states[0][0] == 0 and all(abs(a[0] + a[1] - b[0]) < 2e-4 for a, b in zip(states, states[1:]))
    assert onsets.min() >= 0 and sorted(onsets) == list(onsets)


def test_live_source_to_edf(tmp_path, capsys):
    """Straight from the emulated ball (10x faster) into EDF+."""
    out = tmp_path / "live.edf"
    assert cli.main(["record", "sim://hold?seed=3&speed=10", "--seconds", "12", "-o", str(out)]) == 0
    with pyedflib.EdfReader(str(out)) as r:
        assert r.getNSamples()[0] == 1200 and r.getSignalLabels()[0] == "Force"
        assert any(x.startswith("state hold") for x in r.readAnnotations()[2])
        assert r.getRecordingAdditional() == "emulated"


def test_bad_output_is_one_line(tmp_path, capsys):
    assert cli.main(["record", "x.rec", "-o", str(tmp_path / "nodir" / "s.edf")]) == 2
    assert "the folder" in capsys.readouterr().err
