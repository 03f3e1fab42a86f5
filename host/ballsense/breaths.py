"""Breaths and knee drops in a hold, at the state machine's 10 Hz, causal.

Both are swings of the level relative to the hold's settled level; neither
rule assumes a sign. docs/algorithms.md says why each number is what it is.

* A breath is one cycle of a zigzag with hysteresis (a turn is confirmed when
  the level comes back from its extreme by h). h adapts to depth, as in
  respiration science (Khodadad et al. 2018; NeuroKit2, biopeaks): a share
  of the median of the recent swings, so a breath a quarter as deep as the
  others still counts and a wobble does not. Each cycle has one maximum and
  one minimum: the breath is counted at the extreme that ends the inhale,
  learnt per person from the breaths themselves (the inhale is the quicker
  swing, the pause after the exhale rests at the other extreme).
* A knee drop is a swing many times a breath's size: its own zigzag, with a
  hysteresis far above the breaths, counts the extremes on the side the
  first drop went to (a drop may load or unload the ball; a rocked knee
  swings both ways, the side it went furthest counts). One swing that big
  could be a sigh: unless it is more than STRONG x a breath, a second one
  within PAIR_S confirms the knee drops (the breaths in between are held
  back and released if none comes)."""
from collections import deque
from dataclasses import dataclass
from statistics import median

BREATH_SHARE = 0.25     # the hysteresis: this share of the recent swings
BREATH_FLOOR = 0.001    # ... and at least this fraction of the level,
NOISE_SIGMAS = 5.0      # ... and this many times the sensor noise's rms in the breath band
SWING_PRIOR = 0.02      # a breath's swing before any is seen (fraction of the level)
SWINGS_KEPT = 7         # recent swings the median is taken over
ENV_S = 5.0             # ... but no more than ENV_SHARE of the range the level spanned in the last ENV_S
ENV_SHARE = 0.3         # (about a breath): a fading breath lowers it within a breath (Khodadad's 30 %)
LEARN = 3               # breaths seen before their depth and polarity are trusted
BREATH_MIN_S = 1.5      # two breaths are this far apart at least (30 a minute: 2 s)
KNEE_MIN = 0.06         # a knee drop moves the level at least this fraction from its settled level
KNEE_BREATHS = 1.3      # ... and this many times a breath's swing
STRONG = 3.0            # a swing this many breaths is a knee drop at once
PAIR_S = 15.0           # else a second within this confirms it
KNEE_H = 0.035          # the knee zigzag's hysteresis: at least this fraction of the level,
KNEE_H_BREATHS = 1.2    # ... this many breath swings,
KNEE_H_SHARE = 0.4      # ... and (once knee drops are seen) this share of their size
KNEE_SAME = 0.45        # later knee drops reach at least this share of the first ones
NEAR = 0.6              # the level sits at its settled level within this many breath swings
NEAR_MIN = 0.012        # ... or this fraction of it (where a knee drop sets off from)


class Zigzag:
    """Extremes of x, each confirmed once x has come back from it by h."""

    def __init__(self):
        self.dir = 0                  # +1 following a maximum, -1 a minimum, 0 at rest
        self.ext = self.ext_t = None
        self.lo = self.hi = None      # at rest: the range seen, and when
        self.lo_t = self.hi_t = None

    def __call__(self, t, x, h):
        """-> (t, x, +1 max / -1 min) of the extreme confirmed now, or None."""
        if self.dir == 0:
            if self.lo is None:
                self.lo = self.hi = x
                self.lo_t = self.hi_t = t
            if x < self.lo:
                self.lo, self.lo_t = x, t
            if x > self.hi:
                self.hi, self.hi_t = x, t
            if x - self.lo >= h:
                self.dir, self.ext, self.ext_t = 1, x, t
                return self.lo_t, self.lo, -1
            if self.hi - x >= h:
                self.dir, self.ext, self.ext_t = -1, x, t
                return self.hi_t, self.hi, 1
            return None
        if (x - self.ext) * self.dir > 0:
            self.ext, self.ext_t = x, t
            return None
        if (self.ext - x) * self.dir >= h:
            out = (self.ext_t, self.ext, self.dir)
            self.dir, self.ext, self.ext_t = -self.dir, x, t
            return out
        return None


@dataclass
class Knees:
    side: int          # +1 the drops load the ball, -1 they unload it
    size: float        # the first drops' distance from the settled level
    start: float       # when the first one left the settled level


class Counter:
    """Per person (kept over a session), reset at each breathing phase."""

    def __init__(self):
        self.swings = deque(maxlen=SWINGS_KEPT)
        self.rise = [0.0, 0]          # summed durations and count of the rising swings
        self.fall = [0.0, 0]
        self.rest = 0.0               # ticks near the minima minus near the maxima
        self.ticks = 0
        self._side = 0
        self.reset(0.0)

    def reset(self, t):
        self.zz, self.kz = Zigzag(), Zigzag()
        self.last = None              # the breath zigzag's last extreme (t, x, kind)
        self.lo = self.hi = None      # the last minimum and maximum (for `rest`)
        self.extremes = []            # (t, kind) since the reset, not yet counted or dropped
        self.knees = None             # Knees once knee drops are seen
        self.candidates = {}          # per side: a knee-sized swing waiting for a second, (t_ext, x, left_t)
        self.near = deque(maxlen=200)  # the last 20 s of ticks at the settled level
        self.recent = deque()          # (t, x) of the last ENV_S
        self.cycles = 0               # breath swings since the reset
        self.counted = float("-inf")  # the last breath counted
        self.kind = 0                 # the side of the extremes counted (+1 maxima, -1 minima)
        self.prev_counted = False     # the last extreme released was counted
        self.pending = None           # a knee-sized breath extreme the knee zigzag has not judged: (t, left)
        self.since = t

    @property
    def swing(self):
        return median(self.swings) if self.swings else SWING_PRIOR

    @property
    def side(self):
        """+1 if the inhale ends at a maximum, -1 at a minimum, 0 not known yet:
        the inhale is the quicker swing, and the breath rests after the exhale.
        Decided once, after LEARN breaths: a count must not skip or repeat an
        extreme when the evidence wavers (either side counts the cycles)."""
        if self._side or min(self.rise[1], self.fall[1]) < LEARN:
            return self._side
        r, f = self.rise[0] / self.rise[1], self.fall[0] / self.fall[1]
        score = (f - r) / (f + r) + self.rest / max(self.ticks, 1)
        self._side = 1 if score >= 0 else -1
        return self._side

    def tick(self, t, x, noise=0.0):
        """x: the level relative to the settled level, minus 1; noise: the
        sensor noise's rms in it. -> (breaths and knee drops confirmed now:
        their times, in order; the time knee drops began, when first seen
        now, else None)."""
        breaths, drops, began = [], [], None
        if abs(x) < max(NEAR_MIN, NEAR * self.swing):
            self.near.append(t)
        if self.knees is None:
            self._rest(x)
            e = self.zz(t, x, max(BREATH_FLOOR, NOISE_SIGMAS * noise, self._share(t, x)))
            if e is not None:
                self._breath_extreme(e)
        hk = max(KNEE_H, KNEE_H_BREATHS * self.swing, KNEE_H_SHARE * self.knees.size if self.knees else 0)
        k = self.kz(t, x, hk)
        if k is not None:
            began = self._knee_extreme(k, drops)
        for side, c in list(self.candidates.items()):
            if t - c[0] > PAIR_S:
                del self.candidates[side]  # a sigh, or a press: its breaths count after all
        if self.pending and t - self.pending[0] > PAIR_S:
            self.pending = None
        if self.knees is None:
            breaths = self._release()
        return breaths, drops, began

    def _share(self, t, x):
        """The hysteresis relative to depth: a share of the recent swings, or
        of what the level spanned in the last ENV_S (about one breath) if
        that is less: breaths fading out are too shallow to be confirmed
        against the old depth, so they would never lower it themselves."""
        self.recent.append((t, x))
        while t - self.recent[0][0] > ENV_S:
            self.recent.popleft()
        h = BREATH_SHARE * self.swing
        if t - self.since < ENV_S:
            return h
        xs = [v for _, v in self.recent]
        return min(h, ENV_SHARE * (max(xs) - min(xs)))

    def flush(self):
        """The phase ends (lift-off, a mistake): breaths held back for a
        knee-sized swing that never got its pair are breaths after all; none
        from a knee-sized swing not judged yet (the mistake's own start)."""
        if self.knees is not None:
            return []
        self.candidates = {}
        return self._release()

    def _rest(self, x):
        if self.lo is not None and self.hi is not None and self.hi > self.lo:
            u = (x - self.lo) / (self.hi - self.lo)
            self.rest += int(u < 0.25) - int(u > 0.75)
            self.ticks += 1

    def _breath_extreme(self, e):
        t, x, kind = e
        last, self.last = self.last, e
        if kind > 0:
            self.hi = x
        else:
            self.lo = x
        if last is None:
            if t - self.since >= 0.3:  # reached by a swing after the reset: a real extreme
                self.extremes.append((t, kind))
            return
        if abs(x) >= self._knee_size() and self.pending is None and not self.candidates and self._learnt():
            self.pending = (t, self._left(t))  # perhaps a knee drop: wait for the knee zigzag
        swing = abs(x - last[1])
        self.cycles += 1
        if len(self.swings) < LEARN:
            self.swings.append(swing)
        elif swing < STRONG * self.swing:  # a knee drop's swing says nothing of the breaths
            self.swings.append(swing)
        acc = self.rise if kind > 0 else self.fall
        acc[0] += t - last[0]
        acc[1] += 1
        self.extremes.append((t, kind))

    def _learnt(self):
        """Knee drops come after some breathing: LEARN breath swings here (and
        so at least as many for the person)."""
        return self.cycles >= LEARN and len(self.swings) >= LEARN

    def _knee_size(self):
        return max(KNEE_MIN, KNEE_BREATHS * self.swing)

    def _left(self, t):
        """When the level last sat at its settled level before t: where a swing set off."""
        return max((n for n in self.near if n <= t), default=max(self.since, t - 3.0))

    def _release(self):
        """Breaths that can be told now: one extreme per cycle, up to the
        start of any knee-sized swing still in question. Until the person's
        inhale side is known (their first breaths), the side of the first
        extreme is counted; then the inhale's, skipping the extreme that
        shares a cycle with the last one counted."""
        hold_from = min([c[2] for c in self.candidates.values()] + [self.pending[1] if self.pending else float("inf")])
        out, keep = [], []
        for te, kind in self.extremes:
            if te >= hold_from:
                keep.append((te, kind))
                continue
            if self.kind == 0:
                self.kind = self.side or kind
            elif self.side and self.side != self.kind and kind == self.side:
                # switched, at an extreme of the new side: the one right after
                # the last counted extreme shares its cycle
                self.kind = self.side
                if self.prev_counted:
                    self.prev_counted = False
                    continue
            self.prev_counted = kind == self.kind and te - self.counted >= BREATH_MIN_S
            if self.prev_counted:
                out.append(te)
                self.counted = te
        self.extremes = keep
        return out

    def _knee_extreme(self, k, drops):
        t, x, kind = k
        left = self._left(t)
        if self.knees is not None:
            if kind == self.knees.side and abs(x) >= KNEE_SAME * self.knees.size:
                drops.append(t)
            return None
        if abs(x) < self._knee_size() or (x > 0) != (kind > 0) or not self._learnt():
            if self.pending and t >= self.pending[0] - 1.0:
                self.pending = None   # judged: not a knee drop
            return None
        self.pending = None
        c = self.candidates.get(kind)  # a rocked knee swings back past the start: each side waits apart
        paired = c is not None
        if not paired and abs(x) < STRONG * self.swing:
            self.candidates[kind] = (t, x, left)
            return None
        first = c if paired else (t, x, left)
        self.knees = Knees(kind, (abs(first[1]) + abs(x)) / 2, first[2])
        self.candidates = {}
        drops += ([first[0]] if paired else []) + [t]
        return first[2]
