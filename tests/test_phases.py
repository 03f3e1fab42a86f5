"""The technique's phases: raised by the detector, the same live and offline,
read by the View and by `analyze`."""
import types

import numpy as np

from ballsense import scenarios as S
from ballsense.analysis import run, summarise
from ballsense.detect import Detector, ordered
from ballsense.evaluate import sample
from ballsense.phases import KINDS
from ballsense.pipeline import Pipeline, View

RATE = 100


def _phases(sc, gyro=True):
    t, f, g = sample(sc)
    ev, comp, _ = run(t, f, g if gyro else None, RATE, sc.gentle_max_n)
    return ev, summarise(t, comp, ev)


def test_a_session_goes_through_the_phases_of_the_technique():
    sc = S.session(11, spots=3, order=["slip", "rolling", "spike"])
    ev, out = _phases(sc)
    assert {e.state for e in ev if e.kind == "phase"} <= set(KINDS)
    seq = [(p["spot"], p["kind"]) for p in out["phases"]]
    # every spot: settled, breathed, ..., knee drops; the mistake of each spot re-settles it
    assert [s["spot"] for s in out["spots"]] == [1, 2, 3]
    for spot, mistake in zip((1, 2, 3), ("resettle", "rolling", "resettle")):
        kinds = [k for s, k in seq if s == spot]
        assert kinds[:2] == ["settle", "breathe"] and kinds[-1] == "knee_drops", kinds
        assert mistake in kinds
    want = [sum(1 for x, k in sc.events if k == "knee_drop" and a <= x < b) for a, b, kind, _ in sc.phases
            if kind == "knee_drops"]
    assert [p["knee_drops"] for p in out["phases"] if p["kind"] == "knee_drops"] == want
    assert all(a["end_s"] == b["start_s"] for a, b in zip(out["phases"], out["phases"][1:]) if a["spot"] == b["spot"])


def test_breath_and_knee_events_carry_their_number_in_the_phase():
    ev, out = _phases(S.session(12))
    for p in out["phases"]:
        got = [e for e in ev if e.kind in ("breath", "knee_drop") and p["start_s"] <= e.t_s < p["end_s"]]
        assert [int(e.value) for e in got if e.kind == "breath"] == list(range(1, p["breaths"] + 1))
        assert [int(e.value) for e in got if e.kind == "knee_drop"] == list(range(1, p["knee_drops"] + 1))
        assert all(e.state == p["kind"] for e in got)


def test_the_view_follows_the_phase_events():
    """The live view's phase and counts come from the events alone."""
    sc = S.session(13)
    t, f, g = sample(sc)
    det = Detector(RATE, sc.gentle_max_n)
    v, host = View(), types.SimpleNamespace(gentle_max=None)
    seen = []
    for i in range(0, len(t), 7):  # BLE-sized batches, as live
        for e in det.feed(t[i:i + 7], f[i:i + 7], g[i:i + 7]):
            Pipeline._event(host, v, e)
        seen.append((v.phase, v.spot, v.breaths, v.knee_drops))
    out = summarise(t, np.zeros(len(t)), ordered(run(t, f, g, RATE, sc.gentle_max_n)[0]))
    assert max(s[1] for s in seen) == len(out["spots"])
    for p in out["phases"]:  # each phase's final counts were on the view while it lasted
        shown = [s for s in seen if s[0] == p["kind"] and s[1] == p["spot"]]
        assert shown and max(s[2] for s in shown) == p["breaths"] and max(s[3] for s in shown) == p["knee_drops"]
    assert seen[-1][0] == "off"
