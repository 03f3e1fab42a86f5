"""Detection quality on randomised labelled scenarios (scenarios.py), against
the targets of docs/algorithms.md. The scenario is sampled at the ball's rate
the way the firmware samples it, then streamed through the live detector."""
import numpy as np

from . import scenarios as S
from .analysis import run, summarise, hold_spans

RATE = 100
COARSE = {"idle": "idle", "settling": "still", "hold": "still", "knee_drop": "still", "rolling": "rolling"}


RATES = [r for r in range(10, S.RATE_HZ + 1) if S.RATE_HZ % r == 0]  # exact decimations


def sample(sc, rate=RATE):
    step = S.RATE_HZ // rate
    f = sc.force[::step].astype(float)
    return np.arange(len(f)) / rate, f, sc.gyro[::step]


def score(sc, gyro=True, rate=RATE):
    t, f, g = sample(sc, rate)
    events, comp, _ = run(t, f, g if gyro else None, rate, sc.gentle_max_n)
    out = summarise(t, comp, events)
    alerts = out["alerts"]
    res = {}
    # pressure_high: every true excursion >= 0.1 s alerted; latency from its start
    ph = [a["t_s"] for a in alerts if a["kind"] == "pressure_high"]
    active = _active_spans(events, "pressure_high", out["duration_s"])
    exc = [(s, e) for s, e in sc.excursions if e - s >= 0.1]
    res["ph_latency"] = []
    res["ph_missed"] = 0
    for s, e in exc:
        hit = [a for a in ph if s - 0.05 <= a <= e + 0.3]
        if hit:
            res["ph_latency"].append(hit[0] - s)
        elif not any(a0 <= s <= a1 for a0, a1 in active):  # still alerting from just before
            res["ph_missed"] += 1
    res["ph_false"] = sum(1 for a in ph if not any(s - 0.3 <= a <= e + 0.3 for s, e in sc.excursions))
    # rolling: every bout alerted; none outside bouts
    bouts = [(s, e) for s, e, st in sc.states if st == "rolling"]
    ro = [a["t_s"] for a in alerts if a["kind"] == "rolling"]
    res["roll_latency"] = []
    res["roll_missed"] = 0
    for s, e in bouts:
        hit = [a for a in ro if s - 0.2 <= a <= e]
        if hit:
            res["roll_latency"].append(hit[0] - s)
        else:
            res["roll_missed"] += 1
    res["roll_false"] = sum(1 for a in ro if not any(s - 0.2 <= a <= e + 2.0 for s, e in bouts))
    # states at 10 Hz: idle / still / rolling
    grid = np.arange(0, out["duration_s"], 0.1)
    got = _state_grid(out["states"], grid)
    want = np.array([COARSE[sc.state_at(x)] for x in grid])
    res["state_agree"] = float(np.mean(got == want))
    # holds: breaths and knee drops, matched by overlap
    truth = _truth_holds(sc)
    res["breath_ok"], res["knee_ok"] = [], []
    for th in truth:
        dh = max(out["holds"], key=lambda h: _overlap(h, th), default=None)
        if dh is None or _overlap(dh, th) <= 0:
            if th["breaths"] >= 3:
                res["breath_ok"].append(False)
            if th["knee_drops"]:
                res["knee_ok"].append(False)
            continue
        if th["breaths"] >= 3:
            res["breath_ok"].append(abs(dh["breaths"] - th["breaths"]) <= 1)
        if th["knee_drops"]:
            res["knee_ok"].append(dh["knee_drops"] == th["knee_drops"])
    res["slip_missed"] = sum(1 for x, k in sc.events if k == "slip"
                             and not any(x - 0.2 <= a["t_s"] <= x + 1.5 for a in alerts if a["kind"] == "slip"))
    res["slip_false"] = sum(1 for a in alerts if a["kind"] == "slip"
                            and not any(x - 0.2 <= a["t_s"] <= x + 1.5 for x, k in sc.events if k == "slip"))
    return res, out


def _active_spans(events, alert, end):
    spans, start = [], None
    for e in events:
        if e.alert == alert and e.kind == "alert":
            start = e.t_s
        elif e.alert == alert and e.kind == "alert_clear" and start is not None:
            spans.append((start, e.t_s))
            start = None
    if start is not None:
        spans.append((start, end))
    return spans


def _state_grid(states, grid):
    starts = np.array([s["start_s"] for s in states])
    idx = np.clip(np.searchsorted(starts, grid, side="right") - 1, 0, len(states) - 1)
    return np.array([COARSE[states[i]["state"]] for i in idx])


def _truth_holds(sc):
    segs = [list(s) for s in sc.states]
    slips = [x for x, k in sc.events if k == "slip"]
    spans = hold_spans(segs, slips)
    out = []
    for s, e in spans:
        out.append({"start_s": s, "end_s": e,
                    "breaths": sum(1 for x, k in sc.events if k == "breath" and s <= x < e),
                    "knee_drops": sum(1 for x, k in sc.events if k == "knee_drop" and s <= x < e)})
    return out


def _overlap(a, b):
    return min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"])


def evaluate(seeds=range(20), kinds=("session", "hold", "rolling"), rate=RATE):
    """-> dict of figures against the targets, with and without gyro, the
    scenarios sampled at `rate` (a divisor of scenarios.RATE_HZ)."""
    figs = {}
    for gyro in (True, False):
        agg = {k: [] for k in ("ph_latency", "roll_latency", "state_agree", "breath_ok", "knee_ok")}
        cnt = {k: 0 for k in ("ph_missed", "ph_false", "roll_missed", "roll_false", "slip_missed", "slip_false")}
        n_exc = n_bouts = 0
        for kind in kinds:
            for seed in seeds:
                sc = S.make(kind, seed)
                res, _ = score(sc, gyro, rate)
                for k in agg:
                    v = res[k]
                    agg[k] += v if isinstance(v, list) else [v]
                for k in cnt:
                    cnt[k] += res[k]
                n_exc += len([1 for s, e in sc.excursions if e - s >= 0.1])
                n_bouts += len([1 for *_, st in sc.states if st == "rolling"])
        pl, rl = np.array(agg["ph_latency"]), np.array(agg["roll_latency"])
        figs["gyro" if gyro else "force_only"] = {
            "excursions": n_exc, "pressure_missed": cnt["ph_missed"], "pressure_false": cnt["ph_false"],
            "pressure_latency_p95_ms": round(float(np.percentile(pl, 95)) * 1000) if len(pl) else None,
            "rolling_bouts": n_bouts, "rolling_missed": cnt["roll_missed"], "rolling_false": cnt["roll_false"],
            "rolling_latency_median_s": round(float(np.median(rl)), 2) if len(rl) else None,
            "rolling_latency_max_s": round(float(np.max(rl)), 2) if len(rl) else None,
            "state_agreement": round(float(np.mean(agg["state_agree"])), 4),
            "breaths_within_1": round(float(np.mean(agg["breath_ok"])), 3) if agg["breath_ok"] else None,
            "knee_drops_exact": round(float(np.mean(agg["knee_ok"])), 3) if agg["knee_ok"] else None,
            "slips_missed": cnt["slip_missed"], "slips_false": cnt["slip_false"],
        }
    return figs


TARGETS = {
    "pressure_missed": 0, "pressure_false": 0, "pressure_latency_p95_ms": 150,
    "rolling_missed": 0, "rolling_false": 0, "rolling_latency_median_s": 1.0, "rolling_latency_max_s": 2.0,
    "state_agreement": 0.95, "breaths_within_1": 0.8, "knee_drops_exact": 0.8,
}


def meets(figs):
    bad = []
    for mode, f in figs.items():
        for k, target in TARGETS.items():
            v = f.get(k)
            if v is None:
                continue
            ok = v >= target if k in ("state_agreement", "breaths_within_1", "knee_drops_exact") else v <= target
            if not ok:
                bad.append(f"{mode}.{k} = {v} (target {target})")
    return bad
