"""Streaming filters with explicit state, after scipy.signal's sosfilt(zi=...):
feeding a signal in any chunks gives the same output as feeding it whole."""
import numpy as np


def _signal():
    """scipy.signal, imported when the first filter is made: it takes most of
    a second, and a command must be able to refuse bad input at once."""
    from scipy import signal
    return signal


class Median:
    """Causal running median over the last k samples: removes glitches up to
    (k-1)//2 samples long, at a delay of (k-1)//2 samples. After each call,
    `centre` holds the input each output is centred on (delayed the same)."""

    def __init__(self, k=5):
        self.k = k
        self.tail = None  # the last k-1 inputs
        self.centre = None

    def __call__(self, x):
        x = np.asarray(x, float)
        self.centre = x
        if len(x) == 0:
            return x
        if self.tail is None:
            self.tail = np.full(self.k - 1, x[0])
        buf = np.concatenate([self.tail, x])
        self.tail = buf[-(self.k - 1):]
        self.centre = buf[self.k // 2:self.k // 2 + len(x)]
        win = np.lib.stride_tricks.sliding_window_view(buf, self.k)
        return np.partition(win, self.k // 2, axis=1)[:, self.k // 2]  # np.median, less overhead


def _below_nyquist(hz, rate_hz):
    """A cut-off the rate can carry: the ball may sample as slowly as 10 Hz,
    where a 6 Hz edge does not exist; it becomes 0.45 x the rate (4.5 Hz)."""
    return min(hz, 0.45 * rate_hz)


class Sos:
    """An IIR filter as second-order sections with carried state; starts in the
    steady state of its first input so there is no start-up transient."""

    def __init__(self, sos):
        self.sos = sos
        self.zi = None
        self.sosfilt = _signal().sosfilt
        self.lfilter = _signal().lfilter if len(sos) == 1 else None

    @classmethod
    def lowpass(cls, hz, rate_hz, order=2):
        return cls(_signal().butter(order, _below_nyquist(hz, rate_hz), "low", fs=rate_hz, output="sos"))

    @classmethod
    def bandpass(cls, lo, hi, rate_hz, order=2):
        return cls(_signal().butter(order, [lo, _below_nyquist(hi, rate_hz)], "band", fs=rate_hz, output="sos"))

    def __call__(self, x):
        x = np.asarray(x, float)
        if len(x) == 0:
            return x
        if self.zi is None:
            self.zi = _signal().sosfilt_zi(self.sos) * x[0]
        if self.lfilter:  # one section: the same recursion, without sosfilt's 30 us of checks per call
            y, self.zi[0] = self.lfilter(self.sos[0, :3], self.sos[0, 3:], x, zi=self.zi[0])
            return y
        y, self.zi = self.sosfilt(self.sos, x, zi=self.zi)
        return y


class Diff:
    """First difference times the rate: a derivative per second."""

    def __init__(self, rate_hz):
        self.rate = rate_hz
        self.last = None

    def __call__(self, x):
        x = np.asarray(x, float)
        if len(x) == 0:
            return x
        prev = x[0] if self.last is None else self.last
        self.last = x[-1]
        return np.diff(x, prepend=prev) * self.rate


class RunLength:
    """How long (in samples) a condition has been true at each sample."""

    def __init__(self):
        self.carry = 0

    def __call__(self, cond):
        cond = np.asarray(cond, bool)
        n = np.arange(1, len(cond) + 1)
        # index of the last False at or before each sample (0 = none in chunk)
        last_false = np.maximum.accumulate(np.where(~cond, n, 0))
        out = np.where(last_false == 0, n + self.carry, n - last_false)
        out[~cond] = 0
        if len(cond):
            self.carry = int(out[-1])
        return out


class GatedMean:
    """Exponential average (time constant tau_s) of x over the samples where
    gate is True, held over the others; starts from 0, or (unbiased) from
    nothing: the average of what it has seen so far, with the same weights
    (an estimate that is right from its first samples, not low for tau_s)."""

    def __init__(self, tau_s, rate_hz, unbiased=False):
        self.a = 1.0 / (tau_s * rate_hz)
        self.zi = np.zeros(1)
        self.last = 0.0
        self.lfilter = _signal().lfilter
        self.unbiased = unbiased
        self.n = 0                # gated samples seen

    def __call__(self, x, gate):
        x, gate = np.asarray(x, float), np.asarray(gate, bool)
        if not gate.any():
            return np.full(len(x), self.last)
        y, self.zi = self.lfilter([self.a], [1, self.a - 1], x[gate], zi=self.zi)
        if self.unbiased:  # the weights so far sum to 1 - (1 - a)^n
            y = y / -np.expm1((self.n + np.arange(1, len(y) + 1)) * np.log1p(-self.a))
            self.n += len(y)
        pos = np.cumsum(gate) - 1  # index into y of the latest gated sample
        out = np.where(pos >= 0, y[np.maximum(pos, 0)], self.last)
        self.last = float(y[-1])
        return out


class Turns:
    """Turns of x while moving: where x comes back by at least h from the
    extreme it was following (a zigzag with hysteresis). h = max(floor, share
    * the biggest recent |x|, which decays with tau_s), so the ringing after
    one big move does not count. While not moving it rests, and the first
    move of h from rest only sets the direction. -> True at each turn."""

    def __init__(self, rate_hz, share, tau_s):
        self.share = share
        self.decay = np.exp(-1.0 / (tau_s * rate_hz))
        self.peak = 0.0
        self.dir = 0            # +1 following a maximum, -1 a minimum, 0 at rest
        self.ext = None         # the extreme followed
        self.lo = self.hi = None  # since rest: the range seen

    def __call__(self, x, floor, moving):
        x = np.asarray(x, float)
        out = np.zeros(len(x), bool)
        if not len(x):
            return out
        peak = self._decaying_max(np.abs(x))
        h = np.maximum(floor, self.share * np.concatenate([[self.peak], peak[:-1]]))
        self.peak = float(peak[-1])
        moving = np.asarray(moving, bool)
        d, ext, lo, hi = self.dir, self.ext, self.lo, self.hi
        xs, hs, mv = x.tolist(), h.tolist(), moving.tolist()
        # at rest the state is only "rest at the last sample": loop over the moves
        for i in np.flatnonzero(moving).tolist():
            v, hh = xs[i], hs[i]
            if i and not mv[i - 1]:
                d, lo, hi = 0, xs[i - 1], xs[i - 1]
            if lo is None:
                d, lo, hi = 0, v, v
            elif d == 0:
                lo, hi = min(lo, v), max(hi, v)
                if max(v - lo, hi - v) >= hh:
                    d, ext = (1 if v - lo >= hh else -1), v
            elif (v - ext) * d > 0:
                ext = v
            elif (ext - v) * d >= hh:
                out[i], d, ext = True, -d, v
        if not mv[-1]:
            d, lo, hi = 0, xs[-1], xs[-1]
        self.dir, self.ext, self.lo, self.hi = d, ext, lo, hi
        return out

    def _decaying_max(self, a, block=500):
        """peak[i] = max(a[i], peak[i-1] * decay), in blocks short enough that
        decay ** -block stays far inside the float range."""
        out = np.empty(len(a))
        p = self.peak
        for s in range(0, len(a), block):
            g = self.decay ** -np.arange(1.0, len(a[s:s + block]) + 1)
            out[s:s + block] = np.maximum.accumulate(np.maximum(a[s:s + block] * g, p)) / g
            p = out[min(s + block, len(a)) - 1]
        return out

