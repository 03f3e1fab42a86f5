# The emulated HX711 chip of boards/sim.py, kept apart so a ball configured
# without one does not spend RAM on it.
import random

from ..sensors import hx711 as _hx
from .sim import clock, HX711_SPS, PINS, trace_now, fault


class _HX711Chip:
    """The chip's side of the two-wire protocol."""

    def __init__(self):
        self.period_us = 1000000 // HX711_SPS
        self.next_conv = clock.ticks_us()
        self.word = None
        self.pulses = 0

    def dout(self):
        if fault() == "hx711_dead":
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
            raw = int(trace_now()[0] * _hx.NOMINAL_RAW_PER_N) + 30000 + random.randint(-200, 200)
            self.word = raw & 0xFFFFFF
            self.pulses = 0
        self.pulses += 1
        if self.pulses == 25:  # gain pulse: conversion consumed
            self.word = None
            self.next_conv = clock.ticks_add(clock.ticks_us(), self.period_us)




class Pin:
    def __init__(self, pin, mode):
        self.pin = pin
        self.level = 0

    def value(self, v=None):
        if v is None:
            return _chip().dout() if self.pin == PINS["hx711_dout"] else self.level
        if self.pin == PINS["hx711_sck"] and v and not self.level:
            _chip().clock_pulse()
        self.level = v


_the_chip = []


def _chip():
    if not _the_chip:
        _the_chip.append(_HX711Chip())
    return _the_chip[0]
