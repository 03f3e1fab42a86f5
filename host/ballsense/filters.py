"""Streaming filters with explicit state, after scipy.signal's sosfilt(zi=...):
feeding a signal in any chunks gives the same output as feeding it whole."""
import numpy as np
from scipy import signal


class Median:
    """Causal running median over the last k samples: removes glitches up to
    (k-1)//2 samples long, at a delay of (k-1)//2 samples."""

    def __init__(self, k=5):
        self.k = k
        self.tail = None  # the last k-1 inputs

    def __call__(self, x):
        x = np.asarray(x, float)
        if len(x) == 0:
            return x
        if self.tail is None:
            self.tail = np.full(self.k - 1, x[0])
        buf = np.concatenate([self.tail, x])
        self.tail = buf[-(self.k - 1):]
        return np.median(np.lib.stride_tricks.sliding_window_view(buf, self.k), axis=1)


class Sos:
    """An IIR filter as second-order sections with carried state; starts in the
    steady state of its first input so there is no start-up transient."""

    def __init__(self, sos):
        self.sos = sos
        self.zi = None

    @classmethod
    def lowpass(cls, hz, rate_hz, order=2):
        return cls(signal.butter(order, hz, "low", fs=rate_hz, output="sos"))

    @classmethod
    def bandpass(cls, lo, hi, rate_hz, order=2):
        return cls(signal.butter(order, [lo, hi], "band", fs=rate_hz, output="sos"))

    def __call__(self, x):
        x = np.asarray(x, float)
        if len(x) == 0:
            return x
        if self.zi is None:
            self.zi = signal.sosfilt_zi(self.sos) * x[0]
        y, self.zi = signal.sosfilt(self.sos, x, zi=self.zi)
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
