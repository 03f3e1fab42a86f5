"""--plot: a live matplotlib window: the last minute of force, the gentle band,
the state as shading and alerts as marks."""
import os
import sys
import time

from ..errors import UserError
from ..pipeline import Sink
from ..alerts import ALERTS
from ..report import COLORS

WINDOW_S = 60
REFRESH_S = 0.25


class Plot(Sink):
    def start(self, view):
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise UserError("--plot needs a display (no DISPLAY is set): leave out --plot, or run "
                            "`ballsense report` on the recording afterwards")
        import matplotlib
        matplotlib.use("TkAgg", force=False)
        import matplotlib.pyplot as plt
        self.plt = plt
        plt.ion()
        self.fig, self.ax = plt.subplots(figsize=(10, 4))
        (self.line,) = self.ax.plot([], [], color="#1f4e79")
        self.marks = []
        self.spans = []
        self.last = 0.0

    def on_batch(self, view, events):
        for e in events:
            if e.kind == "alert" and e.alert in ALERTS:
                self.marks.append((e.t_s, e.value, e.alert))
        now = time.monotonic()
        if now - self.last < REFRESH_S or not view.history:
            return
        self.last = now
        ax = self.ax
        t, f = zip(*view.history)
        self.line.set_data(t, f)
        lo = max(0.0, view.t_s - WINDOW_S)
        ax.set_xlim(lo, max(view.t_s, lo + 1))
        ax.set_ylim(0, max(max(f) * 1.1, (view.gentle_max or 0) * 1.3, 10))
        for s in self.spans:
            s.remove()
        self.spans = [ax.axvspan(lo, view.t_s, color=COLORS.get(view.state, "#eee"), alpha=0.5, lw=0)]
        if view.gentle_max:
            self.spans.append(ax.axhline(view.gentle_max, color="red", ls="--"))
        for t0, v, kind in self.marks:
            if t0 >= lo:
                m, c = ALERTS[kind].mark
                self.spans.append(ax.scatter([t0], [v], marker=m, color=c, zorder=5))
        self.fig.canvas.draw_idle()
        self.plt.pause(0.001)

    def stop(self, view):
        self.plt.ioff()
