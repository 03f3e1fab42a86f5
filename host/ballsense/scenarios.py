"""Scripted massage sessions with ground truth, for the emulated ball and tests.

A scenario is the force on the ball (and the ball's rotation) over time, built
from the phases of the technique in shared/DOMAIN.md, with labels: the state
and the phase (phases.py) at each moment, the breaths and knee drops, and the
mistakes (spikes above the gentle maximum, rolling bouts, slips, lift-offs).

Everything about the person is drawn per session (seed), so the detector
cannot lean on one way of breathing or moving:
  * load 60-180 N; the inhale loads or lightens the ball (either polarity);
  * breathing 5-17 a minute (one session in five 4-30), each breath's length
    +-15 %, inhale 30-50 % of it, a pause after some exhales; depth 1.5-5 % of
    the load, each breath +-25 %, with sighs (1.6-2.4 x), shallow breaths
    (0.5 x) and pauses of 3-8 s; each exhale sinks a little further (2-6 %
    over a spot, most of it in the first breaths);
  * knee drops (4-6 a phase, 3-6 s each) of one of the seeds' variants: the
    top knee dropping out, the knee rocked out and in (a swing both ways), or
    the knee drawn toward the chest (slower); 8-16 % of the load, loading or
    unloading the ball; breathing goes on under them;
  * rolling at 0.2-1.2 Hz, swings of 30-60 % with a 1.5-3 Hz ripple;
  * sensor: noise, a glitch of 5-30 ms in every 20 s, FSR creep (the reading
    rises slowly under constant load; labels stay on the true force)."""
from dataclasses import dataclass, field

import numpy as np

from ballsense_fw.sensors import fsr

RATE_HZ = 200
BALL_RADIUS_M = 0.033


@dataclass
class Scenario:
    name: str
    seed: int
    load_n: float
    gentle_max_n: float
    force: np.ndarray = None          # what the sensor sees (creep, glitches, noise)
    true_force: np.ndarray = None
    gyro: np.ndarray = None           # (n, 3) dps
    states: list = field(default_factory=list)   # [start_s, end_s, state]
    events: list = field(default_factory=list)   # [t_s, kind]
    excursions: list = field(default_factory=list)  # [start_s, end_s] true force > gentle max
    phases: list = field(default_factory=list)   # [start_s, end_s, kind, spot] (phases.KINDS)

    @property
    def duration_s(self):
        return len(self.force) / RATE_HZ

    def write(self, path, gyro=True):
        """The trace file the emulated ball's board reads (boards/sim.py)."""
        ch = 4 if gyro else 1
        rows = np.column_stack([self.force, self.gyro]) if gyro else self.force[:, None]
        from ballsense_fw.boards.sim import trace_header
        with open(path, "wb") as f:
            f.write(trace_header(RATE_HZ, ch))
            f.write(rows.astype("<f4").tobytes())

    def state_at(self, t):
        for s, e, st in self.states:
            if s <= t < e:
                return st
        return self.states[-1][2]

    def phase_at(self, t):
        for s, e, kind, _ in self.phases:
            if s <= t < e:
                return kind
        return self.phases[-1][2]


class _Person:
    """How one person breathes and moves, drawn once per session."""

    def __init__(self, r, load):
        self.polarity = float(r.choice([-1, 1]))            # +1: the inhale loads the ball
        wide = r.random() < 0.2
        self.rate_bpm = float(r.uniform(4, 30) if wide else r.uniform(5, 17))
        self.inhale = float(r.uniform(0.3, 0.5))             # share of the breath
        self.pause = float(r.uniform(0.0, 0.3))              # share spent still after the exhale
        self.depth = load * float(r.uniform(0.015, 0.05))   # inhale to exhale, N
        self.sigh_p = float(r.uniform(0.0, 0.1))
        self.shallow_p = float(r.uniform(0.0, 0.15))
        self.apnea_p = float(r.uniform(0.0, 0.08))
        self.sink = load * float(r.uniform(0.02, 0.06))     # how far the body sinks in a hold, N
        self.knee = str(r.choice(["out", "rock", "chest"]))
        self.knee_sign = float(r.choice([-1, 1]))
        self.knee_swing = load * float(r.uniform(0.08, 0.16))


class _Builder:
    def __init__(self, seed, load=None):
        self.rng = np.random.default_rng(seed)
        r = self.rng
        self.load = float(load if load is not None else r.uniform(60, 180))
        self.person = _Person(np.random.default_rng([seed, 1]), self.load)  # its own stream: the old draws stay
        self.f = []      # true force chunks
        self.g = []      # gyro chunks
        self.t = 0.0
        self.level = 0.0
        self.states = []
        self.events = []
        self.phases = []
        self.spot = 0
        self.phase = "off"
        self.sunk = 0.0  # how far the body has sunk at this spot, N

    def _n(self, d):
        return max(1, int(round(d * RATE_HZ)))

    def _add(self, force, state, gyro=None, phase=None):
        n = len(force)
        self.f.append(np.asarray(force, float))
        self.g.append(np.zeros((n, 3)) if gyro is None else gyro)
        d = n / RATE_HZ
        if self.states and self.states[-1][2] == state:
            self.states[-1][1] = self.t + d
        else:
            self.states.append([self.t, self.t + d, state])
        self._phase(phase or self.phase, d)
        self.t += d
        self.level = float(force[-1])

    def _phase(self, kind, d):
        if self.phases and self.phases[-1][2] == kind and self.phases[-1][3] == self.spot:
            self.phases[-1][1] = self.t + d
        else:
            self.phases.append([self.t, self.t + d, kind, self.spot])
        self.phase = kind

    def _ease(self, a, b, d):
        x = np.linspace(0, 1, self._n(d), endpoint=False)
        return a + (b - a) * (0.5 - 0.5 * np.cos(np.pi * x))

    def idle(self, d):
        self._add(np.zeros(self._n(d)), "idle", phase="off")

    def settle(self, d=None, to=None):
        r = self.rng
        d = d or r.uniform(2.5, 4.5)
        to = to or self.load * r.uniform(0.92, 1.0)
        if self.phase == "off":
            self.spot += 1
            self.sunk = 0.0
        phase = "settle" if self.phase in ("off", "settle") else "resettle"
        ramp = self._ease(self.level, to, d * 0.7)
        tail = to + np.zeros(self._n(d * 0.3))
        self._add(np.concatenate([ramp, tail]), "settling", phase=phase)

    def _breaths(self, n=None, seconds=None, scale=1.0):
        """Breathing from rest at the end of an exhale: n breaths, or as many
        as fill `seconds`. -> (force change in N, times of the inhales' ends,
        sinking in N). Each exhale sinks the body a little further."""
        r, p = self.rng, self.person
        parts, peaks, t, sunk, paused = [], [], 0.0, 0.0, True
        while (n is not None and len(peaks) < n) or (seconds is not None and t < seconds - 1e-9):
            if not paused and r.random() < p.apnea_p:   # a pause in breathing, between two breaths
                k = self._n(r.uniform(3, 8))
                parts.append(np.full(k, sunk))
                t += k / RATE_HZ
                paused = True
                continue
            paused = False
            period = 60.0 / p.rate_bpm * r.uniform(0.85, 1.15)
            depth = p.depth * scale * r.uniform(0.75, 1.25)
            u = r.random()
            depth *= r.uniform(1.6, 2.4) if u < p.sigh_p else (0.5 if u < p.sigh_p + p.shallow_p else 1.0)
            k = self._n(period)
            x = np.arange(k) / k
            ti, te = p.inhale, min(1.0 - p.inhale, (1.0 - p.inhale) * (1 - p.pause) + 0.05)
            up = 0.5 - 0.5 * np.cos(np.pi * np.clip(x / ti, 0, 1))               # inhale: 0 -> 1
            down = 0.5 + 0.5 * np.cos(np.pi * np.clip((x - ti) / te, 0, 1))     # exhale: 1 -> 0
            wave = np.where(x < ti, up, down)
            more = 0.2 * (p.sink - self.sunk) * scale  # each exhale sinks a fifth of what is left
            step = more * np.clip((x - ti) / te, 0, 1)
            parts.append(sunk + p.polarity * depth * wave + step)
            peaks.append(t + ti * period)
            t += k / RATE_HZ
            sunk += more
            self.sunk += more
        if seconds is not None:
            w = np.concatenate(parts)[:self._n(seconds)] if parts else np.zeros(self._n(seconds))
            return w, [x for x in peaks if x < seconds], sunk
        return np.concatenate(parts), peaks, sunk

    def breathe(self, n):
        """n breaths, as the person breathes (see _Person)."""
        start = self.t
        if self.phase in ("settle", "off"):
            self._phase("breathe", 0)
        wave, peaks, _ = self._breaths(n)
        self.events += [[start + x, "breath"] for x in peaks]
        self._add(self.level + wave, "hold")
        return start

    def knee_drops(self, n=5):
        """n knee drops of the person's variant, breathing going on under them."""
        r, p = self.rng, self.person
        bumps, times, t = [], [], 0.0
        for _ in range(n):
            d = r.uniform(5, 8) if p.knee == "chest" else r.uniform(3.5, 6)
            k = self._n(d)
            x = np.arange(k) / k
            swing = p.knee_sign * p.knee_swing * r.uniform(0.8, 1.2)
            if p.knee == "rock":  # out, then in past where it started, then back
                bump = swing * np.sin(np.pi * np.minimum(x / 0.6, 1)) ** 2 * (x < 0.6) \
                    - 0.45 * swing * np.sin(np.pi * np.clip((x - 0.6) / 0.4, 0, 1)) ** 2
            elif p.knee == "chest":  # up, a moment held, back
                bump = swing * np.sin(np.pi / 2 * np.minimum(np.minimum(x, 1 - x) / 0.35, 1)) ** 2
            else:
                bump = swing * np.sin(np.pi * x) ** 2
            gap = np.zeros(self._n(r.uniform(0, 1.5)))
            times.append(t + d / 2)
            bumps += [bump, gap]
            t += (k + len(gap)) / RATE_HZ
        bump = np.concatenate(bumps)
        wave, _, _ = self._breaths(seconds=len(bump) / RATE_HZ, scale=0.6)
        gyro = np.zeros((len(bump), 3))
        gyro[:, 2] = r.normal(0, 0.8, len(bump))  # the ball stays put: no rotation
        self.events += [[self.t + x, "knee_drop"] for x in times]
        self._add(self.level + bump + wave[:len(bump)], "knee_drop", gyro, phase="knee_drops")

    def rolling(self, d=None):
        r = self.rng
        d = d or r.uniform(6, 14)
        f_hz = float(np.random.default_rng([int(r.integers(1 << 30)), 2]).uniform(0.2, 1.2))
        k = self._n(d)
        t = np.arange(k) / RATE_HZ
        depth = self.load * r.uniform(0.3, 0.6)
        # rolling over the muscle: the force rises and falls sharply as the ball
        # crosses the bands, with a faster ripple (jerk) on top
        ph = 2 * np.pi * f_hz * t
        shape = np.abs(np.sin(ph)) ** 0.6 * np.sign(np.sin(ph))
        ripple = 0.08 * self.load * np.sin(2 * np.pi * r.uniform(1.5, 3) * t)
        env = np.minimum(1, t / 0.8)
        force = self.level + env * (depth * shape + ripple)
        speed = 2 * np.pi * f_hz * r.uniform(0.04, 0.08) * np.cos(ph)  # m/s along the back
        gyro = np.zeros((k, 3))
        gyro[:, 0] = np.degrees(speed / BALL_RADIUS_M) * env + r.normal(0, 2, k)
        self.events.append([self.t, "rolling"])
        self._add(np.maximum(force, 5), "rolling", gyro, phase="rolling")
        self.settle(d=r.uniform(1.5, 3))

    def spike(self, gentle_max):
        r = self.rng
        peak = gentle_max * r.uniform(1.1, 1.4)
        rise = r.uniform(0.15, 0.5)
        top = r.uniform(0.3, 2.0)
        base = self.level
        f = np.concatenate([self._ease(base, peak, rise), np.full(self._n(top), peak) +
                            r.normal(0, 0.005 * peak, self._n(top)), self._ease(peak, base, rise)])
        self.events.append([self.t, "spike"])
        self._add(f, "hold", phase="resettle")

    def slip(self):
        r = self.rng
        low = self.level * r.uniform(0.1, 0.45)
        d = r.uniform(0.04, 0.1)
        self.events.append([self.t, "slip"])
        self._add(self._ease(self.level, low, d), "settling", phase="resettle")
        self._add(np.full(self._n(r.uniform(0.3, 1.0)), low), "settling")
        self.settle()

    def lift_off(self):
        self.events.append([self.t, "lift_off"])
        self._add(self._ease(self.level, 0, self.rng.uniform(0.6, 1.5)), "settling")

    def build(self, name, seed, gentle_max, sensor_noise=True):
        r = self.rng
        true = np.concatenate(self.f)
        gyro = np.concatenate(self.g)
        force = true.copy()
        if sensor_noise:
            contact = true > 2
            # FSR creep: under steady load the reading drifts up by a few percent
            # over minutes, logarithmically, and resets when the load goes away.
            run = np.zeros(len(true))
            c = 0
            for i, on in enumerate(contact):
                c = c + 1 if on else 0
                run[i] = c
            creep = r.uniform(0.6, 1.4) * fsr.NOMINAL_CREEP * np.log1p(run / RATE_HZ / fsr.CREEP_TAU_S)
            force = true * (1 + creep)
            force += r.normal(0, r.uniform(0.2, 0.6), len(true)) * contact
            slot = 20 * RATE_HZ
            for k in range(len(true) // slot):  # a glitch of 5-30 ms in every 20 s
                i, n = k * slot + int(r.integers(0, slot - 6)), int(r.integers(1, 7))
                force[i:i + n] += r.choice([-1, 1]) * r.uniform(0.4, 0.9) * self.load
            force = np.maximum(force, 0)
        sc = Scenario(name, seed, self.load, gentle_max, force.astype(np.float32), true, gyro,
                      self.states, self.events)
        sc.excursions = _excursions(true, gentle_max)
        sc.phases = self.phases
        return sc


def _excursions(true, limit):
    above = np.concatenate([[False], true > limit, [False]])
    edges = np.flatnonzero(np.diff(above.astype(int)))
    return [[s / RATE_HZ, e / RATE_HZ] for s, e in zip(edges[::2], edges[1::2])]


def gentle_max_for(load):
    """The person's gentle maximum: a quarter above the load they settle
    to (what the detector's learnt one aims at, docs/algorithms.md)."""
    return 1.25 * load


def session(seed=0, spots=None, mistakes=True, order=None, name="session", knees=None):
    """A full practice: settle, breathe, knee drops, move the ball, 2-3 spots,
    with the mistakes people make (a spike, a rolling bout, a slip): a spot
    with a mistake breathes a little, errs, re-settles, breathes again; a
    spot without one breathes 5-10 times. Knee drops 4-6 a spot (`knees`)."""
    b = _Builder(seed)
    r = b.rng
    gm = gentle_max_for(b.load)
    b.idle(r.uniform(3, 6))
    spots = spots or int(r.integers(2, 4))
    plan = list(r.permutation(["spike", "rolling", "slip"])) if mistakes else []
    if order:
        plan = list(reversed(order))
    for spot in range(spots):
        b.settle()
        if plan and (order or r.random() < 0.7):
            b.breathe(int(r.integers(2, 4)))
            _mistake(b, plan.pop(), gm)
            b.breathe(int(r.integers(2, 5)))
        else:
            b.breathe(int(r.integers(5, 11)))
        b.knee_drops(knees or int(r.integers(4, 7)))
        b.lift_off()
        b.idle(r.uniform(2, 4))
    for m in plan:  # mistakes left over when there were few spots
        b.settle()
        b.breathe(2)
        _mistake(b, m, gm)
        b.breathe(2)
        b.lift_off()
        b.idle(2)
    return b.build(name, seed, gm)


def _mistake(b, m, gm):
    b.spike(gm) if m == "spike" else getattr(b, m)()


def guided(seed=1):
    """A whole guided practice: two spots on one side, turning over, two on
    the other, with a spike, a roll and a slip among them: the session the
    guide walks through to its end (`ballsense demo --guide`)."""
    b = _Builder(seed)
    r = b.rng
    gm = gentle_max_for(b.load)
    plan = list(r.permutation(["spike", "rolling", "slip", None]))
    b.idle(r.uniform(3, 5))
    for side in range(2):
        for _ in range(2):
            b.settle()
            m = plan.pop()
            if m:
                b.breathe(int(r.integers(2, 4)))
                _mistake(b, m, gm)
            b.breathe(int(r.integers(5, 8)))
            b.knee_drops(int(r.integers(4, 7)))
            b.lift_off()
            b.idle(r.uniform(2, 4))
        b.idle(r.uniform(5, 8))  # turning over to the other side
    return b.build("guided", seed, gm)


def demo(seed=1):
    """The demo: three spots, a spike at the first, rolling at the second, a
    slip at the third, so every alert shows within a few minutes."""
    return session(seed, spots=3, order=["spike", "rolling", "slip"], name="demo", knees=5)


def hold(seed=0):
    b = _Builder(seed)
    b.idle(2)
    b.settle()
    b.breathe(int(b.rng.integers(5, 11)))
    b.lift_off()
    b.idle(2)
    return b.build("hold", seed, gentle_max_for(b.load))


def rolling(seed=0):
    b = _Builder(seed)
    b.idle(2)
    b.settle()
    b.breathe(1)
    b.rolling()
    b.breathe(1)
    b.lift_off()
    b.idle(2)
    return b.build("rolling", seed, gentle_max_for(b.load))


def idle(seed=0):
    b = _Builder(seed)
    b.idle(600)
    return b.build("idle", seed, gentle_max_for(b.load))


def calibration(seed=0, weights_kg=(0, 5, 10, 20, 30), hold_s=6.0):
    """Known weights placed on the ball one after another (for calibrate)."""
    b = _Builder(seed)
    b.idle(2)
    for kg in weights_kg:
        b._add(b._ease(b.level, kg * 9.81, 1.0), "settling")
        b._add(np.full(b._n(hold_s), kg * 9.81), "hold")
    b._add(b._ease(b.level, 0, 1.0), "settling")
    b.idle(600)
    return b.build("calibration", seed, gentle_max_for(100.0), sensor_noise=False)


def spikes(seed=0, n=40):
    """A steady hold with n presses past the gentle maximum, 2-3 s apart and
    no sensor artefacts: the first sample above the limit is exact (bench)."""
    b = _Builder(seed)
    gm = gentle_max_for(b.load)
    b.idle(1)
    b.settle(d=2.0, to=b.load)
    b._add(np.full(b._n(9), b.load), "hold")  # past the detector's settling
    for _ in range(n):
        b.spike(gm)
        b._add(np.full(b._n(b.rng.uniform(1.5, 2.5)), b.load), "hold")
    return b.build("spikes", seed, gm, sensor_noise=False)


LIBRARY = {"session": session, "guided": guided, "demo": demo, "hold": hold, "rolling": rolling, "idle": idle,
           "calibration": calibration, "spikes": spikes}


def make(name="session", seed=0):
    if name not in LIBRARY:
        from .errors import UserError
        raise UserError(f"unknown scenario {name!r}: choose one of {', '.join(LIBRARY)}")
    return LIBRARY[name](seed)
