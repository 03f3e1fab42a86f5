"""A session report: the force trace with state shading, the gentle band and
alerts; a table per hold; a summary of the mistakes. PNG or HTML."""
import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .analysis import summarise  # noqa: E402
from .replay import run  # noqa: E402

COLORS = {"idle": "#ffffff", "settling": "#fff3c4", "hold": "#d8f0d8", "knee_drop": "#cfe3ff",
          "rolling": "#ffd0d0"}
ALERT_MARK = {"pressure_high": ("v", "red"), "rolling": ("s", "darkorange"), "slip": ("x", "purple")}
MISTAKE_WORDS = {"pressure_high": "pressed past the gentle range", "rolling": "rolled instead of holding",
                 "slip": "the ball slipped"}


def build(trace, gentle_max=None):
    events, comp, det = run(trace, gentle_max)
    summary = summarise(trace.t, comp, events)
    summary["gentle_max_n"] = det.gentle_max
    return summary, comp


def figure(trace, comp, summary):
    fig, ax = plt.subplots(figsize=(12, 5), dpi=100)
    for s in summary["states"]:
        ax.axvspan(s["start_s"], s["end_s"], color=COLORS.get(s["state"], "#eee"), lw=0)
    ax.plot(trace.t, comp, color="#1f4e79", lw=0.8, label="force")
    gm = summary.get("gentle_max_n")
    if gm:
        ax.axhline(gm, color="red", ls="--", lw=1, label=f"gentle max {gm:.0f} N")
        ax.axhspan(0, gm, color="green", alpha=0.05)
    for kind, (m, c) in ALERT_MARK.items():
        pts = [(a["t_s"], a["force_n"]) for a in summary["alerts"] if a["kind"] == kind]
        if pts:
            ax.scatter(*zip(*pts), marker=m, color=c, s=60, zorder=5, label=kind)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[k]) for k in ("settling", "hold", "knee_drop", "rolling")]
    leg1 = ax.legend(handles, ["settling", "hold", "knee drops", "rolling"], loc="upper left", fontsize=8)
    ax.add_artist(leg1)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("force on the ball (N)")
    ax.set_xlim(trace.t[0], trace.t[-1])
    ax.set_ylim(0, max(float(np.max(comp)) * 1.1, (gm or 0) * 1.2, 10))
    ax.set_title(f"Session: {summary['duration_s'] / 60:.1f} min, {len(summary['holds'])} holds, "
                 f"{len(summary['alerts'])} alerts")
    fig.tight_layout()
    return fig


def mistakes(summary):
    counts = {}
    for a in summary["alerts"]:
        counts[a["kind"]] = counts.get(a["kind"], 0) + 1
    return [f"{n} x {MISTAKE_WORDS[k]}" for k, n in counts.items()] or ["no mistakes: calm holds throughout"]


def hold_rows(summary):
    return [(f"{h['start_s']:.0f}-{h['end_s']:.0f} s", f"{h['end_s'] - h['start_s']:.0f} s", h["breaths"],
             h["knee_drops"], f"{h['mean_force_n']:.0f}", f"{h['peak_force_n']:.0f}") for h in summary["holds"]]


HEADER = ("time", "length", "breaths", "knee drops", "mean N", "peak N")


def write_png(trace, comp, summary, path):
    fig = figure(trace, comp, summary)
    rows = hold_rows(summary)
    fig.set_size_inches(12, 5 + 0.25 * (len(rows) + 4))
    fig.subplots_adjust(bottom=0.18 + 0.04 * (len(rows) + 3))
    text = "   ".join(f"{h:>10}" for h in HEADER) + "\n" + "\n".join(
        "   ".join(f"{str(c):>10}" for c in r) for r in rows) + "\n\nMistakes: " + "; ".join(mistakes(summary))
    fig.text(0.06, 0.02, text, family="monospace", fontsize=8, va="bottom")
    fig.savefig(path)
    plt.close(fig)


def write_html(trace, comp, summary, path):
    fig = figure(trace, comp, summary)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    img = base64.b64encode(buf.getvalue()).decode()
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in hold_rows(summary))
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    items = "".join(f"<li>{html.escape(m)}</li>" for m in mistakes(summary))
    page = f"""<!doctype html><meta charset="utf-8"><title>ballsense session report</title>
<style>body{{font-family:sans-serif;max-width:1250px;margin:auto}} td,th{{padding:4px 12px;text-align:right}}</style>
<h1>Session report</h1><img src="data:image/png;base64,{img}" alt="force trace" width="1200">
<h2>Holds</h2><table><tr>{head}</tr>{rows}</table><h2>Mistakes</h2><ul>{items}</ul>
<p>Not medical advice. Sharp pain, pain into the belly or side, or down a leg: stop and see a professional.</p>"""
    with open(path, "w") as f:
        f.write(page)
