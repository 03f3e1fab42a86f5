"""Pick the FSR divider resistor R_m (E24 series) for the reference ball.

Circuit (see wiring_xiao_esp32c3.svg): 3V3 -- FSR -- ADC pin -- R_m -- GND, so
    V(F) = VCC * R_m / (R_m + R_fsr(F)),   R_fsr(F) = NOMINAL_R_1N * F**-ALPHA
with the nominal curve of the potted FSR taken from the firmware (force on the
ball, not on the sensor). Criterion: over the working range 20-300 N, make the
worst-case resolution (the largest newtons per ADC count) as small as possible,
while V(F) stays inside the ADC's usable window for every F in the range.

ADC: ESP32-C3 ADC1 at 11 dB attenuation measures 0-2500 mV, 12-bit raw results,
and a raw code converts as Vout = Dout * Vmax / Dmax (ESP-IDF v4.4 ADC guide,
ESP32-C3, "ADC Attenuation" table and formula (1):
https://docs.espressif.com/projects/esp-idf/en/v4.4.5/esp32c3/api-reference/peripherals/adc.html).
So one count is 2.5 V / 4095 = 0.61 mV. The bottom 0.1 V is kept out of the
window because SAR ADCs of this family are non-linear near 0 V.

Run: .venv/bin/python hardware/sizing.py
"""
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "firmware"))
from ballsense_fw.sensors import fsr as fw_fsr  # noqa: E402  (the one nominal curve)

VCC = 3.3            # XIAO 3V3 rail feeds the divider
ADC_BITS = 12
ADC_VMAX = 2.5       # 11 dB attenuation, top of the measurable range (ESP-IDF v4.4)
ADC_LSB_V = ADC_VMAX / (2 ** ADC_BITS - 1)
WINDOW_V = (0.1, 2.5)  # usable, roughly linear part
F_MIN, F_MAX = 20.0, 300.0
R_1N = fw_fsr.NOMINAL_R_1N
ALPHA = fw_fsr.NOMINAL_ALPHA
E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
# Worst case N/count the chosen resistor must beat over 20-300 N (tests hold
# the design to it): a quarter newton is ~25 g on the ball.
MAX_N_PER_COUNT = 0.25


def e24(lo=10.0, hi=1e6):
    """E24 resistor values between lo and hi ohms."""
    out = []
    for decade in range(0, 7):
        for m in E24:
            r = round(m * 10 ** decade, 6)
            if lo <= r <= hi:
                out.append(r)
    return out


def fsr_ohms(force_n):
    return R_1N * force_n ** -ALPHA


def divider_volts(r_m, force_n):
    return VCC * fw_fsr.divider_fraction(force_n, r_m)


def newtons_per_count(r_m, force_n):
    """Force step that moves the ADC by one count: LSB / (dV/dF)."""
    r = fsr_ohms(force_n)
    dv_df = VCC * r_m * ALPHA * r / force_n / (r_m + r) ** 2  # dR/dF = -ALPHA*R/F
    return ADC_LSB_V / dv_df


def forces(n=57):
    """Log-spaced forces over the working range, both ends included."""
    return [F_MIN * (F_MAX / F_MIN) ** (i / (n - 1)) for i in range(n)]


def in_window(r_m):
    v = [divider_volts(r_m, f) for f in forces()]
    return min(v) >= WINDOW_V[0] and max(v) <= WINDOW_V[1]


def worst_newtons_per_count(r_m):
    """The criterion: largest N/count over the working range (lower is better);
    infinite when the output leaves the usable ADC window."""
    if not in_window(r_m):
        return math.inf
    return max(newtons_per_count(r_m, f) for f in forces())


def choose(candidates=None):
    """The E24 value with the smallest worst-case N/count."""
    return min(candidates or e24(), key=worst_newtons_per_count)


def fsr_current_ma(r_m, force_n):
    return 1000 * VCC / (r_m + fsr_ohms(force_n))


def table(r_m, points=(20, 30, 50, 75, 100, 150, 200, 250, 300)):
    """Rows (force N, FSR ohms, volts, N/count, mA) for the docs."""
    return [(f, fsr_ohms(f), divider_volts(r_m, f), newtons_per_count(r_m, f), fsr_current_ma(r_m, f))
            for f in points]


def report(r_m=None, old=1300):
    r_m = r_m or choose()
    lines = [f"FSR divider for {F_MIN:g}-{F_MAX:g} N, ADC window {WINDOW_V[0]}-{WINDOW_V[1]} V, "
             f"1 count = {ADC_LSB_V * 1000:.3f} mV (12-bit over 0-{ADC_VMAX} V)",
             "",
             f"Chosen R_m = {r_m:g} ohm (E24)",
             "",
             "| force N | R_fsr ohm | V_out V | N/count | divider mA |",
             "|--------:|----------:|--------:|--------:|-----------:|"]
    for f, r, v, npc, ma in table(r_m):
        lines.append(f"| {f:7.0f} | {r:9.0f} | {v:7.3f} | {npc:7.3f} | {ma:10.2f} |")
    lines += ["", "Worst-case N/count over the range, chosen value, its E24 neighbours and the old value:", "",
              "| R_m ohm | V(20 N) | V(300 N) | worst N/count |",
              "|--------:|--------:|---------:|--------------:|"]
    vals = e24()
    i = vals.index(r_m)
    for r in sorted({vals[i - 2], vals[i - 1], r_m, vals[i + 1], vals[i + 2], old}):
        w = worst_newtons_per_count(r)
        ws = "outside window" if math.isinf(w) else f"{w:.4f}"
        lines.append(f"| {r:7g} | {divider_volts(r, F_MIN):7.3f} | {divider_volts(r, F_MAX):8.3f} | {ws:>13} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
