# Fixed-rate sampling scheduled by deadline: each deadline is the previous one
# plus the period, so sleeping late never accumulates into drift. Lateness of
# every read is kept as jitter statistics.
from . import protocol as P
from .ring import WRAP_US
from .sensors import SensorError


class Sampler:
    def __init__(self, clock, read, ring, rate_hz=P.RATE_DEFAULT_HZ):
        self.clock = clock  # has ticks_us, ticks_add, ticks_diff, sleep_us
        self.read = read    # -> force counts (0..65535)
        self.ring = ring
        self.set_rate(rate_hz)
        self.deadline = clock.ticks_us()
        # device ms of the next sample, kept modulo 2^16 ms (what the wire
        # carries) so it stays a small int on MicroPython
        self.elapsed_us = 0
        self.error = None
        self.jitter_max_us = 0
        self.jitter_hist = [0] * 16  # lateness in 0.25 ms bins, last bin open
        self.overruns = 0

    def set_rate(self, rate_hz):
        self.rate_hz = rate_hz
        self.period_us = 1000000 // rate_hz

    def wait(self):
        """Sleep until the next deadline; returns how late we woke (us)."""
        c = self.clock
        left = c.ticks_diff(self.deadline, c.ticks_us())
        if left > 0:
            c.sleep_us(left)
        late = -c.ticks_diff(self.deadline, c.ticks_us())
        return late if late > 0 else 0

    def step(self):
        """Wait for the deadline, take one sample, schedule the next. Returns
        False when the sensor failed (self.error says why): no sample is made
        up, the sequence simply resumes when the sensor answers again."""
        c = self.clock
        late = self.wait()
        if late > 1000000:  # stalled for a second: start a fresh schedule
            self.overruns += 1
            self.deadline = c.ticks_us()
            self.elapsed_us = (self.elapsed_us + late) % WRAP_US
            late = 0
        t_us = self.elapsed_us
        self.deadline = c.ticks_add(self.deadline, self.period_us)
        self.elapsed_us = (self.elapsed_us + self.period_us) % WRAP_US
        self._note(late)
        try:
            v = self.read()
        except SensorError as e:
            self.error = e
            return False
        self.error = None
        self.ring.push(v, t_us, self.period_us)
        return True

    def _note(self, late):
        if late > self.jitter_max_us:
            self.jitter_max_us = late
        b = late // 250
        self.jitter_hist[b if b < 15 else 15] += 1

    def jitter_p99_us(self):
        total = sum(self.jitter_hist)
        acc = 0
        for i, n in enumerate(self.jitter_hist):
            acc += n
            if acc * 100 >= total * 99:
                return (i + 1) * 250
        return 0
