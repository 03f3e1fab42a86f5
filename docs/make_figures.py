"""Regenerates the pictures in docs/ and the README:
    .venv/bin/python docs/make_figures.py
live.svg (the terminal view, exported by rich), report.png (a report of the
demo session), programme.png (two weeks of sessions, as `history -o` draws
them), detection.png (ground truth against detected states)."""
import datetime as dt
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402

from ballsense import history, report, scenarios  # noqa: E402
from ballsense.alerts import ALERTS  # noqa: E402
from ballsense.evaluate import sample  # noqa: E402
from ballsense.pipeline import View  # noqa: E402
from ballsense.sinks.screen import render  # noqa: E402
from ballsense.traces import Trace  # noqa: E402

OUT = Path(__file__).parent / "img"


def live_svg():
    v = View(t_s=48.3, force_n=131.6, state="hold", gentle_max=152.0, breaths=4, knee_drops=0, hold_since=9.1,
             link="ble", battery=87, name="ballsense", side="left", spot=1, alerts=1,
             cue_text="Hold still and breathe slowly. Let each exhale sink you a little further. Breath 4 of 6.")
    c = Console(record=True, width=110, height=32, force_terminal=True, color_system="truecolor", file=io.StringIO())
    c.print(render(v, 110, 32))
    c.save_svg(OUT / "live.svg", title="ballsense live")
    v.alert, v.force_n = "pressure_high", 171.0
    c = Console(record=True, width=110, height=32, force_terminal=True, color_system="truecolor", file=io.StringIO())
    c.print(render(v, 110, 32))
    c.save_svg(OUT / "live_alert.svg", title="ballsense live: alert")


PERSON = {"name": "Ann", "body_mass_kg": 70.0}


def report_png():
    sc = scenarios.demo(1)
    t, f, g = sample(sc)
    meta = {"started": "2024-05-03T07:45:00+0200", "source": "ble://ballsense", "profile": PERSON}
    s = report.from_trace(Trace(t, f, g), None, meta, [{"side": "left", "t_s": 0.0}])
    report.write_png(s, OUT / "report.png")


def programme_png():
    """Two weeks: three days missed, the mistakes dying out."""
    start, sessions = dt.date(2024, 5, 1), []
    for day in (0, 1, 2, 4, 5, 7, 8, 9, 10, 12, 13):
        for k, side in enumerate(("left", "right")):
            sc = scenarios.session(10 * day + k, spots=2, mistakes=day < 6)
            t, f, g = sample(sc)
            meta = {"started": f"{start + dt.timedelta(day)}T08:{10 + 20 * k}:00+0200", "profile": PERSON}
            sessions.append(report.from_trace(Trace(t, f, g), None, meta, [{"side": side, "t_s": 0.0}]))
    prog = history.build(sessions, today=dt.date(2024, 6, 1), person=report.profiles.from_meta(PERSON))
    history.write_png(prog, OUT / "programme.png")


PHASE_COLORS = {"off": "#ffffff", "settle": "#fff3c4", "breathe": "#d8f0d8", "knee_drops": "#cfe3ff",
                "rolling": "#f8c8c8", "resettle": "#e6d8f5"}


def detection_png():
    sc = scenarios.session(3)
    t, f, g = sample(sc)
    from ballsense.analysis import run, summarise
    ev, comp, _ = run(t, f, g, 100, sc.gentle_max_n)
    out = summarise(t, comp, ev)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(12, 5.5), sharex=True, dpi=100)
    truth = [dict(start_s=s, end_s=e, kind=k) for s, e, k, _ in sc.phases]
    for ax, phases, title in ((a1, truth, "ground truth"), (a2, out["phases"], "detected (streaming)")):
        for p in phases:
            ax.axvspan(p["start_s"], p["end_s"], color=PHASE_COLORS[p["kind"]], lw=0)
        ax.plot(t, comp if ax is a2 else sc.true_force[::2], lw=0.7, color="#1f4e79")
        ax.axhline(sc.gentle_max_n, color="red", ls="--", lw=0.8)
        ax.set_ylabel("N")
        ax.set_title(title, fontsize=9, loc="left")
    for x, k in sc.events:
        if k in ("breath", "knee_drop"):
            a1.plot([x], [sc.load_n * (0.3 if k == "breath" else 0.2)], "|", color="k")
    for e in ev:
        if e.kind in ("breath", "knee_drop"):
            a2.plot([e.t_s], [sc.load_n * (0.3 if e.kind == "breath" else 0.2)], "|", color="k")
        if e.kind == "alert":
            a2.plot([e.t_s], [e.value], "v", color=ALERTS[e.alert].mark[1])
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for k, c in PHASE_COLORS.items() if k != "off"]
    a1.legend(handles, [k for k in PHASE_COLORS if k != "off"], fontsize=7, ncol=5, loc="upper right")
    a2.set_xlabel("time (s)   | = breath (upper) or knee drop (lower), triangles = alerts")
    fig.tight_layout()
    fig.savefig(OUT / "detection.png")
    plt.close(fig)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    live_svg()
    report_png()
    programme_png()
    detection_png()
    print("written:", ", ".join(sorted(p.name for p in OUT.iterdir())))
