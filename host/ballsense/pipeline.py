"""The live pipeline: stream -> decider -> events -> sinks. Used by `live`,
`session` and `demo`; offline commands replay the same samples through the
same Decider (replay.py) with the settings this pipeline recorded.

Sinks see one shared View (what a person on the floor needs to know) and the
events as they happen; each sink decides how to show or sound them."""
import math
from dataclasses import dataclass, field

from .alerts import ALERTS, SHOW_S
from .analysis import HOLD_STATES
from .protocol import encode_command, C_SET_THRESHOLD
from .replay import Decider
from .settings import GentleMax, Settings, gentle_max as choose_gentle_max



@dataclass
class View:
    t_s: float = 0.0
    force_n: float = 0.0
    state: str = "idle"
    gentle_max: float = None
    breaths: int = 0          # in the current phase (breathe or resettle)
    knee_drops: int = 0       # in the current knee_drops phase
    phase: str = "off"        # the technique's phase (phases.py), from the detector's phase events
    phase_since: float = None  # ... and when it began (device time; can be a few s before it was seen)
    hold_since: float = None  # device time the current hold began
    alert: str = ""           # pressure_high, rolling, slip, or ""
    alert_since: float = 0.0
    alerts: int = 0
    link: str = "connecting"
    no_signal: bool = False   # nothing from the ball for stream.NO_SIGNAL_S
    battery: int = None
    name: str = ""
    side: str = ""
    spot: int = 0
    cue: str = ""             # the guide's current cue (a name in cues.CUES)
    cue_text: str = ""        # ... what it says on screen
    cue_count: int = 0        # ... and its count (the knee drop it counts)
    cue_n: int = 0            # bumped for every new cue, repeated ones too
    history: list = field(default_factory=list)  # (t, force) for plots, last minute


class Pipeline:
    """`gentle_max`: a settings.GentleMax (settings.gentle_max decides it), or
    newtons given on the command line, or None (learnt)."""

    def __init__(self, stream, gentle_max=None, sinks=(), guide=None):
        self.stream = stream
        self.sinks = list(sinks)
        self.guide = guide
        self.gentle = gentle_max if isinstance(gentle_max, GentleMax) else choose_gentle_max(gentle_max)
        self.view = View(gentle_max=self.gentle.newtons)
        self.decider = None
        self.sent_threshold = None
        self.events = []
        self.fed = None  # (epoch, seq, t_s) of the last sample the decider saw
        stream.on_change = self._link_changed

    @property
    def det(self):
        return self.decider.det if self.decider else None

    @property
    def gentle_max(self):
        return self.decider.gentle_max if self.decider else self.gentle.newtons

    def note(self, **fields):
        """A note in the recording, at the current session time unless given."""
        self.stream.note(**{"t_s": round(self.view.t_s, 3), **fields})

    def _start(self):
        """The first batch: the calibration is known, so the settings are."""
        cal = self.stream.calib
        st = Settings(self.gentle, creep=cal is not None and cal.model.CREEP)
        self.decider = Decider(st)
        self.stream.note(settings=st.note())

    async def run(self, seconds=None):
        """Until `seconds` of device time, the guide's end, or the source's."""
        for s in self.sinks:
            s.start(self.view)
        try:
            async for b in self.stream.batches():
                self.feed(b)
                await self._threshold()
                if seconds is not None and b.t_s[-1] >= seconds or self.guide and self.guide.over(b.t_s[-1]):
                    break
        finally:
            self.finish()

    def feed(self, b):
        """One Batch (in order, from the Stream) -> its events, to the view and sinks."""
        if self.decider is None:
            self._start()
        evs = self.decider.feed(b.t_s, b.force_n, b.gyro, b.rate_hz)
        for e in evs if b.late else ():
            e.late = True  # raised on catch-up, after a gap
        self.fed = (b.epoch, int(b.seq[-1]), float(b.t_s[-1]))
        self._update(b, evs)
        for s in self.sinks:
            s.on_batch(self.view, evs)
        return evs

    def finish(self):
        """The end: where the live detector stopped (offline replays stop
        there too), then the sinks."""
        self.stream.on_change = None  # the sinks stop here: a silence after it is nobody's to show
        if self.fed:
            self.stream.note(end={"epoch": self.fed[0], "seq": self.fed[1], "t_s": round(self.fed[2], 3)})
        for s in self.sinks:
            s.stop(self.view)

    def _update(self, b, evs):
        v = self.view
        v.t_s = float(b.t_s[-1])
        v.force_n = float(self.decider.last_force[-1])
        v.battery = self.stream.status.get("battery_pct", v.battery)
        v.name = self.stream.asm.name or v.name
        v.link = self._link_text()
        v.history.append((v.t_s, v.force_n))
        if len(v.history) > 600:
            del v.history[:100]
        for e in evs:
            self._event(v, e)
        if v.alert and not ALERTS[v.alert].cleared and v.t_s - v.alert_since > SHOW_S:
            v.alert = ""
        if self.guide:
            for note in self.guide.step(v, evs):  # its cues, and the side of each spot
                self.note(**note)
        self.events += evs

    def _link_text(self):
        return self.stream.link + (", NOT PAIRED: listen only" if self.stream.not_paired else "")

    def _link_changed(self):
        """Between batches (a link that went or a ball gone quiet sends none): the sinks hear at once."""
        v = self.view
        v.link, v.no_signal = self._link_text(), self.stream.no_signal
        for s in self.sinks:
            s.on_link(v)

    def _event(self, v, e):
        if e.kind == "state":  # a hold: contact without rolling, restarted by a slip (analysis.hold_spans)
            if e.state in HOLD_STATES and v.state not in HOLD_STATES:
                v.hold_since = e.t_s
            if e.state not in HOLD_STATES:
                v.hold_since = None
            v.state = e.state
        elif e.kind == "spot":
            v.spot = int(e.value)
        elif e.kind == "phase":
            v.phase, v.phase_since, v.breaths, v.knee_drops = e.state, e.t_s, 0, 0
        elif e.kind == "breath" and e.state == v.phase:
            v.breaths = int(e.value)   # its number in the phase
        elif e.kind == "knee_drop" and e.state == v.phase:
            v.knee_drops = int(e.value)
        elif e.kind == "slip":
            v.hold_since = e.t_s
        elif e.kind == "gentle_max":
            v.gentle_max = e.value
            self.stream.note(gentle_max=e.value, t_s=round(e.t_s, 3), source="learnt")
        elif e.kind == "alert":
            v.alert, v.alert_since = e.alert, e.t_s
            v.alerts += 1
        elif e.kind == "alert_clear" and v.alert == e.alert:
            v.alert = ""

    async def _threshold(self):
        """Give the ball the gentle maximum so it can buzz on its own. Its
        rule compares raw counts (> on, < off): rounded so that they mean the
        same forces as the detector's (> gentle max, < the deadband)."""
        gm = self.decider.gentle_max
        cal = self.stream.calib
        if gm is None or cal is None or gm == self.sent_threshold:
            return
        on = int(min(65535, math.floor(cal.counts(gm))))
        off = int(min(on, math.ceil(cal.counts(gm * (1 - self.decider.det.p.pressure_deadband)))))
        self.sent_threshold = gm
        await self.stream.src.send(encode_command(C_SET_THRESHOLD, 2, on, off))


class Sink:
    def start(self, view):
        pass

    def on_batch(self, view, events):
        pass

    def on_link(self, view):
        """The link or view.no_signal changed, between batches."""

    def stop(self, view):
        pass


class Headless(Sink):
    """One line per event: state changes, alerts, breaths, knee drops."""

    def __init__(self, out=None):
        import sys
        self.out = out or sys.stdout
        self.cue_n = 0
        self.no_signal = False

    def on_link(self, view):
        if view.no_signal != self.no_signal:
            self.no_signal = view.no_signal
            what = "no_signal" if view.no_signal else "signal_back"
            print(f"{view.t_s:8.2f} {what} (link {view.link})", file=self.out, flush=True)

    def on_batch(self, view, events):
        if view.cue_n != self.cue_n:
            self.cue_n = view.cue_n
            print(f"{view.t_s:8.2f} cue {view.cue}: {view.cue_text}", file=self.out, flush=True)
        for e in events:
            if e.kind == "state":
                line = f"state {e.state}"
            elif e.kind in ("alert", "alert_clear"):
                line = f"{e.kind} {e.alert} {e.value:.1f} N" + (" (late: after a gap)" if e.late else "")
            elif e.kind == "gentle_max":
                line = f"gentle_max {e.value:.1f} N"
            elif e.kind == "breath":
                line = f"breath {e.value:.0f} ({e.state})"
            elif e.kind == "knee_drop":
                line = f"knee_drop {e.value:.0f}"
            elif e.kind == "phase":
                line = f"phase {e.state} (spot {e.value:.0f})"
            elif e.kind == "spot":
                line = f"spot {e.value:.0f}"
            else:
                line = e.kind
            print(f"{e.t_s:8.2f} {line}", file=self.out, flush=True)
