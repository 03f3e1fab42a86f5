# Device time for the emulated ball when it runs faster than the wall clock
# (BALLSENSE_SPEED > 1), or under CPython, which has no time.ticks_us.
import time

TICKS_MASK = _MASK = (1 << 30) - 1  # MicroPython's ticks period, less one
_HALF = 1 << 29


class Clock:
    """Device time, optionally running `speed` times faster than the wall."""

    def __init__(self, speed):
        self.speed = speed
        real = getattr(time, "ticks_us", None)
        if real is None:  # CPython
            def real():
                return (time.monotonic_ns() // 1000) & _MASK
        self._real = real

    def ticks_us(self):
        return (self._real() * self.speed) & _MASK

    def ticks_ms(self):
        return (self.ticks_us() // 1000) & _MASK

    def ticks_add(self, a, b):
        return (a + b) & _MASK

    def ticks_diff(self, a, b):
        return ((a - b + _HALF) & _MASK) - _HALF

    def sleep_us(self, us):
        if hasattr(time, "sleep_us"):
            time.sleep_us(us // self.speed)
        else:
            time.sleep(us / 1e6 / self.speed)
