"""The two-week programme across recordings: sessions per day, minutes per
side, alerts per session."""
import datetime as dt
import os
from dataclasses import dataclass

from .analysis import summarise
from .replay import run
from .errors import UserError
from .recording import Recording
from .traces import load


@dataclass
class Entry:
    path: str
    day: dt.date
    minutes: float
    left_min: float
    right_min: float
    alerts: int
    holds: int


def entry(path):
    rec = Recording(path)
    tr = load(path)
    try:
        when = dt.datetime.strptime(str(rec.meta["started"])[:19], "%Y-%m-%dT%H:%M:%S")
    except (KeyError, ValueError):  # an odd header still has the file's date
        when = dt.datetime.fromtimestamp(os.path.getmtime(path))
    ev, comp, _ = run(tr)
    out = summarise(tr.t, comp, ev)
    hold_s = sum(h["end_s"] - h["start_s"] for h in out["holds"])
    sides = _side_seconds(rec.notes(), out, tr.t[-1])
    return Entry(path, when.date(), out["duration_s"] / 60, sides["left"] / 60, sides["right"] / 60,
                 len(out["alerts"]), len(out["holds"])) if hold_s >= 0 else None


def _side_seconds(notes, out, end):
    """Hold time per side, from the guide's side notes (unknown side: left)."""
    marks = [(n.get("t_s", 0.0), n["side"]) for n in notes if "side" in n] or [(0.0, "left")]
    secs = {"left": 0.0, "right": 0.0}
    for h in out["holds"]:
        side = [s for t, s in marks if t <= h["start_s"]]
        secs[side[-1] if side else marks[0][1]] += h["end_s"] - h["start_s"]
    return secs


def collect(paths):
    entries, skipped = [], []
    for p in paths:
        try:
            entries.append(entry(p))
        except UserError as e:
            skipped.append(str(e))
            print(f"ballsense: note: skipped {p}: {e}")
    entries = [e for e in entries if e]
    if not entries and len(skipped) == 1:
        raise UserError(skipped[0])
    if not entries and skipped:
        raise UserError(f"none of the {len(skipped)} recordings is usable (first: {skipped[0]})")
    if not entries:
        raise UserError("no recordings to summarise: record a session first (ballsense live or demo)")
    return sorted(entries, key=lambda e: (e.day, e.path))


def plot(entries, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    days = sorted({e.day for e in entries})
    left = [sum(e.left_min for e in entries if e.day == d) for d in days]
    right = [sum(e.right_min for e in entries if e.day == d) for d in days]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    x = range(len(days))
    a1.bar(x, left, label="left side")
    a1.bar(x, right, bottom=left, label="right side")
    a1.axhline(2, color="green", ls="--", lw=0.8, label="1-2 min a side")
    a1.set_ylabel("minutes held")
    a1.legend(fontsize=8)
    per_day = [sum(e.alerts for e in entries if e.day == d) / max(1, sum(1 for e in entries if e.day == d))
               for d in days]
    a2.plot(list(x), per_day, "o-", color="red")
    a2.set_ylabel("alerts per session")
    a2.set_xticks(list(x), [d.strftime("%m-%d") for d in days], rotation=45)
    a1.set_title(f"{len(entries)} sessions over {len(days)} days (the programme: once a day, two weeks)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
