"""Detection quality on randomised labelled scenarios (scenarios.py) and on
real breathing (realdata.py), against the targets of docs/algorithms.md. The
scenario is sampled at the ball's rate the way the firmware samples it, then
streamed through the live detector, which finds the phases itself. The peer,
NeuroKit2's offline respiration pipeline, is given the true phase bounds.

The seeds are split once, here: the rules may be tuned looking at TUNING
seeds; HELD_OUT seeds are only reported. A held-out seed that is looked at
moves to tuning, and a new held-out range is drawn (docs/algorithms.md keeps
the history)."""
import numpy as np

from . import scenarios as S
from .analysis import run, summarise, hold_spans

TUNING = range(0, 1000)
HELD_OUT = range(3_000_000, 3_010_000)  # 1_000_000-1_000_199 and 2_000_000-2_000_199 were reported
                                        # before the last rule changes (docs/algorithms.md): retired
RATE = 100
GRACE_S = 0.5        # phase agreement ignores this much either side of a true phase boundary
NEAR = 0.98          # a pressure alert is false when the true force stayed under this x the limit,
                     # an excursion missed when it passed (2 - this) x the limit
SPIKE_S = 3.2        # a scenario's spike is over within this of its start (rise, top, fall)
BREATHE_SCORED = (5, 10)  # sink-and-breathe phases of this many breaths are scored
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
    res["ph_missed"] = res["ph_missed_strict"] = 0
    over = _excursions(sc, (2 - NEAR) * sc.gentle_max_n)
    for s, e in exc:
        hit = [a for a in ph if s - 0.05 <= a <= e + 0.3]
        if hit:
            res["ph_latency"].append(hit[0] - s)
        elif not any(a0 <= s <= a1 for a0, a1 in active):  # still alerting from just before
            res["ph_missed_strict"] += 1
            # missed: it passed the limit by more than 2 % (within the sensor's accuracy it is not)
            res["ph_missed"] += any(s <= a <= e for a, _ in over)
    res["ph_false_strict"] = sum(1 for a in ph if not any(s - 0.3 <= a <= e + 0.3 for s, e in sc.excursions))
    # false: the true force stayed 2 % under the limit (the sensor's accuracy: creep spread, noise)
    near = _excursions(sc, NEAR * sc.gentle_max_n)
    res["ph_false"] = sum(1 for a in ph if not any(s - 0.3 <= a <= e + 0.3 for s, e in near))
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
    _score_phases(sc, out, t, f, rate, res)
    res["slip_missed"] = sum(1 for x, k in sc.events if k == "slip"
                             and not any(x - 0.2 <= a["t_s"] <= x + 1.5 for a in alerts if a["kind"] == "slip"))
    res["slip_false"] = sum(1 for a in alerts if a["kind"] == "slip"
                            and not any(x - 0.2 <= a["t_s"] <= x + 1.5 for x, k in sc.events if k == "slip"))
    return res, out


def _excursions(sc, limit):
    return S._excursions(sc.true_force, limit)


def breaths_ok(got, want):
    """Within one breath, or 10 %."""
    return abs(got - want) <= max(1, 0.1 * want)


def _score_phases(sc, out, t, f, rate, res):
    """Per true phase: breaths (breathe, resettle), knee drops, against the
    detected phase of the same kind that overlaps it most; the peer on the
    same true bounds; and the phase at each 0.1 s, away from boundaries."""
    for k in ("breathe_ok", "breathe_peer_ok", "resettle_ok", "knee_phase_ok"):
        res[k] = []
    det = out["phases"]
    for s0, e0, kind, spot in sc.phases:
        want_b = sum(1 for x, k in sc.events if k == "breath" and s0 <= x < e0)
        want_k = sum(1 for x, k in sc.events if k == "knee_drop" and s0 <= x < e0)
        same = [p for p in det if p["kind"] == kind]
        best = max(same, key=lambda p: min(p["end_s"], e0) - max(p["start_s"], s0), default=None)
        if best is not None and min(best["end_s"], e0) - max(best["start_s"], s0) <= 0:
            best = None
        if kind == "breathe" and BREATHE_SCORED[0] <= want_b <= BREATHE_SCORED[1]:
            res["breathe_ok"].append(best is not None and breaths_ok(best["breaths"], want_b))
            m = (t >= s0) & (t < e0)
            peer = peer_breaths(f[m], rate)
            if peer is not None:
                res["breathe_peer_ok"].append(breaths_ok(peer, want_b))
        elif kind == "resettle" and want_b >= 2:
            res["resettle_ok"].append(best is not None and breaths_ok(best["breaths"], want_b))
        elif kind == "knee_drops":
            res["knee_phase_ok"].append(best is not None and best["knee_drops"] == want_k)
    grid = np.arange(0, out["duration_s"], 0.1)
    edges = np.array([p[0] for p in sc.phases[1:]])
    far = np.array([not len(edges) or np.min(np.abs(edges - x)) > GRACE_S for x in grid])
    got = _phase_grid(det, grid)
    want = np.array([sc.phase_at(x) for x in grid])
    res["phase_agree"] = float(np.mean((got == want)[far]))


def _phase_grid(phases, grid):
    out = np.array(["off"] * len(grid), dtype=object)
    for p in phases:
        out[(grid >= p["start_s"]) & (grid < p["end_s"])] = p["kind"]
    return out


def peer_missing():
    """None when the peer can run, else how to get it."""
    try:
        import neurokit2  # noqa: F401
        return None
    except ImportError:
        return ("neurokit2 is not installed, so the peer's column is empty: pip install neurokit2 "
                "(it is in the test extra: pip install -e '.[test]')")


def peer_breaths(f, rate):
    """NeuroKit2's respiration pipeline (rsp_clean khodadad2018, zero-phase,
    then rsp_peaks) on a stretch of force: its breath count, or None when
    neurokit2 is not installed."""
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clean = nk.rsp_clean(np.asarray(f, float), sampling_rate=rate)
            _, info = nk.rsp_peaks(clean, sampling_rate=rate)
        return len(info["RSP_Peaks"])
    except (IndexError, ValueError):  # no breath at all: nothing to find
        return 0


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
        agg = {k: [] for k in ("ph_latency", "roll_latency", "state_agree", "breath_ok", "knee_ok", "breathe_ok",
                               "breathe_peer_ok", "resettle_ok", "knee_phase_ok", "phase_agree")}
        cnt = {k: 0 for k in ("ph_missed", "ph_missed_strict", "ph_false", "ph_false_strict", "roll_missed",
                              "roll_false", "slip_missed", "slip_false")}
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
            "pressure_missed_within_2pct": cnt["ph_missed_strict"] - cnt["ph_missed"],
            "pressure_false_within_2pct": cnt["ph_false_strict"] - cnt["ph_false"],
            "pressure_latency_p95_ms": round(float(np.percentile(pl, 95)) * 1000) if len(pl) else None,
            "rolling_bouts": n_bouts, "rolling_missed": cnt["roll_missed"], "rolling_false": cnt["roll_false"],
            "rolling_latency_median_s": round(float(np.median(rl)), 2) if len(rl) else None,
            "rolling_latency_max_s": round(float(np.max(rl)), 2) if len(rl) else None,
            "state_agreement": round(float(np.mean(agg["state_agree"])), 4),
            "breaths_within_1": round(float(np.mean(agg["breath_ok"])), 3) if agg["breath_ok"] else None,
            "knee_drops_exact": round(float(np.mean(agg["knee_ok"])), 3) if agg["knee_ok"] else None,
            "slips_missed": cnt["slip_missed"], "slips_false": cnt["slip_false"],
            "breathe_phases": len(agg["breathe_ok"]),
            "breathe_breaths_ok": _share(agg["breathe_ok"]),
            "breathe_breaths_ok_neurokit2": _share(agg["breathe_peer_ok"]),
            "resettle_breaths_ok": _share(agg["resettle_ok"]),
            "knee_phases": len(agg["knee_phase_ok"]),
            "knee_phase_exact": _share(agg["knee_phase_ok"]),
            "phase_agreement": _share(agg["phase_agree"], 4),
        }
    return figs


def _share(x, digits=3):
    return round(float(np.mean(x)), digits) if len(x) else None


def evaluate_learnt(seeds=range(20), rate=RATE):
    """Sessions as a first one is recorded, no gentle maximum given (none in
    the profile): the detector learns it from the first hold. `evaluate`
    gives it the person's, so this is the only place the learnt one is
    judged: alerts on the technique itself (knee drops, breathing) cry wolf,
    counted as `evaluate` counts them (false if the true force stayed 2 %
    under the maximum, the rest beside); a spike is missed only if the
    maximum had been learnt before it; knee drops exact as with the given
    maximum. Force only."""
    ratio, false, near_false, spikes, missed, unlearnt, knee = [], 0, 0, 0, 0, 0, []
    for seed in seeds:
        sc = S.make("session", seed)
        t, f, _ = sample(sc, rate)
        events, comp, _ = run(t, f, None, rate, None)
        out = summarise(t, comp, events)
        learnt = next((e for e in events if e.kind == "gentle_max"), None)
        if learnt is not None:
            ratio.append(learnt.value / sc.gentle_max_n)
        ph = [a["t_s"] for a in out["alerts"] if a["kind"] == "pressure_high"]
        mistakes = [(x - 0.3, x + SPIKE_S) for x, k in sc.events if k == "spike"]
        mistakes += [(s - 0.2, e + 2.0) for s, e, st in sc.states if st == "rolling"]  # rolling's swings
        wolf = [a for a in ph if not any(s <= a <= e for s, e in mistakes)]
        # as with the given maximum: false only if the true force stayed 2 % under it (the sensor's accuracy)
        near = _excursions(sc, NEAR * learnt.value) if learnt is not None else []
        real = [a for a in wolf if not any(s - 0.3 <= a <= e + 0.3 for s, e in near)]
        false, near_false = false + len(real), near_false + len(wolf) - len(real)
        for x, k in sc.events:
            if k == "spike":
                spikes += 1
                hit = any(x - 0.1 <= a <= x + SPIKE_S for a in ph)
                before = bool(learnt is None or learnt.t_s > x)
                missed += not hit and not before
                unlearnt += not hit and before
        res = {}
        _score_phases(sc, out, t, f, rate, res)
        knee += res["knee_phase_ok"]
    r = np.array(ratio)
    return {"sessions": len(seeds), "learnt_over_true": [round(float(q), 3) for q in np.percentile(r, [0, 50, 100])]
            if len(r) else None, "spikes": spikes, "spikes_missed": missed,
            "spikes_before_it_was_learnt": unlearnt, "pressure_false": false,
            "pressure_false_within_2pct": near_false, "knee_phases": len(knee),
            "knee_phase_exact": _share(knee)}


TARGETS = {
    "pressure_missed": 0, "pressure_false": 0, "pressure_latency_p95_ms": 150,
    "rolling_missed": 0, "rolling_false": 0, "rolling_latency_median_s": 1.0, "rolling_latency_max_s": 1.5,
    "state_agreement": 0.95, "breathe_breaths_ok": 0.95, "knee_phase_exact": 0.9, "phase_agreement": 0.95,
}
LEARNT_TARGETS = {"pressure_false": 0, "spikes_missed": 0, "knee_phase_exact": 0.9}
AT_LEAST = ("state_agreement", "breaths_within_1", "knee_drops_exact", "breathe_breaths_ok", "knee_phase_exact",
            "phase_agreement")


def meets(figs, learnt=None):
    bad = []
    for mode, f in list(figs.items()) + ([("learnt", learnt)] if learnt else []):
        for k, target in (LEARNT_TARGETS if mode == "learnt" else TARGETS).items():
            v = f.get(k)
            if v is None:
                continue
            ok = v >= target if k in AT_LEAST else v <= target
            if not ok:
                bad.append(f"{mode}.{k} = {v} (target {target})")
    return bad


def evaluate_real(rate=RATE):
    """Breaths on the real recordings' one-minute holds (realdata.py): the
    detector finding the hold itself, against the peer given its true bounds.
    -> {recording: {holds, breaths_ok, breaths_ok_neurokit2}}, and "all"."""
    from . import realdata
    rows = []
    for h in realdata.holds():
        sc = h.scenario
        t, f, g = sample(sc, rate)
        events, comp, _ = run(t, f, None, rate, sc.gentle_max_n)
        out = summarise(t, comp, events)
        got = sum(p["breaths"] for p in out["phases"] if p["kind"] in ("breathe", "resettle"))
        s0, e0 = next((a, b) for a, b, k, _ in sc.phases if k == "breathe")
        m = (t >= s0) & (t < e0)
        rows.append((h.name.split("@")[0], h.name, h.breaths, got, peer_breaths(f[m], rate)))
    figs = {}
    for key in sorted({r[0] for r in rows}) + ["all"]:
        sel = [r for r in rows if key in ("all", r[0])]
        peer = [breaths_ok(r[4], r[2]) for r in sel if r[4] is not None]
        figs[key] = {"holds": len(sel), "breaths_ok": _share([breaths_ok(r[3], r[2]) for r in sel]),
                     "breaths_ok_neurokit2": _share(peer) if peer else None}
    return figs, rows
