# Force-sensitive resistor (FSR 402/406) in a voltage divider on an ADC pin:
# Vout = Vcc * R_m / (R_m + R_fsr). Conductance of an FSR rises roughly in
# proportion to force, so R_fsr ~ R_1N * F^-ALPHA.

# Nominal curve of an FSR 402 potted in the ball, for force on the ball (the
# sensor sees only part of it). The emulated ball uses it to turn force into
# volts; the host uses it until the ball has been calibrated with weights.
NOMINAL_R_1N = 100000  # ohm at 1 N on the ball
NOMINAL_ALPHA = 1.0
FULL_SCALE = 65535


def divider_fraction(force_n, r_m):
    """The divider's output as a fraction of its supply, for a force on the
    ball on the nominal curve (calibration.nominal is its inverse)."""
    return r_m / (r_m + NOMINAL_R_1N * force_n ** -NOMINAL_ALPHA)


class FSR:
    def __init__(self, adc, vref_uv, oversample=8):
        self.adc = adc
        self.vref_uv = vref_uv
        self.n = oversample
        # read_uv is factory-calibrated where the port has it (ESP32).
        self._uv = getattr(adc, "read_uv", None)

    def read(self):
        """Divider voltage as a fraction of Vcc, 0..65535, averaged over n reads."""
        n = self.n
        acc = 0
        if self._uv:
            for _ in range(n):
                acc += self._uv()
            c = acc * FULL_SCALE // (n * self.vref_uv)
        else:
            for _ in range(n):
                acc += self.adc.read_u16()
            c = acc // n
        return c if c < FULL_SCALE else FULL_SCALE

# FSR creep: under a constant load the reading rises by about
# NOMINAL_CREEP * ln(1 + t / CREEP_TAU_S) (a few percent a minute, slowing).
# The host divides it back out; the emulated ball's scenarios put it in.
NOMINAL_CREEP = 0.035
CREEP_TAU_S = 20.0


def make(board, cfg):
    return FSR(board.ADC(board.PINS["fsr_adc"]), board.VREF_UV)


def counts_at(board, cfg, force_n):
    return int(FULL_SCALE * divider_fraction(force_n, board.FSR_DIVIDER_OHMS))
