# HX711 24-bit load-cell amplifier, bit-banged on two pins (datasheet timing):
# DOUT goes low when a conversion is ready; 24 SCK pulses shift it out MSB
# first; one more pulse selects channel A, gain 128 for the next conversion.
# The chip converts at 10 or 80 SPS (its RATE pin); between conversions the
# last value is repeated.
from . import SensorError

# Nominal 50 kg bar load cell (1 mV/V) at gain 128: raw counts per newton.
NOMINAL_RAW_PER_N = 2825
ZERO_COUNTS = 512  # counts after tare, so drift below zero stays visible
FULL_SCALE = 65535


class HX711:
    def __init__(self, dout, sck, clock, sps=80, shift=6):
        self.dout = dout
        self.sck = sck
        self.clock = clock
        self.shift = shift
        self.timeout_ms = 4 * 1000 // sps + 50  # a few conversion periods
        self.offset = 0
        self.last = ZERO_COUNTS
        self.last_ok = clock.ticks_ms()
        sck.value(0)

    def ready(self):
        return self.dout.value() == 0

    def read_raw(self):
        v = 0
        for _ in range(24):
            self.sck.value(1)
            self.sck.value(0)
            v = (v << 1) | self.dout.value()
        self.sck.value(1)  # 25th pulse: channel A, gain 128
        self.sck.value(0)
        return v - 0x1000000 if v & 0x800000 else v

    def read(self):
        c = self.clock
        if self.ready():
            raw = self.read_raw()
            self.last_ok = c.ticks_ms()
            v = ZERO_COUNTS + ((raw - self.offset) >> self.shift)
            self.last = 0 if v < 0 else (FULL_SCALE if v > FULL_SCALE else v)
        elif c.ticks_diff(c.ticks_ms(), self.last_ok) > self.timeout_ms:
            raise SensorError("HX711 DOUT never went low in %d ms: check its power, DOUT and SCK wiring"
                              % self.timeout_ms)
        return self.last

    def tare(self, n=8):
        """Zero on the current load: average n conversions."""
        c = self.clock
        acc = 0
        for _ in range(n):
            t0 = c.ticks_ms()
            while not self.ready():
                if c.ticks_diff(c.ticks_ms(), t0) > self.timeout_ms:
                    raise SensorError("HX711 not ready during tare")
                c.sleep_us(500)
            acc += self.read_raw()
        self.offset = acc // n
        self.last_ok = c.ticks_ms()


def make(board, cfg):
    p = board.PINS
    s = HX711(board.Pin(p["hx711_dout"], "in"), board.Pin(p["hx711_sck"], "out"), board.clock,
              sps=board.HX711_SPS, shift=cfg["hx711_shift"])
    try:
        s.tare()
    except SensorError:
        pass  # the ball still boots: every read retries and status reports the fault
    return s


def counts_at(board, cfg, force_n):
    return ZERO_COUNTS + (int(NOMINAL_RAW_PER_N * force_n) >> cfg["hx711_shift"])
