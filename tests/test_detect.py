"""Filters and detector: chunk invariance, glitch-proof fast pressure alerts,
no alerts from breathing, knee drops or creep, rolling with and without gyro,
and the analyze command's JSON."""
import json
import subprocess
import sys

import numpy as np
import pytest

from ballsense import scenarios as S
from ballsense.analysis import analyze, run
from ballsense.detect import Detector, ordered
from ballsense.evaluate import sample, score
from ballsense.filters import Median, Sos, Diff, RunLength

RATE = 100


@pytest.mark.parametrize("make", [lambda: Median(5), lambda: Sos.lowpass(2, RATE),
                                  lambda: Sos.bandpass(1, 6, RATE), lambda: Diff(RATE)])
def test_filters_same_in_any_chunks(make):
    x = np.random.default_rng(3).normal(100, 10, 5000)
    whole = make()(x)
    f = make()
    cuts = np.unique(np.r_[0, np.random.default_rng(4).integers(0, 5000, 60), 1, 2, 5000])
    parts = np.concatenate([f(x[a:b]) for a, b in zip(cuts, cuts[1:])])
    assert np.max(np.abs(whole - parts)) <= 1e-9


def test_run_length_across_chunks():
    r = RunLength()
    a = r(np.array([1, 1, 0, 1], bool))
    b = r(np.array([1, 1, 0], bool))
    assert list(a) == [1, 2, 0, 1] and list(b) == [2, 3, 0]


@pytest.mark.parametrize("given", [True, False])  # False: the gentle max is learnt mid-stream
def test_detector_events_same_in_any_chunks(given):
    sc = S.session(5)
    t, f, g = sample(sc)
    gm = sc.gentle_max_n if given else None
    ev1, comp1, _ = run(t, f, g, RATE, gm)
    assert any(e.alert == "pressure_high" for e in ev1)
    det = Detector(RATE, gm)
    ev2, comp2 = [], []
    i = 0
    rng = np.random.default_rng(1)
    while i < len(t):
        n = int(rng.integers(1, 300))
        ev2 += det.feed(t[i:i + n], f[i:i + n], g[i:i + n])
        comp2.append(det.last_force)
        i += n
    assert [e.to_dict() for e in ev1] == [e.to_dict() for e in ordered(ev2)]
    assert np.max(np.abs(comp1 - np.concatenate(comp2))) <= 1e-9


def _flat(level, seconds, rate=RATE):
    n = int(seconds * rate)
    return np.arange(n) / rate, np.full(n, float(level))


def test_pressure_alert_is_fast_and_ignores_glitches():
    t, f = _flat(100, 20)
    f[:200] = 0  # unloaded, then on the ball
    for i in (800, 1200, 1201, 1500, 1501):  # one- and two-sample glitches far above the limit
        f[i] = 400
    f[1700:1720] = 150  # a real excursion of 0.2 s
    ev = [e for e in run(t, f, None, RATE, 130, creep=False)[0] if e.kind == "alert"]
    assert [e.alert for e in ev] == ["pressure_high"]
    assert 17.0 < ev[0].t_s <= 17.0 + 0.15


def test_pressure_alert_does_not_chatter_around_the_limit():
    t, f = _flat(100, 30)
    f[:100] = 0
    rng = np.random.default_rng(2)
    f[1000:2500] = 130 + rng.normal(0, 3, 1500)  # hovering at the limit of 130 N
    ev = [e for e in run(t, f, None, RATE, 130, creep=False)[0] if e.alert == "pressure_high"]
    assert [e.kind for e in ev] == ["alert", "alert_clear"]
    assert ev[1].t_s > 25.0  # cleared only after falling back below the deadband


def test_creep_does_not_drift_into_an_alert():
    # ten minutes on a constant 120 N with the FSR reading creeping up ~12 %;
    # the gentle max is 1.1 x the true level
    t, true = _flat(120, 600)
    true[:100] = 0
    on = np.cumsum(true > 0) / RATE
    from ballsense_fw.sensors import fsr
    reading = true * (1 + fsr.NOMINAL_CREEP * np.log1p(on / fsr.CREEP_TAU_S))
    assert reading[-1] > 132  # without compensation this would alert
    ev = run(t, reading, None, RATE, 132)[0]
    assert not [e for e in ev if e.kind == "alert"]
    ev = run(t, reading, None, RATE, 132, creep=False)[0]
    assert [e.alert for e in ev if e.kind == "alert"] == ["pressure_high"]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_session_scored_against_ground_truth(seed):
    sc = S.session(seed)
    res, out = score(sc, gyro=True)
    assert res["ph_missed"] == 0 and res["ph_false"] == 0
    assert all(x <= 0.15 for x in res["ph_latency"])
    assert res["roll_missed"] == 0 and res["roll_false"] == 0
    assert res["state_agree"] >= 0.93
    assert res["slip_missed"] == 0 and res["slip_false"] == 0
    assert all(res["knee_ok"])


@pytest.mark.parametrize("seed", [21, 22])
def test_rolling_without_gyro(seed):
    sc = S.rolling(seed)
    res, _ = score(sc, gyro=False)
    assert res["roll_missed"] == 0 and res["roll_latency"][0] <= 2.5


@pytest.mark.parametrize("seed", [31, 32, 33, 34])
def test_breaths_counted_in_a_sink_and_breathe_hold(seed):
    sc = S.hold(seed)
    t, f, g = sample(sc)
    out = analyze(t, f, g, sc.gentle_max_n)
    truth = sum(1 for _, k in sc.events if k == "breath")
    assert len(out["holds"]) == 1
    assert abs(out["holds"][0]["breaths"] - truth) <= 1, (out["holds"], truth)
    assert out["alerts"] == []


def test_gentle_max_learnt_from_the_first_hold():
    sc = S.hold(40)
    t, f, g = sample(sc)
    ev = run(t, f, g, RATE, None)[0]
    gm = [e.value for e in ev if e.kind == "gentle_max"]
    assert len(gm) == 1 and abs(gm[0] - 1.25 * sc.load_n) < 0.12 * sc.load_n


def test_analyze_cli_json(tmp_path):
    sc = S.session(7)
    t, f, g = sample(sc)
    p = tmp_path / "s.csv"
    np.savetxt(p, np.column_stack([t, f, g]), delimiter=",", header="t_s,force_n,gx_dps,gy_dps,gz_dps",
               comments="", fmt="%.3f")
    r = subprocess.run([sys.executable, "-m", "ballsense.cli", "analyze", str(p), "--json",
                        "--gentle-max", str(sc.gentle_max_n)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert abs(out["duration_s"] - sc.duration_s) < 0.05
    st = out["states"]
    assert st[0]["start_s"] == 0 and abs(st[-1]["end_s"] - out["duration_s"]) < 0.02
    assert all(a["end_s"] == b["start_s"] for a, b in zip(st, st[1:]))  # contiguous
    kinds = {a["kind"] for a in out["alerts"]}
    assert {"pressure_high", "rolling", "slip"} <= kinds
    assert sum(h["knee_drops"] for h in out["holds"]) == sum(1 for _, k in sc.events if k == "knee_drop")


@pytest.mark.parametrize("content,words", [
    ("", "empty"), ("a,b\n1,2\n", "lacks t_s and force_n"), ("t_s,force_n\n0,1\n0.01,x\n", "line 3"),
    ("t_s,force_n\n0,1\n0.01,nan\n", "not a number"), ("t_s,force_n\n0,1\n0.02,2\n0.01,3\n", "backwards"),
    ("t_s,force_n\n0,1\n0.01,-50\n", "below zero"), ("t_s,force_n\n0,1\n", "fewer than 2"),
])
def test_analyze_bad_csv(tmp_path, content, words):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    r = subprocess.run([sys.executable, "-m", "ballsense.cli", "analyze", str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_analyze_random_bytes(tmp_path):
    p = tmp_path / "noise.csv"
    p.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)))
    r = subprocess.run([sys.executable, "-m", "ballsense.cli", "analyze", str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("ballsense: error:")
