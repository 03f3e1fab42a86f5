"""A session report, to read on screen or on paper: the force trace with the
spots, phases, gentle maximum and alerts; a table per spot and phase; the
alerts in words. PNG (one landscape page), or HTML that stands alone (the
picture inline, nothing fetched).

`load` analyses one recording the way history does; `spots` turns the
detector's phases into spots (the one place that knows the summary's shape);
`Session.mistakes` turns its alerts into what the person did wrong."""
import base64
import datetime as dt
import html
import io
import os
import re
import textwrap

import numpy as np

from . import profile as profiles
from .alerts import ALERTS
from .analysis import summarise
from .phases import BREATHING, KINDS
from .recording import Recording
from .replay import run
from .sinks.screen import PHASE_WORDS  # the phases' names, as the person saw them live
from .traces import load as load_trace

# The time "held" at a spot: on the ball and held still (settling included),
# rolling not. Every phase kind is either held or named here as not.
HELD = ("settle", "breathe", "knee_drops", "resettle")
NOT_HELD = ("off", "rolling")
assert set(HELD) | set(NOT_HELD) == set(KINDS)
# The detector raises rolling up to 1.5 s after it starts (docs/algorithms.md),
# so a press past the gentle maximum that soon before it is its first swing.
ROLL_FOUND_S = 1.5
MIN_ROW_S = 0.5  # a phase shorter than this (a press one tick before the rolling it began) gets no line

PHASE_COLORS = {"settle": "#fff3c4", "breathe": "#d8f0d8", "knee_drops": "#cfe3ff", "resettle": "#e6d8f5",
                "rolling": "#f8c8c8"}
SIDES = ("left", "right")
UNKNOWN_SIDE = "unknown"  # no side noted
GUIDE, NOTED = "guide", "noted"  # where a spot's side came from
A4_LANDSCAPE_IN = (11.69, 8.27)
NO_ALERTS = "No alerts: calm, gentle holds throughout."
NOTICE = ("Not medical advice. Sharp pain, pain into the belly or side, pain down a leg or numbness: stop and see "
          "a health professional.")


class Session:
    """One recording, analysed: its trace, the detector's summary and events,
    its meta and notes, the person it was made for, and its spots with their
    sides."""

    def __init__(self, path, trace, comp, summary, meta, notes, events=()):
        self.path, self.trace, self.summary, self.events = path, trace, summary, list(events)
        self.comp = steady(trace.t, comp)
        self.meta, self.notes = meta, notes
        self.person = profiles.from_meta(meta["profile"]) if "profile" in meta else profiles.load()
        self.spots = spots(summary, trace.t, self.comp, notes)

    @property
    def started(self):
        """The start the recording states in its own meta (never the file's
        clock), or None."""
        try:
            return dt.datetime.strptime(str(self.meta["started"])[:19], "%Y-%m-%dT%H:%M:%S")
        except (KeyError, ValueError):
            return None

    def where(self, t):
        """(spot, phase) at time t, either None outside a spot."""
        for sp in self.spots:
            if sp["start_s"] <= t <= sp["end_s"]:
                ph = next((p for p in sp["phases"] if p["start_s"] <= t < p["end_s"]), sp["phases"][-1])
                return sp, ph
        return None, None

    def alerts(self):
        """Every alert the detector raised, with where it was: spot number,
        side and the phase under way when it began (None outside a spot)."""
        slips = [e.t_s for e in self.events if e.kind == "slip"]
        out = []
        for a in self.summary["alerts"]:
            began = a["t_s"]
            if a["kind"] == "slip":  # alerted once confirmed: it began at the slip
                began = max([s for s in slips if s <= a["t_s"]], default=began)
            sp, _ = self.where(began)
            _, ph = self.where(began - 0.01)  # the phase it interrupted, not the one it began
            out.append(dict(a, began_s=began, spot=sp["spot"] if sp else None,
                            side=sp["side"] if sp else side_at(self.notes, a["t_s"]),
                            phase=ph["kind"] if ph and sp else None))
        return out

    def mistakes(self):
        """The alerts as what the person did: a rolling bout is one mistake,
        the pressure alerts its swings raised (from ROLL_FOUND_S before it was
        found to its end) its `swings`; every other alert is one mistake.
        Each with `peak_n`: the highest force while it lasted (None for a slip)."""
        alerts = self.alerts()
        bouts = [p for sp in self.spots for p in sp["phases"] if p["kind"] == "rolling"
                 and any(a["kind"] == "rolling" and p["start_s"] - 0.05 <= a["t_s"] <= p["end_s"] for a in alerts)]

        def bout(t, before):
            return next((b for b in bouts if b["start_s"] - before <= t <= b["end_s"]), None)

        swings, out = {}, []
        for a in alerts:
            b = bout(a["t_s"], ROLL_FOUND_S) if a["kind"] == "pressure_high" else None
            if b is not None:
                swings[id(b)] = swings.get(id(b), 0) + 1
            else:
                out.append(dict(a, peak_n=None))
        for m in out:
            if m["kind"] == "rolling":
                b = bout(m["t_s"], 0.05)
                m.update(end_s=b["end_s"] if b else m["t_s"], swings=swings.get(id(b), 0),
                         peak_n=b["peak_force_n"] if b else None)
            elif m["kind"] == "pressure_high":
                m["peak_n"] = self._press_peak(m["t_s"])
        return out

    def _press_peak(self, t):
        """The highest force from a pressure alert at t until it cleared."""
        clear = next((e.t_s for e in self.events if e.kind == "alert_clear" and e.alert == "pressure_high"
                      and e.t_s >= t), float(self.trace.t[-1]))
        i0, i1 = np.searchsorted(self.trace.t, [t, clear], side="left")
        return round(float(self.comp[i0:max(i1, i0 + 1)].max()), 2)


def steady(t, comp):
    """The force as the person felt it: the sensor's glitches (up to the
    detector's glitch length, 30 ms) taken out by a centred median, so a peak
    is a press, not a 10 ms spike of the sensor."""
    from scipy.ndimage import median_filter
    from .analysis import rate_of
    from .detect import Params, median_window
    return median_filter(np.asarray(comp, float), size=median_window(Params().glitch_s, rate_of(t)), mode="nearest")


def load(path, gentle_max=None):
    """A .rec (or a CSV) analysed with the gentle maximum `gentle_max` (a
    what-if), else the one it was made with (settings.gentle_max)."""
    path = str(path)
    tr = load_trace(path)
    if not path.endswith(".rec"):
        return from_trace(tr, gentle_max, None, (), path)
    rec = Recording(path)
    return from_trace(tr, gentle_max, rec.meta, rec.notes(), path)


def from_trace(trace, gentle_max=None, meta=None, notes=(), path=""):
    """A trace analysed; `meta` and `notes` are its recording's (None: a bare
    trace, e.g. a CSV). A recording that kept no settings replays with the
    profile it names (its meta), not whoever's profile is active now."""
    person = profiles.from_meta(meta["profile"]).gentle_max() if meta and "profile" in meta else \
        profiles.gentle_max_n()
    events, comp, det = run(trace, gentle_max, profile=person)
    summary = summarise(trace.t, comp, events)
    summary["gentle_max_n"] = det.gentle_max
    summary["gentle_max_from"] = ("given" if gentle_max is not None else
                                  "set" if det.gentle.newtons is not None else "learnt")
    return Session(path, trace, comp, summary, meta or {}, list(notes), events)


# ---- the summary's shape: spots and their phases ------------------------------

def side_marks(notes):
    """[(t_s, side)]: where the guide's spot notes, or --side, say the side
    changes (the guide's cue notes are not marks: each spot's note is)."""
    return [(float(n.get("t_s", 0.0)), n["side"]) for n in notes if n.get("side") in SIDES and "cue" not in n]


def side_at(notes, t):
    """The side noted as treated at time t; the first noted side before any
    note; None when nothing was noted."""
    marks = side_marks(notes)
    if not marks:
        return None
    before = [s for m, s in marks if m <= t + 1e-6]
    return before[-1] if before else marks[0][1]


def spot_side(notes, spot, t):
    """-> (side, where from): the guide's note for this spot ({"spot", "side",
    "t_s"}: the side it took the spot to be on), else the side noted at its
    start (--side), else (None, None)."""
    guide = [n["side"] for n in notes if n.get("spot") == spot and "cue" not in n and n.get("side") in SIDES]
    if guide:
        return guide[-1], GUIDE
    side = side_at(notes, t)
    return side, NOTED if side else None


def spots(summary, t=None, comp=None, notes=()):
    """The detector's phases (summary["phases"]) as spots:
    [{spot, side, side_from, start_s, end_s, held_s, breaths, knee_drops,
      mean_force_n, peak_force_n, phases: [{kind, spot, start_s, end_s,
      breaths, knee_drops, mean_force_n, peak_force_n}]}].
    held_s is the time in HELD phases; breaths and knee drops are the phases'
    counts; the mean force is over the time held, the peak over the whole
    spot (rolling's swings were felt too). With the force (t, comp) the force
    figures are taken from it, else None."""
    groups = {}
    for ph in summary.get("phases", []):
        groups.setdefault(ph["spot"], []).append(dict(ph))
    out = []
    for n, phases in sorted(groups.items()):
        for ph in phases:
            _force_stats(ph, t, comp)
        held = [ph for ph in phases if ph["kind"] in HELD]
        start = phases[0]["start_s"]
        side, side_from = spot_side(notes, n, start)
        out.append({"spot": n, "side": side, "side_from": side_from, "start_s": start,
                    "end_s": phases[-1]["end_s"], "held_s": round(sum(_len(ph) for ph in held), 2),
                    "breaths": sum(ph["breaths"] for ph in phases),
                    "knee_drops": sum(ph["knee_drops"] for ph in phases),
                    "mean_force_n": _weighted([(ph["mean_force_n"], _len(ph)) for ph in held]),
                    "peak_force_n": max((ph["peak_force_n"] for ph in phases if ph["peak_force_n"] is not None),
                                        default=None),
                    "phases": phases})
    return out


def held_words():
    return ", ".join(PHASE_WORDS[k] for k in HELD)


def _len(ph):
    return ph["end_s"] - ph["start_s"]


def _force_stats(ph, t, comp):
    ph["mean_force_n"] = ph["peak_force_n"] = None
    if t is None:
        return
    i0, i1 = np.searchsorted(t, [ph["start_s"], ph["end_s"]], side="left")
    if i1 > i0:
        ph["mean_force_n"] = round(float(comp[i0:i1].mean()), 2)
        ph["peak_force_n"] = round(float(comp[i0:i1].max()), 2)


def _weighted(pairs):
    pairs = [(v, w) for v, w in pairs if v is not None]
    total = sum(w for _, w in pairs)
    return round(sum(v * w for v, w in pairs) / total, 2) if total > 0 else None


# ---- words -------------------------------------------------------------------

def clock(s):
    """Seconds as m:ss."""
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}"


def side_word(side):
    return side or UNKNOWN_SIDE


def where_word(side):
    return f"{side} side" if side else "side not noted"


def _newtons(session, f):
    pct = session.person.pct_of_body(f)
    return f"{f:.0f} N" + (f" ({pct:.0f} % of body weight)" if pct is not None else "")


def alert_lines(session):
    """Every mistake in words, in time order: when, where (spot, side, the
    phase it interrupted), what, and how hard."""
    gm = session.summary.get("gentle_max_n")
    against = f" against a gentle maximum of {gm:.0f} N" if gm else ""
    lines = []
    for m in session.mistakes():
        where = (f"spot {m['spot']}, " if m["spot"] else "between spots, ") + where_word(m["side"])
        if m["kind"] != "rolling" and m["phase"]:
            where += f", {PHASE_WORDS[m['phase']]}"
        what = ALERTS[m["kind"]].mistake
        if m["kind"] == "pressure_high":
            what += f": up to {_newtons(session, m['peak_n'] if m['peak_n'] is not None else m['force_n'])}"
            what += against
        elif m["kind"] == "rolling":
            what += f", for {m['end_s'] - m['t_s']:.0f} s"
            if m["swings"]:
                what += (f"; {m['swings']} of its swings passed the gentle maximum"
                         + (f" of {gm:.0f} N" if gm else "") + f", up to {_newtons(session, m['peak_n'])}")
        elif m["kind"] == "slip" and m["force_n"] is not None:
            what += f": the force fell to {m['force_n']:.0f} N"
        lines.append(f"{clock(m['t_s'])} ({where}): {what}")
    return lines


def counts(mistakes):
    """Mistakes by kind (alerts.KINDS), and the pressure alerts that
    rolling's swings raised."""
    out = dict.fromkeys(ALERTS, 0)
    for m in mistakes:
        out[m["kind"]] += 1
    return out, sum(m.get("swings", 0) for m in mistakes)


def in_short(session):
    """The mistakes by kind, in words: "1 x pressed past the gentle range, ..."."""
    by_kind, swings = counts(session.mistakes())
    parts = [f"{n} x {ALERTS[k].mistake}" + (f" ({swings} swing{'s' * (swings > 1)} past the gentle maximum)"
                                            if k == "rolling" and swings else "")
             for k, n in by_kind.items() if n]
    return ", ".join(parts) or "no mistakes: calm holds throughout"


def heading(session):
    s = session.summary
    when = session.started.strftime("%a %d %b %Y, %H:%M") if session.started else "date not recorded"
    who = session.person.name or "no profile"
    gm = s.get("gentle_max_n")
    how = {"given": "given for this report", "set": "as set for the session", "learnt": "learnt"}.get(
        s.get("gentle_max_from"), "")
    gm_text = f"gentle maximum {gm:.0f} N ({how})" if gm else "no gentle maximum (no settled hold)"
    pct = session.person.pct_of_body(gm)
    if pct is not None:
        gm_text += f", {pct:.0f} % of body weight"
    source = "emulated ball" if session.meta.get("emulated") else "replay" if session.meta.get("replay") else \
        f"recorded from {session.meta['source']}" if session.meta.get("source") else "from a CSV"
    per_side = {}
    for sp in session.spots:
        per_side[side_word(sp["side"])] = per_side.get(side_word(sp["side"]), 0) + 1
    sides = ", ".join(f"{n} {side}" for side, n in per_side.items())
    return [f"{who} - {when}",
            f"{s['duration_s'] / 60:.1f} min, {len(session.spots)} spots ({sides or 'none'}); {gm_text}; {source}",
            f"Alerts: {in_short(session)}."]


TOTAL = "whole spot"
PCT_HEADER = "% body mean/peak"  # the force as % of body weight


def header(session):
    return ("spot", "side", "phase", "time", "length", "breaths", "knee drops", "mean N", "peak N") + \
        ((PCT_HEADER,) if session.person.body_mass_kg else ())


def rows(session):
    """The table per spot and phase: a line per phase (the spot and side on
    its first), then the spot's total ("whole spot": the time held, rolling
    left out). Breaths show where they are counted (breathing phases), knee
    drops in the knee drops."""
    pct = session.person.pct_of_body if session.person.body_mass_kg else None
    out = []
    for sp in session.spots:
        shown = [ph for ph in sp["phases"] if _len(ph) >= MIN_ROW_S] or sp["phases"]
        for i, ph in enumerate(shown):
            out.append((str(sp["spot"]) if i == 0 else "", side_word(sp["side"]) if i == 0 else "",
                        PHASE_WORDS[ph["kind"]], f"{clock(ph['start_s'])}-{clock(ph['end_s'])}",
                        f"{_len(ph):.0f} s", str(ph["breaths"]) if ph["kind"] in BREATHING else "",
                        str(ph["knee_drops"]) if ph["kind"] == "knee_drops" else "",
                        _n(ph["mean_force_n"]), _n(ph["peak_force_n"]))
                       + ((_pct(pct, ph),) if pct else ()))
        out.append(("", "", TOTAL, f"{clock(sp['start_s'])}-{clock(sp['end_s'])}", f"{sp['held_s']:.0f} s held",
                    str(sp["breaths"]), str(sp["knee_drops"]), _n(sp["mean_force_n"]), _n(sp["peak_force_n"]))
                   + ((_pct(pct, sp),) if pct else ()))
    return out


def _n(x):
    return "" if x is None else f"{x:.0f}"


def _pct(pct, d):
    m, p = pct(d["mean_force_n"]), pct(d["peak_force_n"])
    return "" if m is None or p is None else f"{m:.0f}/{p:.0f}"


# ---- the picture ---------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


TICK_S = (5, 10, 15, 30, 60, 120, 300, 600)  # time ticks on whole seconds and minutes


def draw_trace(ax, session, legend_y=-0.14):
    """Force against time (m:ss), the phases shaded, spots labelled, the
    gentle maximum, the alerts; % of body weight on the right when known."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
    s, t, comp = session.summary, session.trace.t, session.comp
    for sp in session.spots:
        for ph in sp["phases"]:
            ax.axvspan(ph["start_s"], ph["end_s"], color=PHASE_COLORS[ph["kind"]], lw=0)
    ax.plot(t, comp, color="#1f4e79", lw=0.8, label="force (sensor glitches under 30 ms left out)")
    gm = s.get("gentle_max_n")
    if gm:
        ax.axhline(gm, color="red", ls="--", lw=1, label=f"gentle max {gm:.0f} N")
    for kind, (m, c) in ((k, a.mark) for k, a in ALERTS.items()):
        pts = [(a["t_s"], a["force_n"]) for a in s["alerts"] if a["kind"] == kind]
        if pts:
            ax.scatter(*zip(*pts), marker=m, color=c, s=40, zorder=5, label=ALERTS[kind].mistake)
    top = max(float(np.max(comp)) * 1.15, (gm or 0) * 1.25, 10)
    for sp in session.spots:
        ax.annotate(f"spot {sp['spot']}" + (f" {sp['side'][0].upper()}" if sp["side"] else ""),
                    (sp["start_s"], top), xytext=(2, -2), textcoords="offset points", va="top", fontsize=8)
        ax.axvline(sp["start_s"], color="#888", lw=0.5, ls=":")
    span = float(t[-1] - t[0])
    ax.set_xlim(float(t[0]), float(t[-1]))
    step = next((x for x in TICK_S if span / x <= 12), TICK_S[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: clock(x)))
    ax.set_xlabel("time (min:s)" if span >= 60 else "time (0:ss)", fontsize=8)
    ax.set_ylim(0, top * 1.06)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_ylabel("force on the ball (N)", fontsize=8)
    ax.tick_params(labelsize=8)
    person = session.person
    if person.body_mass_kg:
        kg = person.body_mass_kg * profiles.G / 100
        sec = ax.secondary_yaxis("right", functions=(lambda f: f / kg, lambda p: p * kg))
        sec.set_ylabel("% of body weight", fontsize=8)
        sec.tick_params(labelsize=8)
    h, labels = ax.get_legend_handles_labels()
    h += [_patch(PHASE_COLORS[k]) for k in PHASE_COLORS]
    labels += [PHASE_WORDS[k] for k in PHASE_COLORS]
    ax.legend(h, labels, loc="upper center", bbox_to_anchor=(0.5, legend_y), ncol=6, fontsize=7.5, frameon=False)
    ax.grid(axis="y", color="#ddd", lw=0.5)


def _patch(color):
    from matplotlib.patches import Rectangle
    return Rectangle((0, 0), 1, 1, facecolor=color, edgecolor="#999", lw=0.5)


def trace_figure(session, size=(11.0, 4.0)):
    plt = _plt()
    fig, ax = plt.subplots(figsize=size, dpi=110)
    draw_trace(ax, session)
    fig.subplots_adjust(left=0.07, right=0.93 if session.person.body_mass_kg else 0.98, top=0.97, bottom=0.26)
    return fig


# the page, in inches: a normal session (2 sides, 2-3 spots each) fits A4 landscape
HEAD_IN, TRACE_IN, AXIS_IN, ROW_IN, LINE_IN = 0.8, 2.6, 0.85, 0.14, 0.15
COL_W = (0.05, 0.06, 0.15, 0.1, 0.09, 0.08, 0.1, 0.08, 0.08, 0.15)  # the table's columns, relative
ALERT_CHARS = 60  # the alerts' column, beside the table, wraps at this


def write_png(session, path):
    """One landscape page: heading, trace, the spot and phase table with the
    alerts beside it. A4 wide, and as tall as the table needs (no empty half
    page): a normal session (two sides, two or three spots each) fits A4."""
    plt = _plt()
    table, head = rows(session), header(session)
    lines = [("Alerts", True)]
    for x in alert_lines(session) or [NO_ALERTS]:
        x = re.sub(r"(\d) (s|N|%)(?!\w)", "\\1\u00a0\\2", x)  # a number keeps its unit on its line
        lines += [(w, False) for w in textwrap.wrap(x, ALERT_CHARS, subsequent_indent="   ")] + [("", False)]
    top_in = HEAD_IN + TRACE_IN + AXIS_IN
    lower = max(ROW_IN * (len(table) + 1), LINE_IN * len(lines)) + 0.35
    h = max(A4_LANDSCAPE_IN[1] * 0.6, top_in + lower)
    fig = plt.figure(figsize=(A4_LANDSCAPE_IN[0], h), dpi=110)
    for i, line in enumerate(heading(session)):
        fig.text(0.04, 1 - (0.2 + i * 0.21) / h, line, fontsize=12 if i == 0 else 9,
                 weight="bold" if i == 0 else None, va="top")
    ax = fig.add_axes([0.065, 1 - (HEAD_IN + TRACE_IN) / h, 0.87, TRACE_IN / h])
    draw_trace(ax, session, legend_y=-0.14)
    top = 1 - top_in / h
    widths = COL_W[:len(head)]
    table_w = 0.64 * sum(widths) / sum(COL_W)
    if table:
        tab_h = ROW_IN * (len(table) + 1) / h
        tax = fig.add_axes([0.04, top - tab_h, table_w, tab_h])
        tax.axis("off")
        tb = tax.table(cellText=table, colLabels=head, loc="upper left", cellLoc="right", colLoc="right",
                       bbox=[0, 0, 1, 1])
        tb.auto_set_font_size(False)
        tb.set_fontsize(7.5)
        for (r, c), cell in tb.get_celld().items():
            cell.set_width(widths[c] / sum(widths))
            cell.set_edgecolor("#ccc")
            cell.visible_edges = "B"
            if c < 3:
                cell._loc = "left"
                cell.set_text_props(ha="left")
            if r == 0:
                cell.set_text_props(weight="bold")
                cell.set_facecolor("#f2f2f2")
            elif table[r - 1][2] == TOTAL:
                cell.set_text_props(weight="bold")
    x = 0.04 + table_w + 0.03
    for i, (line, bold) in enumerate(lines):
        fig.text(x, top - i * LINE_IN / h, line, fontsize=10 if bold else 7.5, weight="bold" if bold else None,
                 va="top")
    fig.text(0.04, 0.12 / h, NOTICE, fontsize=7, color="#555")
    save_figure(fig, path)


def save_figure(fig, path):
    fig.savefig(path)
    _plt().close(fig)
    private(path)


def private(path):
    """Readable by its owner only: it is about a person's health."""
    os.chmod(path, 0o600)


def png_data(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    _plt().close(fig)
    return base64.b64encode(buf.getvalue()).decode()


PAGE_CSS = """body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#111}
h1{font-size:1.3em;margin:.2em 0}p.sub{margin:.2em 0 .8em;color:#333}
img{width:100%;height:auto}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}th{background:#f2f2f2}
td.l,th.l{text-align:left}tr.missed td{color:#a00}tr.come td{color:#888}
tr.total td{font-weight:bold;border-bottom:1px solid #999}tr.first td{border-top:1px solid #999}
.notice{font-size:.8em;color:#555;margin-top:1.5em}
@page{size:A4 landscape;margin:10mm}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{break-after:avoid;margin:.4em 0}
tr,img{break-inside:avoid}img{width:auto;max-width:100%;max-height:115mm}table{font-size:8.5pt}}"""


def html_page(title, body):
    """A page that stands alone: its style inline, no script, nothing fetched."""
    return (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{PAGE_CSS}</style><body>{body}<p class=\"notice\">{html.escape(NOTICE)}</p></body></html>")


def html_table(header, body, left=(), row_class=None):
    cls = lambda i: ' class="l"' if i in left else ""
    head = "".join(f"<th{cls(i)}>{html.escape(h)}</th>" for i, h in enumerate(header))
    trs = []
    for r in body:
        rc = f' class="{row_class(r)}"' if row_class and row_class(r) else ""
        trs.append(f"<tr{rc}>" + "".join(f"<td{cls(i)}>{html.escape(str(c))}</td>" for i, c in enumerate(r))
                   + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(trs)}</table>"


def write_html(session, path):
    img = png_data(trace_figure(session))
    head = heading(session)
    items = "".join(f"<li>{html.escape(x)}</li>" for x in alert_lines(session) or [NO_ALERTS])
    kind = lambda r: "total" if r[2] == TOTAL else "first" if r[0] else ""
    body = (f"<h1>Session report: {html.escape(head[0])}</h1><p class=\"sub\">{html.escape(head[1])}</p>"
            f'<img src="data:image/png;base64,{img}" alt="force on the ball over the session">'
            f"<h2>Spots and phases</h2>{html_table(header(session), rows(session), left=(0, 1, 2), row_class=kind)}"
            f"<p>Held: the time on the ball held still ({held_words()}); rolling is not held. "
            "Breaths are counted while breathing, knee drops during the knee drops. "
            "Force: the mean over the time held, and the peak (sensor glitches under 30 ms left out).</p>"
            f"<h2>Alerts</h2><ul>{items}</ul>"
            f"<p>In short: {html.escape(in_short(session))}.</p>")
    _write_text(path, html_page("ballsense session report", body))


def _write_text(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it is about a person's health
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
