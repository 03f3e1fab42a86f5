"""Offline analysis: a trace through the live Decider (replay.py),
summarised as states, holds, spots, phases and alerts (the `analyze` JSON)."""
import math

import numpy as np

from .alerts import ALERTS
from .errors import UserError

HOLD_STATES = ("settling", "hold", "knee_drop")  # a hold: contact without rolling (live: pipeline.View)


def rate_of(t):
    d = np.diff(t)
    if len(d) == 0:
        raise UserError("the trace has a single sample: nothing to analyse")
    step = float(np.median(d))
    if not step > 0:
        raise UserError("time does not advance in the trace (t_s column): check the file")
    return round(1.0 / step)


def run(t, force, gyro=None, rate=None, gentle_max=None, creep=True):
    """-> (events, compensated force, decider) for arrays of one rate: the
    live Decider, through the one replay (replay.run_arrays)."""
    from .replay import run_arrays
    return run_arrays(t, force, gyro, rate, gentle_max, creep)


def summarise(t, comp, events):
    end = float(t[-1] + (t[-1] - t[-2] if len(t) > 1 else 0))
    segs = [[float(t[0]), None, "idle"]]
    for e in events:
        if e.kind == "state":
            if e.t_s <= segs[-1][0]:
                segs[-1][2] = e.state
                continue
            segs[-1][1] = e.t_s
            segs.append([e.t_s, None, e.state])
    segs[-1][1] = end
    states = [{"start_s": r(s), "end_s": r(e), "state": st} for s, e, st in segs if e > s]
    slips = [e.t_s for e in events if e.kind == "slip"]
    holds = []
    for s, e in hold_spans(segs, slips):
        m = (t >= s) & (t < e)
        if not m.any():
            continue
        holds.append({"start_s": r(s), "end_s": r(e),
                      "breaths": sum(1 for x in events if x.kind == "breath" and s <= x.t_s < e),
                      "knee_drops": sum(1 for x in events if x.kind == "knee_drop" and s <= x.t_s < e),
                      "mean_force_n": r(float(comp[m].mean())), "peak_force_n": r(float(comp[m].max()))})
    alerts = [{"t_s": r(e.t_s), "kind": e.alert, "force_n": r(e.value)}
              for e in events if e.kind == "alert" and e.alert in ALERTS]
    phases = phase_spans(events, end)
    return {"duration_s": r(end - float(t[0])), "states": states, "holds": holds, "spots": spots(phases),
            "phases": phases, "alerts": alerts}


def phase_spans(events, end):
    """The detector's phase events as spans, with their counts (the count an
    event carries is its number within its phase: phases.py)."""
    out = []
    for e in events:
        if e.kind == "phase":
            if out:
                out[-1]["end_s"] = r(e.t_s)
            out.append({"kind": e.state, "spot": int(e.value), "start_s": r(e.t_s), "end_s": None,
                        "breaths": 0, "knee_drops": 0})
        elif e.kind in ("breath", "knee_drop") and out and e.state == out[-1]["kind"]:
            key = "breaths" if e.kind == "breath" else "knee_drops"
            out[-1][key] = max(out[-1][key], int(e.value))
    if out:
        out[-1]["end_s"] = r(end)
    return [p for p in out if p["kind"] != "off" and p["end_s"] > p["start_s"]]


def spots(phases):
    """One per placement of the ball: its span and the phases it went through."""
    out = {}
    for p in phases:
        s = out.setdefault(p["spot"], {"spot": p["spot"], "start_s": p["start_s"], "end_s": p["end_s"],
                                       "breaths": 0, "knee_drops": 0, "phases": []})
        s["end_s"] = p["end_s"]
        s["breaths"] += p["breaths"]
        s["knee_drops"] += p["knee_drops"]
        s["phases"].append(p["kind"])
    return list(out.values())


def hold_spans(segs, slips):
    """Contact without rolling (settling, hold, knee_drop), split at slips."""
    spans = []
    cur = None
    for s, e, st in segs:
        if st in HOLD_STATES:
            cur = [s, e] if cur is None else [cur[0], e]
        elif cur is not None:
            spans.append(cur)
            cur = None
    if cur is not None:
        spans.append(cur)
    out = []
    for s, e in spans:
        cuts = [x for x in slips if s < x < e]
        edges = [s] + cuts + [e]
        out += [(a, b) for a, b in zip(edges, edges[1:]) if b - a > 0.5]
    return out


def r(x):
    return round(float(x), 2) if math.isfinite(x) else None


def analyze(t, force, gyro=None, gentle_max=None, creep=True):
    t = np.asarray(t, float)
    force = np.asarray(force, float)
    events, comp, _ = run(t, force, gyro, None, gentle_max, creep)
    return summarise(t, comp, events)
