"""From force (and gyro) to states, events and alerts. docs/algorithms.md
explains each rule and where its numbers come from.

Signal path, per chunk, chunk-invariant (filters.py):
  force N -> zero drift, FSR creep compensation, and glitches (<= 30 ms) removed:
          -> short median -> pressure_high at the full rate (an on-delay that
             outlasts a glitch, deadband, off-delay)
          -> long median -> smoothed level, slope, jerk; gyro magnitude, or
             (force only) surge turns against the sensor's noise
             -> a state machine at 10 Hz: idle, settling, hold, knee_drop, rolling
"""
import math
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ballsense_fw import protocol as fw_protocol
from ballsense_fw.sensors import fsr as fw_fsr

from .breaths import Counter
from .filters import Diff, GatedMean, Median, RunLength, Sos, Turns
from .phases import Phases

STATES = ("idle", "settling", "hold", "knee_drop", "rolling")
TICK_HZ = 10
SURGE_HZ = 3.0          # the force low-passed to this keeps surges of a few a second, drops most noise
BREATH_HZ = 0.8         # breaths are at most 30 a minute (0.5 Hz): the counter sees the level below this
LEVEL_HZ = 2.0          # the smoothed level the state machine works on


def median_window(seconds, rate_hz):
    """The odd window that removes glitches up to `seconds` long: 2 g + 1
    samples for glitches of g samples (at least 3)."""
    return 2 * max(1, math.ceil(seconds * rate_hz - 1e-9)) + 1


@lru_cache(maxsize=None)
def noise_gains(k, k_state, rate_hz):
    """White noise of sigma 1 through this detector's own chains, measured once
    per (windows, rate) on a fixed draw: -> (rms the k-sample median takes away,
    rms of the surge (k_state median, SURGE_HZ low-pass, d/dt) in load per s,
    rms of what the breath counter sees (k_state median, BREATH_HZ low-pass))."""
    x = np.random.default_rng(0).normal(0.0, 1.0, 40000)
    median = Median(k)
    med = median(x)
    took = median.centre - med
    state = Median(k_state)(x)
    surge = Diff(rate_hz)(Sos.lowpass(SURGE_HZ, rate_hz)(state))
    breath = Sos.lowpass(BREATH_HZ, rate_hz)(state)
    return (float(np.sqrt(np.mean(took[2000:] ** 2))), float(np.std(surge[2000:])),
            float(np.std(breath[2000:])))


@dataclass(frozen=True)
class Params:
    # the longest glitch nothing may react to (30 ms): the state machine's median
    # takes it away (7 samples at 100 Hz), the alarm waits it out
    # (protocol.alert_on_samples, shared with the ball)
    glitch_s: float = fw_protocol.GLITCH_MS / 1000
    median_s: float = 0.01            # the alarm's median: 1-sample glitches at 100 Hz, 10 ms delay
    contact_on_n: float = 10.0        # ball carries weight (hysteresis pair)
    contact_off_n: float = 5.0
    zero_tau_s: float = 10.0          # unloaded reading followed this slowly (zero drift)
    creep: float = fw_fsr.NOMINAL_CREEP       # FSR reading rises creep*ln(1+t/tau) under load
    creep_tau_s: float = fw_fsr.CREEP_TAU_S
    gentle_from_level: float = 1.3    # gentle max = settled level * this (when not given): the level is
                                      # taken before the body sinks its 2-6 %, so this is a quarter above
                                      # the level it sinks to (1.25 sat within 0-2 % of loading knee drops)
    gentle_learn_s: float = 8.0       # of steady hold before the level is taken
    # pressure_high: above the gentle max for more samples than a glitch covers
    # (4 at 100 Hz) -> alert; then ...
    pressure_deadband: float = 0.05   # clears only below (1 - this) * gentle max, for
                                      # ALERT_OFF_MS (protocol.alert_off_samples, shared with the ball)
    settled_slope: float = 0.06       # |slope| / level per second under which the ball is still
    settled_s: float = 1.0
    roll_gyro_dps: float = 15.0       # ball turning faster than this is rolling
    roll_gyro_on_s: float = 0.3
    moving_slope: float = 0.15        # force moving slower than this (level per second): a slip's start
    roll_turns: int = 3               # force only: the force surged (its rate of change turned) this
    roll_turns_s: float = 1.0         # often within this time, while moving ...
    roll_range: float = 0.2           # ... and its level spanned this fraction of the settled level
    roll_surge: float = 0.12          # a turn: the rate comes back this much (load per second) ...
    roll_snr: float = 7.0             # ... and this many standard deviations of its noise ...
    roll_share: float = 0.25          # ... and this share of its biggest recent size, which
    roll_share_tau_s: float = 1.0     # decays with this time constant (ringing does not count)
    moving_noise: float = 1.6         # moving: smoothed |rate| above settled_slope and this many sigma
    noise_tau_s: float = 5.0          # the sensor's noise is followed this slowly ...
    noise_clip: float = 0.05          # ... and a median residual beyond this fraction of load is a glitch
    roll_swing_s: float = 1.0         # or, within this: a swing over roll_swing of the level, beyond
    roll_swing: float = 0.4           # roll_cross either side of it (knee drops swing one way, or 10 %
    roll_cross: float = 0.1           # back) ...
    roll_high: float = 0.22           # ... and went beyond this (knee drops reach 8-20 %), or
    roll_back: float = 0.02           # came back this far from the later extreme (a lift-off does not)
    roll_jerk: float = 0.02           # force only: 1-6 Hz ripple RMS (fraction of level) under which ...
    roll_off_s: float = 1.5           # ... or gyro calm, for this long -> rolling is over
    roll_ref_s: float = 2.0           # force only, never held still: rolling against this long's median
    knee_max: float = 0.3             # a swing beyond this is pressing, not a knee drop (rolling's swings)
    knee_hold_s: float = 4.0          # knee_drop state lasts this long after a drop
    count_after_s: float = 1.0        # breaths are counted afresh this long after a spike is over
    slip_drop: float = 0.45           # force falls by this fraction of the level ...
    slip_within_s: float = 0.2        # ... within this time, from stillness ...
    slip_level_s: float = 0.3         # ... the level falls by half as much within this time (a
                                      # glitch of a few samples moves it 15 % at most) ...
    slip_confirm_s: float = 0.7       # ... and contact remains this long (else it was a lift-off)


@dataclass
class Event:
    t_s: float
    kind: str                 # state, spot, phase, breath, knee_drop, slip, lift_off, alert, alert_clear,
                              # gentle_max
    value: float = 0.0        # force N (alerts), the spot (spot, phase), the count in the phase (breath,
                              # knee_drop), or the gentle max
    state: str = ""           # the state (state), or the phase kind (phase, breath, knee_drop): phases.py
    alert: str = ""           # for alerts: pressure_high, rolling, slip
    late: bool = False        # raised on catch-up after a gap (stream.Sequencer), not as it happened
    at: float = None          # when the detector raised it (device time): t_s, or later for an
                              # event stamped in the past (a breath, a phase); the guide speaks then

    def __post_init__(self):
        if self.at is None:
            self.at = self.t_s

    def to_dict(self):
        d = {"t_s": round(self.t_s, 3), "kind": self.kind}
        if self.state:
            d["state"] = self.state
        if self.alert:
            d["alert"] = self.alert
        if self.value:
            d["value"] = round(self.value, 2)
        return d


_KIND_ORDER = {k: i for i, k in enumerate(
    ("state", "spot", "phase", "gentle_max", "breath", "knee_drop", "slip", "lift_off", "alert_clear", "alert"))}


def ordered(events):
    """Events by time, whatever chunks they came in; ties keep the order they
    were raised in (state changes within one tick are causal)."""
    return sorted(events, key=lambda e: (round(e.t_s, 6), _KIND_ORDER[e.kind]))


class _Pressure:
    """pressure_high with on-delay, deadband and off-delay, at the full rate."""

    def __init__(self, p, rate):
        self.on_n = fw_protocol.alert_on_samples(rate)  # the ball's own rule
        self.off_n = fw_protocol.alert_off_samples(rate)  # the ball's own rule
        self.deadband = p.pressure_deadband
        self.above = RunLength()
        self.below = RunLength()
        self.active = False

    def state(self):
        return self.above.carry, self.below.carry, self.active

    def restore(self, st):
        self.above.carry, self.below.carry, self.active = st

    def __call__(self, t, f, limit):
        if limit is None:
            self.above(np.zeros(len(f), bool))
            self.below(np.ones(len(f), bool))
            return []
        ra = self.above(f > limit)
        rb = self.below(f < limit * (1 - self.deadband))
        out = []
        cand = np.flatnonzero((ra == self.on_n) | (rb == self.off_n))
        for i in cand:
            if not self.active and ra[i] >= self.on_n:
                self.active = True
                out.append(Event(t[i], "alert", float(f[i]), alert="pressure_high"))
            elif self.active and rb[i] >= self.off_n:
                self.active = False
                out.append(Event(t[i], "alert_clear", float(f[i]), alert="pressure_high"))
        return out


@dataclass
class _Tick:
    t: float
    level: float      # smoothed force, N
    slope: float      # |d level / dt| smoothed, N/s
    jerk: float       # 1-6 Hz ripple RMS, N
    turns: int        # surge turns (rate of change reversing) since the last tick
    ways: tuple       # (rose, fell): the force rose / fell faster than a surge's floor since the last tick
    gyro: float       # dps (0 without IMU)
    raw: float        # median-filtered, creep-compensated force, N
    breath: float     # the force in the band of breaths and knee drops (BREATH_HZ low-pass), N
    breath_noise: float  # ... and the sensor noise's rms in it, N


class Detector:
    def __init__(self, rate_hz, gentle_max=None, creep=True, params=Params()):
        self.p = p = params
        self.rate = rate_hz
        self.gentle_max = gentle_max
        self.creep = creep
        self.median = Median(median_window(p.median_s, rate_hz))
        self.median_state = Median(median_window(p.glitch_s, rate_hz))
        self.takes, self.surge_gain, self.breath_gain = noise_gains(self.median.k, self.median_state.k, rate_hz)
        self.contact_run = RunLength()
        self.idle_run = RunLength()
        self.zero = GatedMean(p.zero_tau_s, rate_hz)
        self.pressure = _Pressure(p, rate_hz)
        self.alarm_waiting = []  # alarm events the state machine has not seen yet
        self.lp_level = Sos.lowpass(LEVEL_HZ, rate_hz)
        self.lp_breath = Sos.lowpass(BREATH_HZ, rate_hz)
        self.diff = Diff(rate_hz)
        self.lp_slope = Sos.lowpass(1.5, rate_hz)
        self.bp_jerk = Sos.bandpass(1.0, 6.0, rate_hz)
        self.lp_jerk = Sos.lowpass(2.5, rate_hz)
        self.lp_gyro = Sos.lowpass(2.0, rate_hz)
        self.lp_surge = Sos.lowpass(SURGE_HZ, rate_hz)
        self.d_surge = Diff(rate_hz)
        self.lp_moving = Sos.lowpass(SURGE_HZ, rate_hz)
        self.lp_load = Sos.lowpass(0.2, rate_hz)      # the load of the last few seconds
        self.noise = GatedMean(p.noise_tau_s, rate_hz, unbiased=True)
        self.noise_ticks = 0.0                        # ... and its estimate at the ticks (_tick_noise)
        self.turns = Turns(rate_hz, p.roll_share, p.roll_share_tau_s)
        self.n_turns = self.n_turns_tick = 0          # turns seen, and up to the last tick
        self.n_ways = self.n_ways_tick = np.zeros(2, int)  # surges up and down seen, and up to the last tick
        self.step = max(1, round(rate_hz / TICK_HZ))
        self.n = 0  # samples seen
        self.m = _Machine(p, self)

    def feed(self, t, force, gyro=None):
        """A chunk of samples (t in s, force in N, gyro (n, 3) dps or None) ->
        events, in time order. The force after median and creep compensation is
        kept in self.last_force for display."""
        t = np.asarray(t, float)
        raw = np.asarray(force, float)
        med = self.median(raw)
        zero = self._zero(med)
        f = med - zero
        contact = f > self.p.contact_off_n
        tc = self.contact_run(contact) / self.rate
        gain = 1 / (1 + self.p.creep * np.log1p(tc / self.p.creep_tau_s)) if self.creep else 1.0
        f = f * gain
        self.last_force = f
        # the state machine works in tenths of seconds: it can afford to take
        # away longer glitches than the alarm, which must be fast
        fs = (self.median_state(raw) - zero) * gain
        level = self.lp_level(fs)
        breath = self.lp_breath(fs)
        slope = self.lp_slope(np.abs(self.diff(level)))
        jerk = np.sqrt(np.maximum(self.lp_jerk(self.bp_jerk(fs) ** 2), 0))
        # force only (with a gyro the rotation decides alone): surge turns
        if gyro is None:
            load = np.abs(self.lp_load(fs))  # the load of the last few seconds
            sigma = self._noise(med, load) / self.takes  # the sensor's noise, N
            turn, way = self._surge_turns(fs, load, sigma * self.surge_gain)
        else:
            turn, way = np.zeros(len(f), bool), np.zeros(len(f), int)
        took = self.median.centre - med  # what the alarm's median took away: noise, where the force is monotonic
        turns = self.n_turns + np.cumsum(turn)
        self.n_turns = int(turns[-1]) if len(turns) else self.n_turns
        ways = self.n_ways + np.cumsum(np.column_stack([way > 0, way < 0]), axis=0)
        self.n_ways = ways[-1] if len(ways) else self.n_ways
        self.m.has_gyro = gyro is not None
        g = np.zeros(len(f)) if gyro is None else self.lp_gyro(np.linalg.norm(np.asarray(gyro, float), axis=1))
        idx = np.flatnonzero((self.n + np.arange(len(f))) % self.step == 0)
        self.n += len(f)
        # the alarm first, so the state machine sees a spike at the tick after
        # it; a gentle max learnt at a tick applies from the next sample on
        gm, snap = self.gentle_max, self.pressure.state()
        alarm = self.pressure(t, f, gm)
        waiting = self.alarm_waiting + alarm  # raised after the last tick: the machine sees them next
        events, j = [], 0
        for i in idx:
            while j < len(waiting) and waiting[j].t_s <= t[i]:
                self.m.alarm(waiting[j])
                j += 1
            new, self.n_turns_tick = int(turns[i] - self.n_turns_tick), int(turns[i])
            rose, fell = ways[i] > self.n_ways_tick
            self.n_ways_tick = ways[i]
            events += self.m.tick(_Tick(t[i], level[i], slope[i], jerk[i], new, (bool(rose), bool(fell)), g[i], fs[i],
                                             breath[i], self._tick_noise(took[i], level[i])))
            if self.gentle_max != gm:
                split = i + 1
                self.pressure.restore(snap)
                alarm = self.pressure(t[:split], f[:split], gm)  # the same alerts as before, up to here
                gm = self.gentle_max
                alarm += self.pressure(t[split:], f[split:], gm)
                waiting = waiting[:j] + [e for e in alarm if e.t_s > t[i]]
        self.alarm_waiting = waiting[j:]
        return ordered(events + alarm)

    def _surge_turns(self, f, load, sigma):
        """The ball crossing the muscle's bands makes the force surge: its rate
        of change rises and falls again and again, where a press rises and
        stops once. -> (True where the rate turned (filters.Turns) while the
        force moved, by more than a share of the load and than the noise
        (sigma: the noise's rms in the surge, N/s); +1 / -1 where the force
        rose / fell faster than that floor)."""
        p = self.p
        surge = self.d_surge(self.lp_surge(f))
        moving = self.lp_moving(np.abs(surge)) > np.maximum(p.settled_slope * load, p.moving_noise * sigma)
        floor = np.maximum(p.roll_surge * load, p.roll_snr * sigma)
        return self.turns(surge, floor, moving), np.sign(surge) * (np.abs(surge) > floor)

    def _noise(self, med, load):
        """What the median takes away (rms, glitches clipped): where the force
        is monotonic it takes nothing, so this is the sensor's noise alone."""
        r2 = np.minimum((self.median.centre - med) ** 2, (self.p.noise_clip * load) ** 2)
        return np.sqrt(self.noise(r2, load > self.p.contact_on_n))

    def _tick_noise(self, took, level):
        """The sensor's noise in the breath band, N, for the breath counter:
        the median's residual as in _noise, sampled at the ticks (ten a
        second are plenty for a floor, and cost nothing per sample)."""
        if level > self.p.contact_on_n:
            r2 = min(took * took, (self.p.noise_clip * level) ** 2)
            self.noise_ticks += (r2 - self.noise_ticks) / (self.p.noise_tau_s * TICK_HZ)
        return float(np.sqrt(self.noise_ticks)) / self.takes * self.breath_gain

    def _zero(self, f):
        """Zero drift: the reading of the unloaded ball (idle for a second or
        more), followed slowly, held over the loaded stretches."""
        return self.zero(f, self.idle_run(f < self.p.contact_off_n) >= self.rate)

    def set_gentle_max(self, newtons):
        self.gentle_max = newtons


class _Machine:
    """The 10 Hz state machine."""

    def __init__(self, p, det):
        self.p = p
        self.det = det
        self.state = "idle"
        self.since = 0.0
        self.contact = False
        self.base = None            # the hold's settled level
        self.still_for = 0.0
        self.hist = deque(maxlen=int(6.0 * TICK_HZ))  # (t, level, raw, slope)
        self.turned = deque(maxlen=int(p.roll_turns_s * TICK_HZ))  # surge turns per tick
        self.ways = deque(maxlen=int(p.roll_turns_s * TICK_HZ))    # (rose, fell) per tick
        self.gyro_for = 0.0
        self.quiet_for = 0.0
        self.counter = Counter()    # breaths and knee drops (breaths.py)
        self.count_from = None      # when the counter starts afresh (None: counting)
        self.knee_until = -1.0
        self.slip_at = None         # a drop waiting for confirmation: (t, lowest level since)
        self.learn = []             # levels during the first steady hold (gentle max)
        self.has_gyro = False
        self.out = []
        self.phases = Phases(Event)
        self.pressing = False       # a pressure_high alert is on

    def _set(self, t, state):
        if state != self.state:
            self.state = state
            self.since = t
            self.out.append(Event(t, "state", state=state))

    def alarm(self, e):
        """A pressure_high alert (seen before the next tick): a spike, after
        which the breaths are counted afresh. The hold keeps its settled level
        (a spike returns to it, and rolling is judged against it)."""
        self.pressing = e.kind == "alert"  # settled only once it is over
        if e.kind == "alert" and self.state in ("hold", "knee_drop"):
            self._flush()
            self.phases.mistake(e.t_s, "spike")
        if e.kind == "alert_clear":
            self.count_from = e.t_s + self.p.count_after_s

    def tick(self, k):
        out = self._tick(k) + self.phases.take()
        for e in out:
            e.at = k.t
        self.out = []
        return out

    def _tick(self, k):
        p = self.p
        dt = 1.0 / TICK_HZ
        self.hist.append((k.t, k.level, k.raw, k.slope))
        was = self.contact
        # contact is lost when the reading too is under 5 N: the smoothed level
        # undershoots a deep, sudden fall (a slip to 6-8 N) by a few newtons
        self.contact = k.level > (p.contact_off_n if was else p.contact_on_n) or (was and k.raw > p.contact_off_n)
        if not self.contact:
            if was and self.state != "idle":
                self._flush()
                self.out.append(Event(k.t, "lift_off"))
                self.phases.lift_off(k.t)
            self._reset_contact()
            self._set(k.t, "idle")
            return self.out
        if self.state == "idle":
            self._set(k.t, "settling")
            self.phases.contact(k.t)
            self.base = None
        ref = max(self.base or k.level, p.contact_on_n)
        self.still_for = self.still_for + dt if k.slope < p.settled_slope * ref else 0.0
        # a slip rings like rolling for a moment: confirm or clear it first
        if self._slip(k, ref) or self._rolling(k, ref, dt):
            return self.out
        if self.state == "settling":
            if self.still_for >= p.settled_s and not self.pressing:
                self.base = k.level
                self._set(k.t, "hold")
                self.phases.held(k.t)
                self.count_from = k.t
            return self.out
        self._hold(k, dt)
        return self.out

    def _reset_contact(self):
        self.base = None
        self.gyro_for = self.quiet_for = 0.0
        self.turned.clear()
        self.ways.clear()
        self.slip_at = None
        self.hist.clear()

    # -- rolling: rotation, or (force only) the force surging again and again
    def _rolling(self, k, ref, dt):
        p = self.p
        self.gyro_for = self.gyro_for + dt if k.gyro > p.roll_gyro_dps else 0.0
        self.turned.append(k.turns)
        self.ways.append(k.ways)
        if self.has_gyro:  # a ball that does not turn is not rolling
            on = self.gyro_for >= p.roll_gyro_on_s
        else:
            on = self._surging() or self._swings()
        if self.state == "rolling":
            # over when the ball stops turning, or (force only) stops rippling
            calm = k.gyro < p.roll_gyro_dps / 2 if self.has_gyro else k.jerk < p.roll_jerk * ref
            self.quiet_for = self.quiet_for + dt if calm else 0.0
            if self.quiet_for >= p.roll_off_s:
                ended = k.t - self.quiet_for + dt  # where the calm began (raised now)
                self._set(ended, "settling")
                self.phases.roll_end(ended)
                self.base = None
                self.hist.clear()
                self.turned.clear()
                self.ways.clear()
                self.gyro_for = 0.0
                return False
            return True
        if on:
            self._set(k.t, "rolling")
            self._flush()
            self.phases.mistake(k.t, "rolling")
            self.quiet_for = 0.0
            self.slip_at = None
            self.out.append(Event(k.t, "alert", k.raw, alert="rolling"))
            return True
        return False

    def _roll_ref(self):
        """What rolling is judged against: the settled level, or (rolling
        before the ball was ever held still) the median level of the last
        roll_ref_s of contact, once there is that much."""
        if self.base is not None:
            return self.base
        n = int(self.p.roll_ref_s * TICK_HZ)
        if len(self.hist) < n:
            return None
        return float(np.median([h[1] for h in list(self.hist)[-n:]]))

    def _both_ways(self):
        """Settling is one monotonic ramp, so before the ball was ever held
        still rolling must also have moved the force both ways, each faster
        than a surge's floor, within roll_turns_s (rolling's ripple and swings
        do; the noise on a ramp's rate does not reverse the ramp)."""
        return self.base is not None or (any(r for r, _ in self.ways) and any(f for _, f in self.ways))

    def _surging(self):
        """Force only, from a settled hold: the force surged (its rate of change
        turned) roll_turns times within roll_turns_s, where a press, a lift or a
        glitch turns at most twice, and it moved far: more than breaths do, and
        faster than a knee drop."""
        ref = self._roll_ref()
        if ref is None or sum(self.turned) < self.p.roll_turns or not self._both_ways():
            return False
        levels = [h[1] for h in list(self.hist)[-len(self.turned):]]
        return max(levels) - min(levels) > self.p.roll_range * ref

    def _swings(self):
        """Force only: within roll_swing_s the level swung through the hold's
        level, beyond roll_cross either side and over roll_swing from one
        extreme to the other, and turned back (rolling's swings beyond its
        surges; a knee drop swings one way, a rocked knee 10 % back, a press
        only up, a slip or a lift-off only down)."""
        n = int(self.p.roll_swing_s * TICK_HZ)
        b = self._roll_ref()
        if b is None or len(self.hist) < n or not self._both_ways():
            return False
        levels = [h[1] for h in list(self.hist)[-n:]]
        hi, lo = max(levels), min(levels)
        p = self.p
        if not (hi - lo > p.roll_swing * b and hi > (1 + p.roll_cross) * b > (1 - p.roll_cross) * b > lo):
            return False
        # ... and went higher than a knee drop goes, or turned back from its
        # later extreme (a lift-off straight after a knee drop falls on)
        if hi > (1 + p.roll_high) * b:
            return True
        last = levels[-1]
        back = last - lo if levels.index(lo) > levels.index(hi) else hi - last
        return back > p.roll_back * b

    # -- slip: a sudden fall from stillness that does not end in lift-off
    def _slip(self, k, ref):
        p = self.p
        if self.slip_at is not None:
            t0, low = self.slip_at
            low = min(low, k.level)
            self.slip_at = (t0, low)
            if k.t - t0 >= p.slip_level_s and low > (1 - p.slip_drop / 2) * self.base:
                self.slip_at = None  # the reading fell, the level did not: a glitch of a few samples
                return False
            if k.t - t0 >= p.slip_confirm_s:
                self.slip_at = None
                self.out.append(Event(t0, "slip"))
                self._flush()
                self.phases.mistake(t0, "slip")
                self.out.append(Event(k.t, "alert", k.raw, alert="slip"))
                self._set(k.t, "settling")
                self.base = None
                self.hist.clear()
                return True
            return True
        if self.state not in ("hold", "knee_drop") or self.base is None:
            return False
        n = int(p.slip_within_s * TICK_HZ) + 1
        if len(self.hist) <= n:
            return False
        t_prev, lev_prev, raw_prev, slope_prev = self.hist[-1 - n]
        # from stillness, to well below the settled level: the end of a spike
        # falls as fast but only back to the level
        if (k.raw < raw_prev - p.slip_drop * self.base and k.raw < (1 - p.slip_drop) * self.base
                and slope_prev < p.moving_slope * self.base):
            self.slip_at = (k.t, k.level)
            return True
        return False

    # -- hold: breaths, knee drops, the gentle maximum
    def _hold(self, k, dt):
        p = self.p
        base = self.base
        if self.state == "knee_drop" and k.t > self.knee_until:
            self._set(k.t, "hold")
        # the settled level follows slow sinking but not breaths or knee drops
        if abs(k.level - base) < 0.04 * base:
            base += (k.level - base) * dt / 5.0
            self.base = base
        self._learn(k)
        if self.pressing or (self.count_from is not None and k.t < self.count_from):
            return
        if self.count_from is not None:
            self.counter.reset(k.t)
            self.count_from = None
        breaths, drops, began = self.counter.tick(float(k.t), float(k.breath / base - 1),
                                                  float(k.breath_noise / base))
        if began is not None:
            self.phases.knees(began)
        for t in breaths:
            self.phases.breath(t)
        for t in drops:
            if self.phases.knee_drop(t):
                self.knee_until = k.t + p.knee_hold_s
                self._set(k.t, "knee_drop")

    def _flush(self):
        for t in self.counter.flush():
            self.phases.breath(t)

    def _learn(self, k):
        det = self.det
        if det.gentle_max is not None or self.state != "hold":
            return
        self.learn.append(k.level)
        if len(self.learn) >= self.p.gentle_learn_s * TICK_HZ:
            gm = float(np.median(self.learn)) * self.p.gentle_from_level
            det.set_gentle_max(gm)
            self.out.append(Event(k.t, "gentle_max", gm))
