"""The guided QL release (shared/DOMAIN.md) that follows the person.

It listens to the detector's events only (the technique's phases, breaths,
knee drops, alerts: phases.py), in the order the detector raised them, and
says what comes next for what the person actually does. A cue is stamped with
the moment the event that prompted it was raised, so a recording played back
offline gets the same cues, at the same times, as the live session did.

Per spot: settle -> sink and breathe -> "breaths done" after 5 breaths, or as
soon as the knee drops start -> each knee drop counted aloud -> at lift-off one
move-on cue: move the ball, the other side, or done. A slip, a roll or a spike
re-settles the spot and its breaths are counted afresh. After 2-3 spots or
1-2 minutes on a side it proposes the other side; the person's lift-off and
re-settle is their answer (nobody on the floor can reach a keyboard). The
session ends by itself END_AFTER_S after "done". It never asks for more
pressure."""
from dataclasses import dataclass

from . import cues

BREATHS = (5, 10)          # the technique's breaths per spot: done at the first number
SPOTS = (2, 3)             # per side: the other side after the first number once the side
SIDE_S = (60.0, 120.0)     # ... has held a minute, after the second in any case, or after two minutes
REPEAT_WINDOW_S = 60       # the same alert twice within this: the stop-if-it-hurts reminder
MOVE_ON = ("move_ball", "other_side", "done")
END_AFTER_S = 8.0          # a guided session ends this long after "done": the cue is heard, and
                           # the person on the floor need not reach for the laptop to stop it
HELD = ("breathe", "resettle", "knee_drops")  # phases of a spot that was really worked


@dataclass
class Said:
    t_s: float          # device time it was said
    cue: str            # a name in cues.CUES
    text: str
    side: str           # the side the spot was taken to be on
    spot: int           # the detector's spot number (phases.py), 0 before the first
    count: int = 0      # the knee drop a knee_count counts

    def to_dict(self):
        return {"t_s": round(self.t_s, 3), "cue": self.cue}


class Guide:
    def __init__(self, first_side="left"):
        self.sides = [first_side, "right" if first_side == "left" else "left"]
        self.side_i = 0
        self.spot = 0               # the spot under way (detector's number)
        self.spot_start = 0.0
        self.worked = False         # the spot got past settling
        self.breaths_said = False   # "breaths done" said at this spot (since its last re-settle)
        self.side_spots = 0         # spots finished on this side
        self.side_held = 0.0        # seconds on the ball on this side
        self.done_at = None         # when "done" was first said: both sides finished
        self.recent = {}            # alert -> times
        self.safety_at = float("-inf")  # the last stop-if-it-hurts reminder
        self.said = []              # every cue, in order
        self.marks = []             # the side each spot is taken to be on, from its contact
        self._out = []

    @property
    def side(self):
        return self.sides[self.side_i]

    def feed(self, events):
        """Detector events (any chunk) -> the cues they prompt (Said)."""
        self._out = []
        events = sorted(events, key=lambda e: e.at)  # as raised; ties keep the detector's order
        for e in events:
            self._event(e)
        return self._out

    def begin(self, t):
        """The session starts (device time t): the safety line, then how to settle."""
        self._out = []
        self._say(t, "safety", cues.SAFETY + " " + cues.CUES["settle"].text)
        self.safety_at = t
        return self._out

    def _say(self, t, name, text=None, count=0):
        s = Said(t, name, text or cues.text(name), self.side, self.spot, count)
        self.said.append(s)
        self._out.append(s)

    def _event(self, e):
        t = e.at
        if e.kind == "spot":
            self.spot, self.spot_start, self.worked, self.breaths_said = int(e.value), e.t_s, False, False
            self.marks.append({"t_s": round(e.t_s, 3), "spot": self.spot, "side": self.side})
        elif e.kind == "phase":
            self._phase(t, e.state, e.t_s)
        elif e.kind == "breath" and e.state in ("breathe", "resettle"):
            if int(e.value) == BREATHS[0] and not self.breaths_said:
                self.breaths_said = True
                self._say(t, "breaths_done")
        elif e.kind == "knee_drop":
            self._say(t, "knee_count", cues.text("knee_count", int(e.value)), int(e.value))
        elif e.kind == "alert":
            self._repeat(e)

    def _phase(self, t, kind, began):
        if kind in ("breathe", "resettle"):
            self.worked, self.breaths_said = True, False
            self._say(t, kind)
        elif kind == "knee_drops":
            self.worked = True
            if not self.breaths_said:  # they started the knee drops: the breaths are done
                self.breaths_said = True
                self._say(t, "breaths_done")
        elif kind == "off" and self.spot:
            self._lift_off(t, began)

    def _lift_off(self, t, began):
        """One move-on cue per spot that was worked, whatever its counts."""
        if not self.worked:
            return  # a touch, not a spot
        self.worked = False
        self.side_spots += 1
        self.side_held += began - self.spot_start
        if self.done_at is not None:
            self._say(t, "done")
            return
        enough = (self.side_spots >= SPOTS[1] or self.side_held >= SIDE_S[1]
                  or (self.side_spots >= SPOTS[0] and self.side_held >= SIDE_S[0]))
        if not enough:
            self._say(t, "move_ball")
        elif self.side_i == 0:
            self._say(t, "other_side")
            self.side_i, self.side_spots, self.side_held = 1, 0, 0.0
        else:
            self.done_at = t
            self._say(t, "done")

    def over(self, t):
        """The guided session is over: END_AFTER_S after "done"."""
        return self.done_at is not None and t - self.done_at >= END_AFTER_S

    def _repeat(self, e):
        """The same alert twice within a minute: the stop-if-it-hurts line,
        at most once a minute (a roll can press past the range at every swing)."""
        times = [t for t in self.recent.get(e.alert, []) if e.t_s - t < REPEAT_WINDOW_S] + [e.t_s]
        self.recent[e.alert] = times
        if len(times) >= 2 and e.at - self.safety_at >= REPEAT_WINDOW_S:
            self.safety_at = e.at
            self._say(e.at, "safety")

    def step(self, v, events):
        """Live: the cues these events prompt go on the View (the newest
        shows); -> the notes for the recording: each cue, and the side each
        new spot is taken to be on."""
        marks = len(self.marks)
        said = (self.begin(0.0) if not self.said else []) + self.feed(events)  # live device time starts at 0
        for s in said:
            v.cue, v.cue_text, v.cue_count = s.cue, s.text, s.count
            v.cue_n += 1
        v.side = self.side
        return self.marks[marks:] + [dict(s.to_dict(), side=s.side, spot=s.spot) for s in said]


def run(events, first_side="left", t0=0.0):
    """Offline: the same guide over a whole recording's events (its first
    sample at t0) -> every cue."""
    g = Guide(first_side)
    g.begin(t0)
    g.feed(list(events))
    return g.said


def first_side(notes):
    """The side a recording's live guide started with (its notes), else left."""
    return next((n["side"] for n in notes or () if "cue" in n and n.get("side") in ("left", "right")), "left")
