"""hardware/: divider sizing, power budget, wiring diagram and BOM agree with
the firmware's board files and with their own arithmetic."""
import csv
import importlib
import math
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HW = ROOT / "hardware"
sys.path.insert(0, str(HW))
sizing = importlib.import_module("sizing")
power = importlib.import_module("power")

from ballsense_fw.boards import pico_w, sim, xiao_esp32c3  # noqa: E402

BOARDS = {"xiao_esp32c3": xiao_esp32c3, "pico_w": pico_w}


# --- sizing -----------------------------------------------------------------

def test_chosen_resistor_beats_its_e24_neighbours():
    r = sizing.choose()
    vals = sizing.e24()
    i = vals.index(r)
    for other in (vals[i - 1], vals[i + 1]):
        assert sizing.worst_newtons_per_count(r) < sizing.worst_newtons_per_count(other)


def test_chosen_resistor_is_the_best_of_all_e24_values():
    r = sizing.choose()
    best = sizing.worst_newtons_per_count(r)
    assert all(sizing.worst_newtons_per_count(v) >= best for v in sizing.e24())


def test_resolution_finite_and_within_bound_over_the_range():
    r = sizing.choose()
    for f in sizing.forces():
        npc = sizing.newtons_per_count(r, f)
        assert math.isfinite(npc) and 0 < npc <= sizing.MAX_N_PER_COUNT
    # coarsest at the top of the range for a power-law FSR in this divider
    assert sizing.newtons_per_count(r, 300) > sizing.newtons_per_count(r, 20)


def test_output_stays_in_the_usable_adc_window():
    r = sizing.choose()
    lo, hi = sizing.WINDOW_V
    v = [sizing.divider_volts(r, f) for f in sizing.forces()]
    assert lo <= min(v) and max(v) <= hi
    assert v == sorted(v)  # rises with force, as the host's calibration assumes


def test_values_that_leave_the_window_are_rejected():
    # 1300 ohm (the old value) puts 300 N at ~2.63 V, above the 2.5 V window
    assert sizing.divider_volts(1300, 300) > sizing.WINDOW_V[1]
    assert sizing.worst_newtons_per_count(1300) == math.inf
    assert sizing.worst_newtons_per_count(10) == math.inf  # 20 N below 0.1 V


def test_newtons_per_count_matches_a_finite_difference():
    r, f, h = 330.0, 100.0, 1e-3
    dv = sizing.divider_volts(r, f + h) - sizing.divider_volts(r, f - h)
    assert sizing.newtons_per_count(r, f) == pytest.approx(sizing.ADC_LSB_V * 2 * h / dv, rel=1e-6)


def test_e24_series_shape():
    vals = sizing.e24(100, 999)
    assert len(vals) == 24 and vals[0] == 100 and vals[-1] == 910 and 330 in vals


@pytest.mark.parametrize("board", [xiao_esp32c3, pico_w, sim])
def test_board_files_use_the_sized_resistor(board):
    assert board.FSR_DIVIDER_OHMS == sizing.choose()


# --- power ------------------------------------------------------------------

def test_bigger_cell_lasts_proportionally_longer():
    for build in power.BUILDS:
        b = power.budget(build)
        for mode in b:
            ma = power.total(b[mode])
            assert power.hours(300, ma) == pytest.approx(2 * power.hours(150, ma))


def test_mode_ordering_and_totals():
    b = power.budget("fsr")
    stream, adv, off = (power.total(b[m]) for m in ("streaming", "advertising", "off (deep sleep)"))
    assert stream > adv > 100 * off > 0
    assert stream == pytest.approx(sum(b["streaming"].values()))
    # 150 mAh streaming: a few hours, not minutes and not days
    assert 2 < power.hours(150, stream) < 8


def test_extra_sensors_cost_current():
    s = {k: power.total(power.budget(k)["streaming"]) for k in power.BUILDS}
    assert s["fsr+imu"] - s["fsr"] == pytest.approx(power.MPU6050_MA)


def test_fsr_divider_current_uses_the_chosen_resistor():
    r = sizing.choose()
    ma = power.sensors_ma("fsr", r, 100)
    assert ma == pytest.approx(1000 * 3.3 / (r + 1000))  # R_fsr(100 N) = 1 kohm


def test_a_day_of_use_adds_up():
    b = power.budget("fsr")
    day = power.day_mah("fsr")
    lo = power.total(b["off (deep sleep)"]) * 24
    hi = power.total(b["streaming"]) * 24
    assert lo < day < hi
    assert 300 * power.USABLE / day == pytest.approx(2 * 150 * power.USABLE / day)


# --- wiring diagram ---------------------------------------------------------

@pytest.fixture(scope="module")
def svgs(tmp_path_factory):
    import schemdraw
    draw = importlib.import_module("draw_wiring")
    schemdraw.use("svg")
    return {n: draw.draw(n).get_imagedata("svg").decode() for n in BOARDS}


@pytest.mark.parametrize("name", list(BOARDS))
def test_diagram_shows_the_board_files_gpios(svgs, name):
    svg = svgs[name]
    for signal, gpio in BOARDS[name].PINS.items():
        assert re.search(rf"GPIO{gpio}\b", svg), (signal, gpio)
    assert f"{BOARDS[name].FSR_DIVIDER_OHMS:g}" in svg


def test_diagram_has_no_gpio_the_board_does_not_use(svgs):
    used = {f"GPIO{g}" for g in xiao_esp32c3.PINS.values()}
    assert set(re.findall(r"GPIO\d+", svgs["xiao_esp32c3"])) == used


def test_committed_svg_is_current(svgs):
    # the file next to the script must be what the script draws today
    on_disk = (HW / "wiring_xiao_esp32c3.svg").read_text()
    for gpio in xiao_esp32c3.PINS.values():
        assert re.search(rf"GPIO{gpio}\b", on_disk)
    assert set(re.findall(r"GPIO\d+", on_disk)) == set(re.findall(r"GPIO\d+", svgs["xiao_esp32c3"]))


# --- bill of materials ------------------------------------------------------

def test_bom_columns_and_values():
    rows = list(csv.DictReader((HW / "bom.csv").open()))
    assert list(rows[0]) == ["reference", "quantity", "part", "manufacturer_part_number", "description",
                             "approx_unit_cost_usd", "notes"]
    for r in rows:
        assert int(r["quantity"]) >= 1 and float(r["approx_unit_cost_usd"]) >= 0, r
    text = (HW / "bom.csv").read_text()
    assert f"Resistor {sizing.choose():g} ohm" in text  # the sized divider resistor
    assert "220k" in text and "MPU-6050" in text and "XIAO ESP32-C3" in text
