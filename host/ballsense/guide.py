"""The guided QL release (shared/DOMAIN.md): side -> spots -> settle -> slow
breaths -> knee drops -> move the ball -> ... -> other side. The guide only
listens to the detector's events and sets the cue the sinks show and sound.
It never asks for more pressure, and reminds people when to stop."""

BREATHS = 6          # per spot (the technique says 5-10)
KNEE_DROPS = 5
SPOTS = 2            # per side (two or three); fewer if the side runs long
SIDE_BUDGET_S = 120  # 1-2 minutes a side
REPEAT_WINDOW_S = 60  # the same alert twice within this: safety reminder

TEXT = {
    "safety": "Gentle pressure only. Sharp pain, pain into the belly or side, or down a leg: stop.",
    "settle": "Lie on your back, knees bent. Roll onto the ball until it takes some weight, then let it sink in.",
    "breathe": "Hold still and breathe slowly. Let each exhale sink you a little further.",
    "breaths_done": "Breaths done. Now let the top knee drop out a few centimetres and back, slowly, 5 times.",
    "move_ball": "Lift off and move the ball about 2.5 cm (one inch) toward the rib or the hip.",
    "other_side": "Well done. Now the other side.",
    "done": "Session complete. Once a day for about two weeks.",
}


class Guide:
    def __init__(self, first_side="left", breaths=BREATHS, spots=SPOTS):
        self.sides = [first_side, "right" if first_side == "left" else "left"]
        self.breaths, self.spots = breaths, spots
        self.side_i = 0
        self.stage = "start"
        self.side_start = None
        self.recent = {}  # alert -> times

    def _cue(self, v, name, text=None):
        v.cue, v.cue_text = name, text or TEXT[name]
        v.cue_n += 1

    def step(self, v, events):
        if self.stage == "start":
            v.side, v.spot = self.sides[0], 1
            self._cue(v, "safety", TEXT["safety"] + " " + TEXT["settle"])
            self.stage = "settle"
        for e in events:
            if e.kind == "alert":
                self._repeat(v, e)
        getattr(self, "_" + self.stage)(v, events)

    def _repeat(self, v, e):
        times = [t for t in self.recent.get(e.alert, []) if e.t_s - t < REPEAT_WINDOW_S] + [e.t_s]
        self.recent[e.alert] = times
        if len(times) >= 2:
            self.recent[e.alert] = []
            self._cue(v, "safety")

    def _settle(self, v, events):
        if v.state == "hold":
            if self.side_start is None:
                self.side_start = v.t_s
            self._cue(v, "breathe", TEXT["breathe"] + f" Breath 0 of {self.breaths}.")
            self.stage = "breathe"

    def _breathe(self, v, events):
        if any(e.kind == "breath" for e in events):
            v.cue_text = TEXT["breathe"] + f" Breath {v.breaths} of {self.breaths}."
        if v.breaths >= self.breaths:
            self._cue(v, "breaths_done")
            self.stage = "knees"

    def _knees(self, v, events):
        if v.knee_drops >= KNEE_DROPS:
            last_spot = v.spot >= self.spots or v.t_s - self.side_start > SIDE_BUDGET_S
            if not last_spot:
                self._cue(v, "move_ball")
                self.stage = "lift"
            elif self.side_i == 0:
                self._cue(v, "other_side")
                self.stage = "lift"
                self.side_i = 1
            else:
                self._cue(v, "done")
                self.stage = "finished"

    def _lift(self, v, events):
        if v.state == "idle":
            if v.cue == "other_side":
                v.side, v.spot = self.sides[1], 1
                self.side_start = None
            else:
                v.spot += 1
            self.stage = "settle"

    def _finished(self, v, events):
        pass
