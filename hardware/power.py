"""Power budget and battery life of the reference ball (XIAO ESP32-C3).

Modes: streaming (sampling 100 Hz, BLE connected, ~14 notifications/s),
advertising (awake, waiting for a central), off (deep sleep, woken by the reed
switch; with a slide switch in the battery lead "off" draws nothing).

Figures behind it (mA, at the 3.7 V cell unless said):
- XIAO ESP32-C3, BLE on, modem-sleep: 26.8 mA; BLE on, light-sleep: 9.7 mA;
  deep-sleep: 44 uA. Seeed Studio's measured board-level figures ("XIAO ESP32C3
  power consumption modes", Seeed wiki; mirrored at manuals.plus). Board-level
  numbers include the XIAO's regulator and charger, so they are used instead of
  the bare chip's datasheet numbers (ESP32-C3 datasheet: deep-sleep 5 uA).
  MicroPython does not enable automatic light-sleep with BLE, so the awake modes
  use the modem-sleep figure: advertising costs nearly as much as streaming.
- BLE notification airtime: ASSUMED 1 ms of radio at 100 mA per notification
  (no BLE TX line in the ESP32-C3 datasheet; 100 mA is a generous bound, well
  under its 335 mA Wi-Fi 802.11b TX peak). It adds ~1.4 mA at 14 /s.
- FSR divider: VCC / (R_m + R_fsr(F)) from sizing.py at the mean session force.
- HX711: < 1.5 mA operating, < 1 uA power-down (HX711 datasheet, features).
- MPU-6050: gyro 3.6 mA + accelerometer 0.5 mA (MPU-6000/6050 product spec
  rev 3.4, sec. 6.1/6.2; the firmware wakes both); sleep ~5 uA (ASSUMED,
  product spec lists ~5 uA idle).
- Battery sense: 2 x 220k across the cell, always connected: 3.7 V / 440k.
- LED: (3.3 V - 2.0 V) / 1k = 1.3 mA, ASSUMED lit 10 % of the session.
- Vibration motor: 10 mm coin motor, ~70 mA at 3 V (typical catalogue value),
  ASSUMED running 1 % of the session (short alert buzzes).
- Usable capacity: 80 % of the rated mAh (cut-off at 3.3 V under load, ageing).

Run: .venv/bin/python hardware/power.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sizing  # noqa: E402

XIAO_BLE_MODEM_SLEEP_MA = 26.8
XIAO_BLE_LIGHT_SLEEP_MA = 9.7   # reachable only with auto light-sleep (not MicroPython today)
XIAO_DEEP_SLEEP_MA = 0.044
NOTIFY_RADIO_MA = 100.0
NOTIFY_RADIO_MS = 1.0
NOTIFY_PER_S = 14
HX711_MA, HX711_DOWN_MA = 1.5, 0.001
MPU6050_MA, MPU6050_SLEEP_MA = 3.6 + 0.5, 0.005
CELL_V = 3.7
BATTERY_DIVIDER_MA = 1000 * CELL_V / 440e3
LED_MA, LED_DUTY = 1.3, 0.10
MOTOR_MA, MOTOR_DUTY = 70.0, 0.01
USABLE = 0.8
MEAN_SESSION_FORCE_N = 100.0
CELLS_MAH = (150, 300)
# A day of use: a session both sides, 2-3 spots each, plus set-up time.
DAY_STREAM_H = 20 / 60
DAY_ADVERTISE_H = 10 / 60

BUILDS = {"fsr": (), "fsr+imu": ("imu",), "hx711+imu": ("hx711", "imu")}


def sensors_ma(build, r_m=None, force_n=MEAN_SESSION_FORCE_N):
    """Current of the force sensor and the IMU while awake."""
    parts = BUILDS[build]
    ma = HX711_MA if "hx711" in parts else sizing.fsr_current_ma(r_m or sizing.choose(), force_n)
    return ma + (MPU6050_MA if "imu" in parts else 0.0)


def budget(build="fsr", r_m=None):
    """Average current (mA) per mode, itemised: {mode: {item: mA}}."""
    notify = NOTIFY_RADIO_MA * NOTIFY_RADIO_MS / 1000 * NOTIFY_PER_S
    idle_sensors = sensors_ma(build, r_m, force_n=0.5)  # unloaded ball: FSR ~100 kohm+
    asleep = (HX711_DOWN_MA if "hx711" in BUILDS[build] else 0) + \
             (MPU6050_SLEEP_MA if "imu" in BUILDS[build] else 0)
    return {
        "streaming": {"XIAO, BLE, modem-sleep": XIAO_BLE_MODEM_SLEEP_MA, "notifications": notify,
                      "sensors": sensors_ma(build, r_m), "LED": LED_MA * LED_DUTY,
                      "motor": MOTOR_MA * MOTOR_DUTY, "battery sense": BATTERY_DIVIDER_MA},
        "advertising": {"XIAO, BLE, modem-sleep": XIAO_BLE_MODEM_SLEEP_MA, "sensors": idle_sensors,
                        "battery sense": BATTERY_DIVIDER_MA},
        "off (deep sleep)": {"XIAO deep-sleep": XIAO_DEEP_SLEEP_MA, "sensors powered down": asleep,
                             "battery sense": BATTERY_DIVIDER_MA},
    }


def total(items):
    return sum(items.values())


def hours(capacity_mah, ma):
    return capacity_mah * USABLE / ma


def day_mah(build="fsr", r_m=None):
    """Charge used by one day: one session, some advertising, the rest off."""
    b = budget(build, r_m)
    off_h = 24 - DAY_STREAM_H - DAY_ADVERTISE_H
    return (total(b["streaming"]) * DAY_STREAM_H + total(b["advertising"]) * DAY_ADVERTISE_H
            + total(b["off (deep sleep)"]) * off_h)


def report():
    lines = []
    b = budget("fsr")
    lines += [f"Itemised budget, FSR build (R_m = {sizing.choose():g} ohm, mean session force "
              f"{MEAN_SESSION_FORCE_N:g} N):", "", "| mode | item | mA |", "|---|---|---:|"]
    for mode, items in b.items():
        for k, v in items.items():
            lines.append(f"| {mode} | {k} | {v:.3f} |")
        lines.append(f"| **{mode}** | **total** | **{total(items):.3f}** |")
    lines += ["", f"Battery life ({USABLE:.0%} of rated capacity usable):", "",
              "| build | cell mAh | streaming h | advertising h | off (deep sleep) days | days of daily use |",
              "|---|---:|---:|---:|---:|---:|"]
    for build in BUILDS:
        b = budget(build)
        for cap in CELLS_MAH:
            lines.append(f"| {build} | {cap} | {hours(cap, total(b['streaming'])):.1f} | "
                         f"{hours(cap, total(b['advertising'])):.1f} | "
                         f"{hours(cap, total(b['off (deep sleep)'])) / 24:.0f} | "
                         f"{cap * USABLE / day_mah(build):.1f} |")
    lines += ["", f"A day of use = {DAY_STREAM_H * 60:.0f} min streaming + {DAY_ADVERTISE_H * 60:.0f} min "
              f"advertising + the rest in deep sleep."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
