"""Breath and knee-drop counting that generalises: either polarity, any pace
from 4 to 30 a minute, any depth, sighs, pauses and shallow breaths; knee
drops of each variant, loading or unloading the ball; real breathing; the
figures of `ballsense evaluate` on tuning seeds, beside the NeuroKit2 peer."""
import os

import numpy as np
import pytest

from ballsense import scenarios as S
from ballsense.analysis import run, summarise
from ballsense.errors import UserError
from ballsense.evaluate import TUNING, breaths_ok, evaluate, evaluate_real, sample

RATE = 100


def _scenario(seed, breaths=8, knees=0, depth=None, swing=None, **person):
    """settle, `breaths` breaths, `knees` knee drops, lift-off: the person as
    given (depth and knee swing as fractions of the load)."""
    b = S._Builder(seed)
    for k, v in person.items():
        setattr(b.person, k, v)
    if depth is not None:
        b.person.depth = depth * b.load
    if swing is not None:
        b.person.knee_swing = swing * b.load
    b.idle(2)
    b.settle()
    b.breathe(breaths)
    if knees:
        b.knee_drops(knees)
    b.lift_off()
    b.idle(2)
    return b.build("test", seed, S.gentle_max_for(b.load))


def _phases(sc, gyro=False):
    t, f, g = sample(sc)
    ev, comp, _ = run(t, f, g if gyro else None, RATE, sc.gentle_max_n)
    return ev, summarise(t, comp, ev)["phases"]


def _count(phases, kind, key):
    return sum(p[key] for p in phases if p["kind"] == kind)


@pytest.mark.parametrize("polarity", [1.0, -1.0])
def test_breaths_counted_either_polarity_at_any_pace(polarity):
    """4, 8, 15, 22 and 30 breaths a minute, the inhale loading or lightening
    the ball: within one breath, and breathing raises no alert."""
    for i, bpm in enumerate((4, 8, 15, 22, 30)):
        sc = _scenario(100 + i, breaths=8, polarity=polarity, rate_bpm=bpm, depth=0.025,
                       sigh_p=0.0, apnea_p=0.0, shallow_p=0.0)
        ev, phases = _phases(sc)
        got = _count(phases, "breathe", "breaths")
        assert abs(got - 8) <= 1, (bpm, polarity, got)
        assert not [e for e in ev if e.kind == "alert"] and _count(phases, "knee_drops", "knee_drops") == 0


def test_breaths_adapt_to_depth_sighs_pauses_and_shallow_breaths():
    bad = []
    for seed in range(8):
        for depth in (0.015, 0.05):
            sc = _scenario(200 + seed, breaths=8, rate_bpm=10.0, depth=depth, sigh_p=0.15, apnea_p=0.15,
                           shallow_p=0.15)
            ev, phases = _phases(sc)
            if not breaths_ok(_count(phases, "breathe", "breaths"), 8) or [e for e in ev if e.kind == "alert"]:
                bad.append((seed, depth))
    assert len(bad) <= 1, bad  # 16 holds: 15 or more within one breath, no alert


def test_breathing_that_fades_lowers_the_threshold():
    """Three deep breaths (4 % of the load), then fading within four breaths
    to 0.6 %: the threshold follows within a breath (it stayed at a quarter
    of the deep ones, and 8 of these 12 holds lost 2-6 breaths)."""
    bad = []
    for seed in range(500, 512):
        b = S._Builder(seed)
        b.person.sigh_p = b.person.apnea_p = b.person.shallow_p = 0.0
        b.person.rate_bpm = 12.0
        b.idle(2)
        b.settle()
        depths = (0.04, 0.04, 0.04, 0.02, 0.012, 0.008, 0.006, 0.006, 0.006, 0.006)
        for depth in depths:
            b.person.depth = depth * b.load
            b.breathe(1)
        b.lift_off()
        b.idle(2)
        ev, phases = _phases(b.build("fading", seed, S.gentle_max_for(b.load)))
        got = _count(phases, "breathe", "breaths")
        if abs(got - len(depths)) > 1 or [e for e in ev if e.kind == "alert"]:
            bad.append((seed, got))
    assert len(bad) <= 2, bad


@pytest.mark.parametrize("variant", ["out", "rock", "chest"])
def test_knee_drops_of_each_variant_loading_or_unloading(variant):
    """5 knee drops after 6 breaths, breathing going on under them: counted
    exactly, told from the breaths; neither raises rolling (force only)."""
    for sign in (1.0, -1.0):
        for seed in (300, 301):
            sc = _scenario(seed, breaths=6, knees=5, knee=variant, knee_sign=sign, swing=0.12, rate_bpm=9.0,
                           sigh_p=0.0, apnea_p=0.0)
            ev, phases = _phases(sc)
            assert _count(phases, "knee_drops", "knee_drops") == 5, (variant, sign, seed, phases)
            assert abs(_count(phases, "breathe", "breaths") - 6) <= 1
            assert not [e for e in ev if e.alert == "rolling"]


def test_a_sigh_is_a_breath_not_a_knee_drop():
    """One breath 2.4 x as deep as the others in a sink-and-breathe hold: no
    knee-drop phase, and the breaths still counted."""
    for seed in range(400, 406):
        b = S._Builder(seed)
        b.person.sigh_p, b.person.apnea_p, b.person.shallow_p = 0.0, 0.0, 0.0
        b.idle(2)
        b.settle()
        b.breathe(4)
        b.person.sigh_p = 1.0   # the next breath is a sigh
        b.breathe(1)
        b.person.sigh_p = 0.0
        b.breathe(4)
        b.lift_off()
        b.idle(2)
        sc = b.build("sigh", seed, S.gentle_max_for(b.load))
        ev, phases = _phases(sc)
        assert [p["kind"] for p in phases] == ["settle", "breathe"], phases
        assert abs(_count(phases, "breathe", "breaths") - 9) <= 1
        assert not [e for e in ev if e.kind == "alert"]


def test_evaluation_on_tuning_seeds_meets_the_targets_and_beats_the_peer():
    """`ballsense evaluate` on 10 tuning seeds (30 scenarios): breaths within
    one on 90 % of sink-and-breathe phases of 5-10 breaths, knee drops exact
    on 90 % of knee-drop phases, the right phase 95 % of the time; the peer
    (if installed) below ballsense."""
    figs = evaluate(range(TUNING.start, TUNING.start + 10))
    for mode, f in figs.items():
        assert f["breathe_phases"] >= 15 and f["knee_phases"] >= 20
        assert f["breathe_breaths_ok"] >= 0.9 and f["knee_phase_exact"] >= 0.9, (mode, f)
        assert f["phase_agreement"] >= 0.95, (mode, f)
        assert f["pressure_false"] == 0 and f["rolling_missed"] == 0 and f["rolling_false"] == 0
        peer = f["breathe_breaths_ok_neurokit2"]
        assert peer is None or peer < f["breathe_breaths_ok"]


def test_real_breathing_counted_ahead_of_the_peer():
    """The real recordings' one-minute holds (fetched from PyPI once, into
    the user's cache). In CI this must run: a fetch that fails fails."""
    try:
        figs, rows = evaluate_real()
    except UserError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(str(e))
        pytest.skip(str(e))
    assert figs["systole"]["holds"] >= 15 and figs["biosignalsnotebooks"]["holds"] >= 1
    assert figs["all"]["breaths_ok"] >= 0.9, rows
    peer = figs["all"]["breaths_ok_neurokit2"]
    assert peer is None or peer < figs["all"]["breaths_ok"]
    assert all(np.isfinite(r[3]) for r in rows)
