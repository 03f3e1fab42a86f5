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
from ..sensors import hx711 as _hx

NAME = "sim"
BOARD_ID = 0
PINS = {"fsr_adc": 0, "battery_adc": 1, "hx711_dout": 2, "hx711_sck": 3,
        "i2c_sda": 4, "i2c_scl": 5, "motor": 6, "led": 7}
VREF_UV = 3300000
FSR_DIVIDER_OHMS = 330
HX711_SPS = 80
MAGIC = b"BSIM"
_MASK = (1 << 30) - 1
_HALF = 1 << 29


def _env(name, default=None):
    v = os.getenv(name)
    return v if v else default


class _Clock:
    """Device time, optionally running `speed` times faster than the wall."""

    def __init__(self, speed):
        self.speed = speed
        real = getattr(time, "ticks_us", None)
        if real is None:  # CPython
            def real():
                return (time.monotonic_ns() // 1000) & _MASK
        self._real = real
        if speed == 1 and hasattr(time, "sleep_us"):
            self.ticks_us = real
            self.sleep_us = time.sleep_us

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


clock = _Clock(int(_env("BALLSENSE_SPEED", "1")))
_FAULT = _env("BALLSENSE_FAULT", "")


class _Trace:
    """Rows of float32 (force N, then gyro x, y, z dps if 4 channels) at rate_hz,
    read from the file as time passes; after the end, the last row holds."""

    def __init__(self, path):
        self.f = None
        self.row = (0.0, 0.0, 0.0, 0.0)
        self.t0 = clock.ticks_us()
        self.i = -1
        if not path:
            return
        self.f = open(path, "rb")
        magic, ver, self.rate, self.ch = struct.unpack("<4sHHB", self.f.read(9))
        if magic != MAGIC or ver != 1:
            raise ValueError("%s is not a ballsense scenario file" % path)
        self.fmt = "<%df" % self.ch
        self.size = 4 * self.ch

    def now(self):
        if self.f is None:
            return self.row
        i = clock.ticks_diff(clock.ticks_us(), self.t0) * self.rate // 1000000
        if i != self.i:
            self.f.seek(9 + i * self.size)
            b = self.f.read(self.size)
            if len(b) == self.size:
                r = struct.unpack(self.fmt, b)
                self.row = r if self.ch == 4 else (r[0], 0.0, 0.0, 0.0)
            self.i = i
        return self.row


trace = _Trace(_env("BALLSENSE_SCENARIO"))


def fsr_volts_uv(force_n):
    """Divider output for a force on the ball, from the nominal FSR curve."""
    if force_n < 0.5:
        r = 10000000.0  # no contact: megohms
    else:
        r = _fsr.NOMINAL_R_1N * force_n ** -_fsr.NOMINAL_ALPHA
    return VREF_UV * FSR_DIVIDER_OHMS / (FSR_DIVIDER_OHMS + r)


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


class _HX711Chip:
    """The chip's side of the two-wire protocol."""

    def __init__(self):
        self.period_us = 1000000 // HX711_SPS
        self.next_conv = clock.ticks_us()
        self.word = None
        self.pulses = 0

    def dout(self):
        if _FAULT == "hx711_dead":
            return 1
        if self.word is None:
            return 0 if clock.ticks_diff(clock.ticks_us(), self.next_conv) >= 0 else 1
        if 1 <= self.pulses <= 24:
            return (self.word >> (24 - self.pulses)) & 1
        return 1

    def clock_pulse(self):
        if self.word is None:
            if self.dout():
                return
            raw = int(trace.now()[0] * _hx.NOMINAL_RAW_PER_N) + 30000 + random.randint(-200, 200)
            self.word = raw & 0xFFFFFF
            self.pulses = 0
        self.pulses += 1
        if self.pulses == 25:  # gain pulse: conversion consumed
            self.word = None
            self.next_conv = clock.ticks_add(clock.ticks_us(), self.period_us)


_chip = _HX711Chip()


class _Pin:
    def __init__(self, pin, mode):
        self.pin = pin
        self.level = 0

    def value(self, v=None):
        if v is None:
            return _chip.dout() if self.pin == PINS["hx711_dout"] else self.level
        if self.pin == PINS["hx711_sck"] and v and not self.level:
            _chip.clock_pulse()
        self.level = v


class _I2C:
    """An MPU-6050 at 0x68 whose gyro follows the trace."""

    def __init__(self):
        self.regs = {0x75: 0x68}

    def _check(self, addr):
        if addr != 0x68 or _FAULT == "imu_gone":
            raise OSError(19)  # ENODEV, as machine.I2C raises for a missing device

    def writeto_mem(self, addr, reg, buf):
        self._check(addr)
        self.regs[reg] = buf[0]

    def readfrom_mem(self, addr, reg, n):
        self._check(addr)
        if reg == 0x43:
            g = trace.now()
            return struct.pack(">hhh", *[max(-32768, min(32767, int(v * 65.5))) for v in g[1:4]])
        return bytes([self.regs.get(reg + i, 0) for i in range(n)])


def ADC(pin):
    return _ADC(pin)


def Pin(pin, mode):
    return _Pin(pin, mode)


def I2C(sda, scl):
    return _I2C()


def battery_pct():
    return 87
