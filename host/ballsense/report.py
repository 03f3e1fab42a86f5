"""A session report, to read on screen or on paper: the force trace with the
spots, states, gentle band and alerts; a table per spot and phase; the alerts
in words. PNG, or HTML that stands alone (the picture inline, nothing fetched).

`load` analyses one recording the way history does; `spots` turns the
analysis summary into spots and their phases (the one place that knows the
summary's shape)."""
import base64
import datetime as dt
import html
import io
import os

import numpy as np

from . import profile as profiles
from .alerts import ALERTS
from .analysis import summarise
from .replay import run
from .recording import Recording
from .traces import load as load_trace

COLORS = {"idle": "#ffffff", "settling": "#fff3c4", "hold": "#d8f0d8", "knee_drop": "#cfe3ff",
          "rolling": "#ffd0d0"}
STATE_WORDS = {"settling": "settling", "hold": "hold", "knee_drop": "knee drops", "rolling": "rolling"}
PHASE_WORDS = {"hold": "hold", "settle": "settling", "breathe": "sink and breathe", "knee_drops": "knee drops",
               "resettle": "re-settling", "rolling": "rolling"}
NOT_HELD = ("rolling",)  # phases that are not time held still
SIDES = ("left", "right")
UNKNOWN_SIDE = "unknown"  # no side noted
A4_LANDSCAPE_IN = (11.69, 8.27)
NO_ALERTS = "No alerts: calm, gentle holds throughout."
NOTICE = ("Not medical advice. Sharp pain, pain into the belly or side, pain down a leg or numbness: stop and see "
          "a health professional.")


class Session:
    """One recording, analysed: its trace, the detector's summary, its meta and
    notes, the person it was made for, and its spots with their sides."""

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

    def alerts(self):
        """The alerts, each with its spot number and side (None outside a spot)."""
        out = []
        for a in self.summary["alerts"]:
            sp = next((s for s in self.spots if s["start_s"] <= a["t_s"] <= s["end_s"]), None)
            out.append(dict(a, spot=sp["spot"] if sp else None, state=self.state_at(a["t_s"]),
                            side=sp["side"] if sp else side_at(self.notes, a["t_s"])))
        return out

    def state_at(self, t):
        return next((st["state"] for st in self.summary["states"] if st["start_s"] <= t < st["end_s"]), "idle")


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
    trace, e.g. a CSV, for which the active profile applies)."""
    events, comp, det = run(trace, gentle_max, profile=profiles.gentle_max_n())  # the recording's own settings
    summary = summarise(trace.t, comp, events)
    summary["gentle_max_n"] = det.gentle_max
    summary["gentle_max_from"] = ("given" if gentle_max is not None else
                                  "set" if det.gentle.newtons is not None else "learnt")
    return Session(path, trace, comp, summary, meta or {}, list(notes), events)


# ---- the summary's shape: spots and their phases ------------------------------

def side_at(notes, t):
    """The side the guide (or --side) noted as being treated at time t; the
    first noted side before any note; None when nothing was noted."""
    marks = [(float(n.get("t_s", 0.0)), n["side"]) for n in notes if n.get("side") in SIDES]
    if not marks:
        return None
    before = [s for m, s in marks if m <= t + 1e-6]
    return before[-1] if before else marks[0][1]


def spots(summary, t=None, comp=None, notes=()):
    """The analysis summary as spots, each with its phases:
    [{spot, side, start_s, end_s, held_s, breaths, knee_drops, mean_force_n,
      peak_force_n, phases: [{kind, start_s, end_s, breaths, knee_drops,
      mean_force_n, peak_force_n}]}].
    From the detector's "phases" (grouped by their "spot") when the summary has
    them, else one "hold" phase per hold. With the force (t, comp), the force
    figures are taken from it (the summary's own are kept without)."""
    if summary.get("phases"):
        groups = {}
        for i, ph in enumerate(summary["phases"]):
            groups.setdefault(ph.get("spot", i + 1), []).append(dict(ph))
    else:
        groups = {i + 1: [dict(h, kind="hold")] for i, h in enumerate(summary["holds"])}
    out = []
    for n, phases in sorted(groups.items(), key=lambda g: g[1][0]["start_s"]):
        for ph in phases:
            _force_stats(ph, t, comp)
        held = [ph for ph in phases if ph["kind"] not in NOT_HELD] or phases
        held_s = sum(ph["end_s"] - ph["start_s"] for ph in held)
        means = [(ph["mean_force_n"], ph["end_s"] - ph["start_s"]) for ph in held if ph["mean_force_n"] is not None]
        start = phases[0]["start_s"]
        out.append({"spot": n, "side": side_at(notes, start), "start_s": start, "end_s": phases[-1]["end_s"],
                    "held_s": round(held_s, 2), "breaths": sum(ph.get("breaths", 0) for ph in phases),
                    "knee_drops": sum(ph.get("knee_drops", 0) for ph in phases),
                    "mean_force_n": _weighted(means),
                    "peak_force_n": max((ph["peak_force_n"] for ph in phases if ph["peak_force_n"] is not None),
                                        default=None),
                    "phases": phases})
    return out


def _force_stats(ph, t, comp):
    if t is None:
        ph.setdefault("mean_force_n", None)
        ph.setdefault("peak_force_n", None)
        return
    m = (t >= ph["start_s"]) & (t < ph["end_s"])
    ph["mean_force_n"] = round(float(comp[m].mean()), 2) if m.any() else None
    ph["peak_force_n"] = round(float(comp[m].max()), 2) if m.any() else None


def _weighted(pairs):
    w = sum(d for _, d in pairs)
    return round(sum(v * d for v, d in pairs) / w, 2) if w > 0 else None


# ---- words -------------------------------------------------------------------

def clock(s):
    """Seconds as m:ss."""
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}"


def side_word(side):
    return side or UNKNOWN_SIDE


def where_word(side):
    return f"{side} side" if side else "side not noted"


def alert_lines(session):
    """Every alert in words, in time order."""
    gm = session.summary.get("gentle_max_n")
    lines = []
    for a in session.alerts():
        between = "while rolling, " if a["state"] == "rolling" else "between spots, "
        where = (f"spot {a['spot']}, " if a["spot"] else between) + where_word(a["side"])
        what = ALERTS[a["kind"]].mistake
        if a["kind"] == "pressure_high" and a["force_n"] is not None:
            what += f": {a['force_n']:.0f} N" + (f" against a gentle maximum of {gm:.0f} N" if gm else "")
            pct = session.person.pct_of_body(a["force_n"])
            what += f" ({pct:.0f} % of body weight)" if pct is not None else ""
        elif a["kind"] == "slip" and a["force_n"] is not None:
            what += f": the force fell to {a['force_n']:.0f} N"
        lines.append(f"{clock(a['t_s'])} ({where}): {what}")
    return lines


def mistakes(summary):
    counts = {}
    for a in summary["alerts"]:
        counts[a["kind"]] = counts.get(a["kind"], 0) + 1
    return [f"{n} x {ALERTS[k].mistake}" for k, n in counts.items()] or ["no mistakes: calm holds throughout"]


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
    sides = sorted({side_word(sp["side"]) for sp in session.spots})
    return [f"{who} - {when}",
            f"{s['duration_s'] / 60:.1f} min, {len(session.spots)} spots ({', '.join(sides) or 'none'}), "
            f"{len(s['alerts'])} alerts; {gm_text}; {source}"]


HEADER = ("spot", "side", "phase", "time", "length", "breaths", "knee drops", "mean N", "peak N")


def rows(session):
    """The per-spot and per-phase table: a line per phase, then the spot's total
    when it has more than one phase."""
    out = []
    for sp in session.spots:
        for ph in sp["phases"]:
            out.append((str(sp["spot"]), side_word(sp["side"]), PHASE_WORDS.get(ph["kind"], ph["kind"]),
                        f"{clock(ph['start_s'])}-{clock(ph['end_s'])}", f"{ph['end_s'] - ph['start_s']:.0f} s",
                        str(ph.get("breaths", "")), str(ph.get("knee_drops", "")), _n(ph["mean_force_n"]),
                        _n(ph["peak_force_n"])))
        if len(sp["phases"]) > 1:
            out.append((str(sp["spot"]), side_word(sp["side"]), "whole spot",
                        f"{clock(sp['start_s'])}-{clock(sp['end_s'])}", f"{sp['held_s']:.0f} s held",
                        str(sp["breaths"]), str(sp["knee_drops"]), _n(sp["mean_force_n"]), _n(sp["peak_force_n"])))
    return out


def _n(x):
    return "" if x is None else f"{x:.0f}"


# ---- the picture ---------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_trace(ax, session):
    """Force against time (m:ss), states shaded, spots labelled, the gentle
    maximum, the alerts; % of body weight on the right when known."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    s, t, comp = session.summary, session.trace.t, session.comp
    for st in s["states"]:
        if st["state"] in STATE_WORDS:
            ax.axvspan(st["start_s"], st["end_s"], color=COLORS[st["state"]], lw=0)
    ax.plot(t, comp, color="#1f4e79", lw=0.8, label="force (sensor glitches under 30 ms left out)")
    gm = s.get("gentle_max_n")
    if gm:
        ax.axhline(gm, color="red", ls="--", lw=1, label=f"gentle max {gm:.0f} N")
    for kind, (m, c) in ((k, a.mark) for k, a in ALERTS.items()):
        pts = [(a["t_s"], a["force_n"]) for a in s["alerts"] if a["kind"] == kind]
        if pts:
            ax.scatter(*zip(*pts), marker=m, color=c, s=50, zorder=5, label=ALERTS[kind].mistake)
    top = max(float(np.max(comp)) * 1.15, (gm or 0) * 1.25, 10)
    for sp in session.spots:
        ax.annotate(f"spot {sp['spot']}" + (f" {sp['side'][0].upper()}" if sp["side"] else ""),
                    (sp["start_s"], top), xytext=(2, -2), textcoords="offset points", va="top", fontsize=8)
        ax.axvline(sp["start_s"], color="#888", lw=0.5, ls=":")
    span = float(t[-1] - t[0])
    ax.set_xlim(float(t[0]), float(t[-1]))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 5, 6, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: clock(x)))
    ax.set_xlabel("time (min:s)" if span >= 60 else "time (0:ss)")
    ax.set_ylim(0, top * 1.06)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_ylabel("force on the ball (N)")
    person = session.person
    if person.body_mass_kg:
        kg = person.body_mass_kg * profiles.G / 100
        sec = ax.secondary_yaxis("right", functions=(lambda f: f / kg, lambda p: p * kg))
        sec.set_ylabel("% of body weight")
    h, labels = ax.get_legend_handles_labels()
    h += [_patch(COLORS[k]) for k in STATE_WORDS]
    labels += list(STATE_WORDS.values())
    ax.legend(h, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=5, fontsize=8, frameon=False)
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


def write_png(session, path):
    """One landscape page: heading, trace, the spot table, the alerts. The page
    grows only as far as its rows need (no empty half page)."""
    plt = _plt()
    table, alerts = rows(session), alert_lines(session) or [NO_ALERTS]
    trace_in, row_in, line_in = 3.6, 0.22, 0.19
    lower = row_in * (len(table) + 1) + line_in * (len(alerts) + 1) + 1.3
    h = max(A4_LANDSCAPE_IN[1] * 0.6, 1.1 + trace_in + lower)
    fig = plt.figure(figsize=(A4_LANDSCAPE_IN[0], h), dpi=110)
    y = 1 - 0.25 / h
    for i, line in enumerate(heading(session)):
        fig.text(0.05, y - i * 0.24 / h, line, fontsize=12 if i == 0 else 9, weight="bold" if i == 0 else None,
                 va="top")
    ax = fig.add_axes([0.07, 1 - (0.8 + trace_in) / h, 0.86, trace_in / h])
    draw_trace(ax, session)
    top = 1 - (0.8 + trace_in + 0.95) / h
    tab_h = row_in * (len(table) + 1) / h
    if table:
        tax = fig.add_axes([0.05, top - tab_h, 0.9, tab_h])
        tax.axis("off")
        tb = tax.table(cellText=table, colLabels=HEADER, loc="upper left", cellLoc="right", colLoc="right",
                       bbox=[0, 0, 1, 1])
        tb.auto_set_font_size(False)
        tb.set_fontsize(8)
        for (r, c), cell in tb.get_celld().items():
            cell.set_edgecolor("#ccc")
            if c < 3:
                cell._loc = "left"
                cell.set_text_props(ha="left")
            if r == 0:
                cell.set_text_props(weight="bold")
    y = top - tab_h - 0.3 / h
    fig.text(0.05, y, "Alerts", fontsize=10, weight="bold", va="top")
    for i, line in enumerate(alerts):
        fig.text(0.06, y - (i + 1) * line_in / h, line, fontsize=8, va="top")
    fig.text(0.05, 0.12 / h, NOTICE, fontsize=7, color="#555")
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
    alerts = alert_lines(session)
    items = "".join(f"<li>{html.escape(x)}</li>" for x in alerts or [NO_ALERTS])
    body = (f"<h1>Session report: {html.escape(head[0])}</h1><p class=\"sub\">{html.escape(head[1])}</p>"
            f'<img src="data:image/png;base64,{img}" alt="force on the ball over the session">'
            f"<h2>Spots and phases</h2>{html_table(HEADER, rows(session), left=(1, 2))}"
            f"<h2>Alerts</h2><ul>{items}</ul>"
            f"<p>In short: {html.escape('; '.join(mistakes(session.summary)))}.</p>")
    _write_text(path, html_page("ballsense session report", body))


def _write_text(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it is about a person's health
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
