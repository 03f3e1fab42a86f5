"""The technique's phases (shared/DOMAIN.md), tracked as the detector runs, so
live sessions and offline analysis get them from the same code.

A *spot* is one placement of the ball: from contact to lift-off. Inside it:
  settle      loading the ball, until it is held still
  breathe     sink and breathe: breaths counted
  knee_drops  knee drops counted (breaths are not)
  rolling     a rolling bout
  resettle    after a spike, a roll or a slip: a short breathing phase of its
              own (its settling included), breaths counted
and between spots the phase is `off` (no load on the ball).

Events (detect.Event), all raised inside the detector's 10 Hz state machine:
  Event(t, "spot", value=n)                  contact: spot n begins (1, 2, ...)
  Event(t, "phase", state=kind, value=n)     phase `kind` of spot n begins at t
  Event(t, "breath", value=i, state=kind)    the i-th breath of the current phase
  Event(t, "knee_drop", value=i, state="knee_drops")
A phase event is stamped when its phase began, which can be a few seconds
before it is raised: knee drops are told from breaths only once they are seen
(docs/algorithms.md gives the delays)."""
from dataclasses import dataclass

KINDS = ("off", "settle", "breathe", "knee_drops", "rolling", "resettle")
BREATHING = ("breathe", "resettle")   # phases whose breaths are counted
MISTAKES = {"spike": "resettle", "slip": "resettle", "rolling": "rolling"}


@dataclass
class Phase:
    kind: str
    spot: int
    start: float
    breaths: int = 0
    knee_drops: int = 0


class Phases:
    def __init__(self, event):
        self.event = event          # detect.Event, passed in to keep the import one way
        self.spot = 0
        self.cur = Phase("off", 0, float("-inf"))
        self.last_count = float("-inf")  # the last breath or knee drop raised: a phase starts after it
        self.out = []

    @property
    def kind(self):
        return self.cur.kind

    def _begin(self, t, kind):
        t = max(t, self.cur.start, self.last_count + 0.01)  # never overlapping, even stamped in the past
        self.cur = Phase(kind, self.spot, t)
        self.out.append(self.event(t, "phase", float(self.spot), state=kind))

    def contact(self, t):
        self.spot += 1
        self.out.append(self.event(t, "spot", float(self.spot)))
        self._begin(t, "settle")

    def held(self, t):
        """The ball is held still: the end of settling."""
        if self.kind == "settle":
            self._begin(t, "breathe")

    def mistake(self, t, what):
        """A spike (pressure_high), a slip or rolling."""
        if self.kind == "off" or (what == "spike" and self.kind in ("rolling", "knee_drops")):
            return  # a knee drop pressing too hard is alerted, and the knee drops go on
        self._begin(t, MISTAKES[what])

    def roll_end(self, t):
        if self.kind == "rolling":
            self._begin(t, "resettle")

    def knees(self, t):
        """Knee drops began at t (seen a little later)."""
        if self.kind in BREATHING or self.kind == "settle":
            self._begin(t, "knee_drops")

    def lift_off(self, t):
        if self.kind != "off":
            self._begin(t, "off")

    def breath(self, t):
        if self.kind in BREATHING and t >= self.cur.start:
            self.cur.breaths += 1
            self.last_count = t
            self.out.append(self.event(t, "breath", float(self.cur.breaths), state=self.kind))
            return True
        return False

    def knee_drop(self, t):
        if self.kind == "knee_drops" and t >= self.cur.start:
            self.cur.knee_drops += 1
            self.last_count = t
            self.out.append(self.event(t, "knee_drop", float(self.cur.knee_drops), state=self.kind))
            return True
        return False

    def take(self):
        out, self.out = self.out, []
        return out
