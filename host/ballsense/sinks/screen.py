"""The full-screen terminal view: readable from the floor. A huge force number,
a bar with the gentle band, the state in words, counts and the hold timer.
An alert takes over the whole screen."""
import time

from rich.align import Align
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..alerts import ALERTS
from ..cues import CUES
from ..pipeline import Sink

REFRESH_HZ = 3  # enough for a number read from the floor; alerts redraw at once
G = 9.81        # newtons per kilogram on the ball
BAR_SCALE = 1.5  # the force bar runs to 1.5 x the gentle max ...
BAR_GENTLE_DEFAULT = 200.0  # ... or, before one is known, to 1.5 x this
GLYPHS = {  # 5 rows each
    "0": ["█████", "█   █", "█   █", "█   █", "█████"], "1": ["  ██ ", "   █ ", "   █ ", "   █ ", "  ███"],
    "2": ["█████", "    █", "█████", "█    ", "█████"], "3": ["█████", "    █", " ████", "    █", "█████"],
    "4": ["█   █", "█   █", "█████", "    █", "    █"], "5": ["█████", "█    ", "█████", "    █", "█████"],
    "6": ["█████", "█    ", "█████", "█   █", "█████"], "7": ["█████", "    █", "   █ ", "  █  ", "  █  "],
    "8": ["█████", "█   █", "█████", "█   █", "█████"], "9": ["█████", "█   █", "█████", "    █", "█████"],
    " ": ["     "] * 5, "-": ["     ", "     ", " ███ ", "     ", "     "],
}
STATE_WORDS = {"idle": "NO LOAD", "settling": "SETTLING", "hold": "HOLDING STILL",
               "knee_drop": "KNEE DROPS", "rolling": "ROLLING"}
PHASE_WORDS = {"off": "", "settle": "settling in", "breathe": "sink and breathe", "knee_drops": "knee drops",
               "rolling": "rolling", "resettle": "re-settle and breathe"}


def big(text, scale=1):
    """Block digits, 5 rows high, each cell scale x scale characters."""
    rows = []
    for r in range(5):
        line = "  ".join(GLYPHS.get(ch, GLYPHS[" "])[r] for ch in text)
        line = "".join(c * scale for c in line)
        rows += [line] * scale
    return "\n".join(rows)


def bar_top(gentle_max):
    """The force at the right end of the bar (the terminal's and the phone's)."""
    return (gentle_max or BAR_GENTLE_DEFAULT) * BAR_SCALE


def bar(force, gentle_max, width):
    """Force on a 0..1.5 x gentle max scale; the gentle band green, above red,
    the gentle maximum a white tick. Built from a few runs, not per cell."""
    top = bar_top(gentle_max)
    fill = int(min(max(force, 0), top) / top * width)
    gm_at = min(int((gentle_max or top) / top * width), width - 1)
    t = Text()
    for lo, hi, ch, style in ((0, min(fill, gm_at), "█", "green"), (min(fill, gm_at), gm_at, "─", "grey50"),
                              (gm_at, gm_at + 1, "┃", "bold white"), (gm_at + 1, max(fill, gm_at + 1), "█", "red"),
                              (max(fill, gm_at + 1), width, "─", "red")):
        if hi > lo:
            t.append(ch * (hi - lo), style=style)
    return t


def render(v, width=110, height=32):
    scale = 2 if height >= 30 and width >= 100 else 1
    if v.no_signal:  # what the screen would show is stale: say so, whatever it was
        body = Group(Align.center(Text(" ".join("NO SIGNAL"), style="bold black")), Text(""),
                     Align.center(Text(CUES["no_signal"].text, style="bold black")), Text(""),
                     Align.center(Text(f"link {v.link}", style="black")))
        return Panel(body, style="bold black on yellow", title="NO SIGNAL", height=height, padding=(1, 2))
    if v.alert in ALERTS:
        head, sub = ALERTS[v.alert].head, ALERTS[v.alert].sub
        body = Group(Align.center(Text(" ".join(head), style="bold white")), Text(""),
                     Align.center(Text(sub, style="bold white")), Text(""),
                     Align.center(Text(big(f"{max(v.force_n, 0):4.0f}", scale), style="bold white")),
                     Align.center(Text("newtons", style="bold white")))
        return Panel(body, style="bold white on red", title="ALERT", height=height, padding=(1, 2))
    force = Text(big(f"{max(v.force_n, 0):4.0f}", scale), style="bold cyan")
    kg = Text(f"newtons   ({v.force_n / G:4.1f} kg on the ball)", style="bold")
    gm = f"gentle max {v.gentle_max:.0f} N" if v.gentle_max else "gentle max: learning from your first hold"
    stats = Table.grid(padding=(0, 4))
    for _ in range(4):
        stats.add_column()
    hold = f"{v.t_s - v.hold_since:4.0f} s" if v.hold_since is not None else "  -"
    stats.add_row(Text(STATE_WORDS.get(v.state, v.state.upper()), style="bold yellow"),
                  f"breaths {v.breaths}", f"knee drops {v.knee_drops}", f"hold {hold}")
    where = f"{v.side} side, spot {v.spot}" if v.side else (f"spot {v.spot}" if v.spot else "")
    if PHASE_WORDS.get(v.phase, v.phase):
        where += (": " if where else "") + PHASE_WORDS.get(v.phase, v.phase)
    batt = f"battery {v.battery}%" if v.battery is not None else ""
    stats.add_row(where, f"link {v.link}", batt, f"alerts {v.alerts}")
    parts = [Align.center(force), Align.center(kg), Text(""), bar(v.force_n, v.gentle_max, width - 6),
             Text(gm, style="grey70"), Text(""), stats]
    if v.cue_text:
        parts += [Text(""), Text(v.cue_text, style="bold green")]
    title = f"ballsense {v.name}".strip()
    return Panel(Group(*parts), title=title, subtitle=f"t {v.t_s:4.0f} s   Ctrl-C to stop")


def _shown(v):
    """What the view displays, at the precision it displays it."""
    hold = int(v.t_s - v.hold_since) if v.hold_since is not None else None
    return (round(max(v.force_n, 0)), v.state, v.breaths, v.knee_drops, hold, v.alert, v.cue_text, v.link,
            v.battery, v.alerts, v.side, v.spot, v.phase, v.gentle_max and round(v.gentle_max), int(v.t_s),
            v.no_signal)


class Screen(Sink):
    def __init__(self, console=None):
        self.console = console or Console()
        self.live = None
        self.last = 0.0
        self.shown = None

    def start(self, view):
        self.live = Live(self._render(view), console=self.console, screen=True,
                         auto_refresh=False, transient=False)
        self.live.start()

    def on_batch(self, view, events):
        now = time.monotonic()
        alert = any(e.kind in ("alert", "alert_clear") for e in events)
        if alert or now - self.last >= 1.0 / REFRESH_HZ:
            self.last = now
            shown = _shown(view)
            if alert or shown != self.shown:  # redraw only what changed on screen
                self.shown = shown
                self.live.update(self._render(view), refresh=True)

    def on_link(self, view):
        if self.live:
            self.shown = _shown(view)
            self.live.update(self._render(view), refresh=True)

    def _render(self, view):
        return render(view, self.console.width, self.console.height)

    def stop(self, view):
        if self.live:
            self.live.stop()
