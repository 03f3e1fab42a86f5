# The emulated ball's board: the only simulated part is the hardware under the
# firmware. Its ADC, HX711 chip and MPU-6050 follow a scripted force trace (a
# scenario file written by the host, see host/ballsense/scenarios.py) through
# the same physics the real parts have; everything above them is unchanged.
#
# Environment: BALLSENSE_SCENARIO (trace file; none = unloaded ball),
# BALLSENSE_SPEED (integer time compression, default 1),
# BALLSENSE_FAULT ("hx711_dead", "imu_gone").
import os
import struct
import random
import time

from ..sensors import fsr as _fsr

NAME = "sim"
BOARD_ID = 0
PINS = {"fsr_adc": 0, "battery_adc": 1, "hx711_dout": 2, "hx711_sck": 3,
        "i2c_sda": 4, "i2c_scl": 5, "motor": 6, "led": 7}
VREF_UV = 3300000
FSR_DIVIDER_OHMS = 330
HX711_SPS = 80
# The trace file (host/ballsense/scenarios.py writes it): this header, then
# rows of float32 (force N, then gyro x, y, z dps with 4 channels)
MAGIC = b"BSIM"
TRACE_HEADER = "<4sHHB"  # magic, version 1, rows a second, channels
TRACE_HEADER_SIZE = 9


def trace_header(rate, channels):
    return struct.pack(TRACE_HEADER, MAGIC, 1, rate, channels)


def row_offset(row, channels):
    return TRACE_HEADER_SIZE + 4 * channels * row


def _env(name, default=None):
    v = os.getenv(name)
    return v if v else default


_SPEED = int(_env("BALLSENSE_SPEED", "1"))
if _SPEED == 1 and hasattr(time, "ticks_us"):
    clock = time  # MicroPython's own ticks: the fast path, and no extra RAM
else:
    from .sim_clock import Clock
    clock = Clock(_SPEED)
_FAULT = _env("BALLSENSE_FAULT", "")


class _Trace:
    """Rows of float32 (force N, then gyro x, y, z dps if 4 channels) at rate_hz,
    read from the file as time passes; after the end, the last row holds."""

    def __init__(self, path):
        self.f = None
        self.row = (0.0, 0.0, 0.0, 0.0)
        self.last = clock.ticks_us()
        self.acc_us = 0  # time since the current row began
        self.i = 0       # current row; counted up step by step, because a
        # ticks difference is only valid within 2^29 us (about 9 minutes)
        self.loaded = -1
        if not path:
            return
        self.f = open(path, "rb")
        magic, ver, self.rate, self.ch = struct.unpack(TRACE_HEADER, self.f.read(TRACE_HEADER_SIZE))
        if magic != MAGIC or ver != 1:
            raise ValueError("%s is not a ballsense scenario file" % path)
        self.fmt = "<%df" % self.ch
        self.size = 4 * self.ch
        self.row_us = 1000000 // self.rate
        self.rows = None

    def now(self):
        if self.f is None:
            return self.row
        t = clock.ticks_us()
        self.acc_us += clock.ticks_diff(t, self.last)
        self.last = t
        if self.acc_us >= self.row_us:
            self.i += self.acc_us // self.row_us
            self.acc_us %= self.row_us
        if self.i != self.loaded and (self.rows is None or self.loaded < self.rows - 1):
            self.f.seek(row_offset(self.i, self.ch))
            b = self.f.read(self.size)
            if len(b) == self.size:
                r = struct.unpack(self.fmt, b)
                self.row = r if self.ch == 4 else (r[0], 0.0, 0.0, 0.0)
                self.loaded = self.i
            else:  # past the end: the last row holds
                self.rows = self.loaded + 1
        return self.row


trace = _Trace(_env("BALLSENSE_SCENARIO"))


def trace_now():
    return trace.now()


def fault():
    return _FAULT


def fsr_volts_uv(force_n):
    """Divider output for a force on the ball, from the nominal FSR curve."""
    if force_n < 0.5:  # no contact: megohms
        return VREF_UV * FSR_DIVIDER_OHMS / (FSR_DIVIDER_OHMS + 10000000.0)
    return VREF_UV * _fsr.divider_fraction(force_n, FSR_DIVIDER_OHMS)


class _ADC:
    def __init__(self, pin):
        self.pin = pin

    def read_uv(self):
        if self.pin == PINS["battery_adc"]:
            return 1950000
        uv = fsr_volts_uv(trace.now()[0]) + random.uniform(-1500, 1500)  # ~1 LSB noise
        return int(min(max(uv, 0), VREF_UV))

    def read_u16(self):
        return self.read_uv() * 65535 // VREF_UV


def ADC(pin):
    return _ADC(pin)


class _Output:
    level = 0  # the motor and LED pins: the level is all there is to see

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v


def Pin(pin, mode):
    if pin in (PINS["motor"], PINS["led"]):
        return _Output()
    from . import sim_hx711  # loaded only when a ball has one: RAM is scarce
    return sim_hx711.Pin(pin, mode)


def I2C(sda, scl):
    from . import sim_imu
    return sim_imu.I2C()


def battery_pct():
    return 87


def started(deadline_us):
    """Sample 0's deadline in device ticks (CLOCK_MONOTONIC microseconds, mod
    2^30, as the host's time.monotonic): lets the host time its latency."""
    try:
        with open("clock", "w") as f:
            f.write("%d %d" % (deadline_us, _SPEED))
    except OSError:
        pass
