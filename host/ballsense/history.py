"""The programme as a physio reads it: day by day over its window (two weeks
by default), per side, how long the ball was held, at how many spots, the
breaths and knee drops per spot, the force (and its share of body weight),
the alerts by kind and whether they went down. Days without a session are
shown as missed.

A recording's day is the start its own meta states, never the file's clock.
Emulated sessions (sim://, the demo) and replays are not practice: they are
left out unless asked for (`include_all`)."""
import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np

from . import profile as profiles
from . import report
from .alerts import ALERTS, KINDS as ALERT_KINDS
from .errors import UserError
from .recording import MAGIC
from .sessions import is_practice

DAYS = 14            # the programme: once a day for about two weeks
TARGET_MIN = (1, 2)  # minutes a side (shared/DOMAIN.md)
TREND_STEADY = 0.5   # alerts a day per week: smaller slopes are "steady"
NO_START = "without a start time (a CSV, or an old header): they cannot be placed on a day"


@dataclass
class DaySide:
    """One side on one day: the programme's unit."""
    day: dt.date
    side: str
    status: str = "missed"       # done, missed, to come
    sessions: int = 0
    held_s: float = 0.0
    spots: int = 0
    breaths: int = 0
    knee_drops: int = 0
    mean_force_n: float = None   # hold-time weighted mean of the spots' means
    peak_force_n: float = None
    mean_pct: float = None       # the same, as % of body weight (when a profile gives it)
    peak_pct: float = None
    alerts: dict = field(default_factory=lambda: dict.fromkeys(ALERT_KINDS, 0))  # mistakes by kind
    rolling_swings: int = 0      # pressure alerts rolling's swings raised (counted in their bouts)

    @property
    def held_min(self):
        return self.held_s / 60

    def per_spot(self, n):
        return n / self.spots if self.spots else None


@dataclass
class Programme:
    person: profiles.Profile
    days: list                   # the window's dates
    today: dt.date
    sides: list
    rows: list                   # DaySide per day and side
    sessions: list               # report.Session, the ones in the window
    left_out: dict               # why recordings were left out -> how many
    trend: dict                  # {slope_per_week, word, first, last}

    def row(self, day, side):
        return next(r for r in self.rows if r.day == day and r.side == side)

    def day_status(self, day):
        st = {r.status for r in self.rows if r.day == day}
        return "done" if "done" in st else "to come" if "to come" in st else "missed"


def read_meta(path):
    """A recording's meta from its header alone (cheap), or None when the
    header cannot be read (the full load then says why)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
        if not head.startswith(MAGIC):
            return None
        m = json.loads(head[len(MAGIC):head.index(b"\n", len(MAGIC))])
        return m if isinstance(m, dict) else None
    except (OSError, ValueError):
        return None


def started_day(meta):
    try:
        return dt.date.fromisoformat(str(meta["started"])[:10])
    except (KeyError, ValueError, TypeError):
        return None


def collect(paths, include_all=False, person=None):
    """Recordings -> (sessions, left_out counts). A recording is left out when
    it is emulated or a replay (unless include_all), belongs to another person
    (one made with no profile belongs to anyone), or states no start; one that
    cannot be read is skipped with a note. No usable recording at all is an
    error that says why."""
    sessions, skipped, left_out = [], [], {}
    for p in paths:
        meta = read_meta(p)
        why = None
        if meta is not None:
            named = profiles.from_meta(meta.get("profile")).name
            if not include_all and not is_practice(meta):
                why = "emulated or replayed (--all includes them)"
            elif person and named and named != person:
                why = "another person's (--person NAME shows theirs)"
            elif started_day(meta) is None:
                why = NO_START
        try:
            s = None if why else report.load(p)
        except UserError as e:
            skipped.append(str(e))
            print(f"ballsense: note: skipped {p}: {e}")
            continue
        if s is not None and s.started is None:  # a CSV, or a header without a start
            why = NO_START
        if why:
            left_out[why] = left_out.get(why, 0) + 1
        else:
            sessions.append(s)
    if sessions:
        return sorted(sessions, key=lambda s: s.started), left_out
    if skipped and not left_out:
        raise UserError(skipped[0] if len(skipped) == 1 else
                        f"none of the {len(skipped)} recordings is usable (first: {skipped[0]})")
    why = "; ".join(f"{n} {w}" for w, n in left_out.items())
    raise UserError("no recordings to summarise: record a session first (ballsense live or session)"
                    + (f"; left out: {why}" if why else "")
                    + (f"; {len(skipped)} unreadable (first: {skipped[0]})" if skipped else ""))


def window(days_done, days=DAYS, start=None):
    """The programme's dates: `days` days from `start`, else from the first
    session in the `days` days up to the last session (a programme under way
    runs on into days to come; a finished one is shown whole)."""
    if start is None:
        last = max(days_done)
        start = min(d for d in days_done if d > last - dt.timedelta(days))
    return [start + dt.timedelta(i) for i in range(days)]


def build(sessions, days=DAYS, start=None, today=None, person=None, left_out=None):
    """The programme over its window, from analysed sessions."""
    today = today or dt.date.today()
    dates = window({s.started.date() for s in sessions}, days, start)
    inside = [s for s in sessions if dates[0] <= s.started.date() <= dates[-1]]
    left_out = dict(left_out or {})
    before = sum(1 for s in sessions if s.started.date() < dates[0])
    after = sum(1 for s in sessions if s.started.date() > dates[-1])
    if before:
        left_out[f"before this window (--start {min(s.started.date() for s in sessions)} shows them)"] = before
    if after:
        left_out["after this window (--start moves it)"] = after
    unknown = any(sp["side"] is None for s in inside for sp in s.spots)
    sides = list(report.SIDES) + ([report.UNKNOWN_SIDE] if unknown else [])
    rows = [_day_side(d, side, [s for s in inside if s.started.date() == d], today) for d in dates for side in sides]
    return Programme(person or profiles.load(), dates, today, sides, rows, inside, left_out,
                     trend(rows, dates))


def _day_side(day, side, sessions, today):
    r = DaySide(day, side, "to come" if day > today else "missed")
    key = lambda x: report.side_word(x)
    spots = [(s, sp) for s in sessions for sp in s.spots if key(sp["side"]) == side]
    for s in sessions:
        by_kind, swings = report.counts([m for m in s.mistakes() if key(m["side"]) == side])
        for k, n in by_kind.items():
            r.alerts[k] += n
        r.rolling_swings += swings
    if not spots:
        return r
    r.status = "done"
    r.sessions = len({id(s) for s, _ in spots})
    r.spots = len(spots)
    r.held_s = round(sum(sp["held_s"] for _, sp in spots), 2)
    r.breaths = sum(sp["breaths"] for _, sp in spots)
    r.knee_drops = sum(sp["knee_drops"] for _, sp in spots)
    r.mean_force_n = _weighted([(sp["mean_force_n"], sp["held_s"]) for _, sp in spots])
    r.peak_force_n = max((sp["peak_force_n"] for _, sp in spots if sp["peak_force_n"] is not None), default=None)
    pct = [(s.person.pct_of_body(sp["mean_force_n"]), s.person.pct_of_body(sp["peak_force_n"]), sp["held_s"])
           for s, sp in spots]
    if all(m is not None and p is not None for m, p, _ in pct):
        r.mean_pct = _weighted([(m, w) for m, _, w in pct])
        r.peak_pct = max(p for _, p, _ in pct)
    return r


def _weighted(pairs):
    pairs = [(v, w) for v, w in pairs if v is not None]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total > 0 else None


def trend(rows, dates):
    """Alerts a day over the days done: the least-squares slope, per week,
    and in a word (down, up, steady)."""
    done = [d for d in dates if any(r.day == d and r.status == "done" for r in rows)]
    per_day = [sum(sum(r.alerts.values()) for r in rows if r.day == d) for d in done]
    out = {"days": len(done), "first": per_day[0] if per_day else None, "last": per_day[-1] if per_day else None,
           "slope_per_week": None, "word": "not enough days"}
    if len(done) >= 2:
        x = np.array([(d - dates[0]).days for d in done], float)
        slope = float(np.polyfit(x, np.array(per_day, float), 1)[0]) * 7
        out["slope_per_week"] = slope
        out["word"] = "down" if slope <= -TREND_STEADY else "up" if slope >= TREND_STEADY else "steady"
    return out


# ---- words and numbers, shared by every output -------------------------------

COLUMNS = ("date", "weekday", "side", "status", "sessions", "held_min", "spots", "breaths_per_spot",
           "knee_drops_per_spot", "mean_force_n", "peak_force_n", "mean_pct_body_weight", "peak_pct_body_weight",
           *(f"alerts_{k}" for k in ALERT_KINDS), "alerts_pressure_high_while_rolling")


def values(r):
    """A DaySide as the CSV's values (COLUMNS); empty where there is nothing."""
    f = lambda x, nd=1: "" if x is None else f"{x:.{nd}f}"
    done = r.status == "done"
    return (r.day.isoformat(), r.day.strftime("%a"), r.side, r.status, str(r.sessions),
            f(r.held_min, 2) if done else "", str(r.spots) if done else "", f(r.per_spot(r.breaths)),
            f(r.per_spot(r.knee_drops)), f(r.mean_force_n), f(r.peak_force_n), f(r.mean_pct), f(r.peak_pct),
            *(str(r.alerts[k]) for k in ALERT_KINDS), str(r.rolling_swings))


def table_rows(prog, month=False):
    """The table a person reads: a line per day and side; a day with nothing
    done is one line."""
    out = []
    for d in prog.days:
        day_rows = [prog.row(d, s) for s in prog.sides]
        label = d.strftime("%a %d %b" if month else "%a %d")
        if all(r.status != "done" and not sum(r.alerts.values()) for r in day_rows):
            out.append((label, "", prog.day_status(d)) + ("",) * 6)
            continue
        for i, r in enumerate(day_rows):
            v = dict(zip(COLUMNS, values(r)))
            done = r.status == "done"
            out.append((label if i == 0 else "", r.side, f"{r.held_min:.1f}" if done else r.status, v["spots"],
                        v["breaths_per_spot"], v["knee_drops_per_spot"],
                        f"{r.mean_force_n:.0f}/{r.peak_force_n:.0f}" if done else "",
                        f"{r.mean_pct:.0f}/{r.peak_pct:.0f}" if r.mean_pct is not None else "",
                        " ".join(str(r.alerts[k]) for k in ALERT_KINDS) if sum(r.alerts.values()) else ""))
    return out


TABLE_HEADER = ("day", "side", "held", "spots", "breaths", "knees", "force N", "% body", "alerts")
TABLE_KEY = ("held: minutes; breaths, knees: per spot; force N, % body (of body weight): mean/peak; "
             "alerts: pressure rolling slip")
PAGE_HEADER = ("day", "side", "minutes held", "spots", "breaths a spot", "knee drops a spot", "force N mean/peak",
               "% of body weight mean/peak", "alerts: pressure rolling slip")


def summary_lines(prog):
    past = [d for d in prog.days if d <= prog.today]
    done = [d for d in prog.days if prog.day_status(d) == "done"]
    come = len(prog.days) - len(past)
    per_side = ", ".join(f"{s} {sum(1 for d in prog.days if prog.row(d, s).status == 'done')}" for s in prog.sides)
    lines = [f"{prog.days[0]:%d %b %Y} to {prog.days[-1]:%d %b %Y}: done on {len(done)} of {len(prog.days)} days "
             f"({per_side}); missed {len(past) - len(done)}" + (f"; {come} to come" if come else "")]
    held = [prog.row(d, s).held_min for d in done for s in report.SIDES if prog.row(d, s).status == "done"]
    if held:
        lines.append(f"held {np.mean(held):.1f} min a side on average (the programme: "
                     f"{TARGET_MIN[0]}-{TARGET_MIN[1]} min a side, once a day)")
    totals = {k: sum(r.alerts[k] for r in prog.rows) for k in ALERT_KINDS}
    t = prog.trend
    trend = (f"; trend {t['word']} ({t['slope_per_week']:+.1f} a day per week; {t['first']} on the first day done, "
             f"{t['last']} on the last)") if t["slope_per_week"] is not None else ""
    lines.append(f"alerts: {sum(totals.values())} (" + ", ".join(f"{ALERTS[k].mistake} {n}"
                                                                 for k, n in totals.items()) + ")" + trend)
    for why, n in prog.left_out.items():
        lines.append(f"left out: {n} recording{'s' if n > 1 else ''} {why}")
    return lines


def title(prog):
    return f"Programme of {prog.person.name}" if prog.person.name else "Programme"


def person_line(prog):
    p = prog.person
    parts = [f"body mass {p.body_mass_kg:g} kg" if p.body_mass_kg else "no body mass given (ballsense profile)"]
    gm = p.gentle_max()
    if gm is not None:
        pct = p.pct_of_body(gm)
        parts.append(f"gentle maximum {gm:.0f} N" + (f" ({pct:.0f} % of body weight)" if pct is not None else ""))
    return ", ".join(parts)


# ---- outputs -----------------------------------------------------------------

def print_table(prog, console=None):
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    t = Table(title=escape(f"{title(prog)}, {prog.days[0]:%d %b} to {prog.days[-1]:%d %b %Y}"), box=box.SIMPLE_HEAD,
              padding=(0, 1), title_justify="left", show_edge=False, pad_edge=False)
    for i, h in enumerate(TABLE_HEADER):
        t.add_column(h, justify="left" if i < 2 else "right", no_wrap=True)
    for r in table_rows(prog):
        style = "red" if r[2] == "missed" else "dim" if r[2] == "to come" else None
        t.add_row(*r, style=style)
    t.caption, t.caption_justify = TABLE_KEY, "left"
    c = console or Console()
    c.print(t)
    for line in summary_lines(prog):
        c.print(line, highlight=False)


def write_csv(prog, path):
    import csv
    import os
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(values(r) for r in prog.rows)


def figure(prog, heading=True):
    """A strip per side (a cell per day: minutes held, spots), minutes held
    against the target, and the alerts by kind per day."""
    plt = report._plt()
    from matplotlib.ticker import MaxNLocator
    n, sides = len(prog.days), prog.sides
    fig, (a0, a1, a2) = plt.subplots(3, 1, figsize=(11.0, 6.6), dpi=110, sharex=True,
                                     gridspec_kw={"height_ratios": [0.5 * len(sides), 2, 1.6]})
    for j, side in enumerate(sides):
        for i, d in enumerate(prog.days):
            r = prog.row(d, side)
            color = {"missed": "#f3d0d0", "to come": "#ffffff"}.get(r.status) or (
                "#5fae5f" if r.held_min >= TARGET_MIN[0] else "#b9e0b9")
            a0.add_patch(plt.Rectangle((i - 0.45, j - 0.4), 0.9, 0.8, facecolor=color, edgecolor="#999", lw=0.5))
            text = f"{r.held_min:.1f} min\n{r.spots} spots" if r.status == "done" else \
                {"missed": "missed", "to come": ""}[r.status]
            a0.text(i, j, text, ha="center", va="center", fontsize=7)
    a0.set_ylim(len(sides) - 0.5, -0.5)
    a0.set_yticks(range(len(sides)), sides)
    if heading:
        a0.set_title(f"{title(prog)}: {summary_lines(prog)[0]}", fontsize=10, loc="left")
    a0.tick_params(length=0)
    for sp in a0.spines.values():
        sp.set_visible(False)
    x = np.arange(n)
    w = 0.8 / len(sides)
    for j, side in enumerate(sides):
        a1.bar(x - 0.4 + w * (j + 0.5), [prog.row(d, side).held_min for d in prog.days], w, label=side)
    a1.axhspan(*TARGET_MIN, color="green", alpha=0.08, label=f"{TARGET_MIN[0]}-{TARGET_MIN[1]} min a side")
    a1.set_ylabel("minutes held")
    a1.set_ylim(0, max([TARGET_MIN[1] * 1.25] + [r.held_min * 1.1 for r in prog.rows]))
    a1.legend(fontsize=8, loc="upper right", ncol=len(sides) + 1)
    bottom = np.zeros(n)
    colors = {k: ALERTS[k].mark[1] for k in ALERT_KINDS}
    for k in ALERT_KINDS:
        v = np.array([sum(prog.row(d, s).alerts[k] for s in sides) for d in prog.days], float)
        a2.bar(x, v, 0.6, bottom=bottom, color=colors[k], label=ALERTS[k].mistake)
        bottom += v
    a2.set_ylim(0, max(3, bottom.max() * 1.15))
    a2.yaxis.set_major_locator(MaxNLocator(integer=True))
    a2.set_ylabel("alerts")
    a2.legend(fontsize=8, loc="upper right", ncol=3)
    a2.set_xticks(x, [d.strftime("%a\n%d %b") for d in prog.days], fontsize=8)
    a2.set_xlim(-0.6, n - 0.4)
    for a in (a1, a2):
        a.grid(axis="y", color="#ddd", lw=0.5)
    fig.tight_layout()
    return fig


def write_png(prog, path):
    report.save_figure(figure(prog), path)


def write_html(prog, path):
    import html
    img = report.png_data(figure(prog, heading=False))
    lines = "".join(f"<li>{html.escape(x)}</li>" for x in summary_lines(prog))
    status = lambda r: "missed" if r[2] == "missed" else "come" if r[2] == "to come" else ""
    table = report.html_table(PAGE_HEADER, table_rows(prog, month=True), left=(0, 1), row_class=status)
    body = (f"<h1>{html.escape(title(prog))}: the daily QL release, "
            f"{prog.days[0]:%d %b} to {prog.days[-1]:%d %b %Y}</h1>"
            f'<p class="sub">{html.escape(person_line(prog))}</p><ul>{lines}</ul>'
            f'<img src="data:image/png;base64,{img}" alt="the programme day by day">'
            f"<h2>Day by day</h2>{table}"
            f"<p>Minutes held: the time the ball was held still on that side ({report.held_words()}; rolling "
            "is not held). Force: the mean over the time held, and the peak. "
            "Alerts count mistakes: a rolling bout is one, however many of its swings passed the gentle "
            "maximum.</p>")
    report._write_text(path, report.html_page(title(prog), body))


OUTPUTS = {".png": write_png, ".html": write_html, ".csv": write_csv}
