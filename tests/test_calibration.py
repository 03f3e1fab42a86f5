"""Calibration: power-law and linear fits, the calibrate command against the
emulated ball, per-ball storage, zero drift."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ballsense import calibration as C
from ballsense.analysis import run
from ballsense.errors import UserError


def test_fsr_power_law_recovered_from_points():
    true = C.Calibration("fsr", {"a": 60.0, "b": 1.2})
    f = np.array([0, 20, 50, 100, 200, 300.0])
    counts = np.round(true.counts(f))
    fit = C.fit("fsr", counts, f)
    assert fit.params["a"] == pytest.approx(60, rel=0.02) and fit.params["b"] == pytest.approx(1.2, rel=0.02)
    assert np.max(np.abs(fit.newtons(counts[1:]) - f[1:])) < 0.5


def test_hx711_line_recovered():
    f = np.array([0, 49, 98, 196.0])
    fit = C.fit("hx711", 512 + 44 * f, f)
    assert fit.params["zero"] == pytest.approx(512, abs=0.01) and fit.params["per_n"] == pytest.approx(44, rel=1e-6)


@pytest.mark.parametrize("counts", [[100, 5000, 3000, 9000], [100, 100, 100, 100]])
def test_fit_refuses_readings_that_do_not_rise(counts):
    with pytest.raises(UserError, match="do not rise"):
        C.fit("fsr", counts, [0, 49, 98, 196])


def test_counts_inverts_newtons():
    cal = C.nominal("fsr")
    f = np.array([5, 50, 150, 280.0])
    assert np.allclose(cal.newtons(cal.counts(f)), f, rtol=1e-9)


@pytest.mark.parametrize("sensor", ["fsr", "hx711"])
def test_calibrate_command_on_the_emulated_ball(tmp_path, sensor):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "ballsense.cli", "calibrate",
                        f"sim://calibration?speed=4&sensor={sensor}", "--auto", "--name", "test-ball"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    stored = json.loads((tmp_path / "ballsense" / "calibration" / "test-ball.json").read_text())
    nominal = C.nominal(sensor)
    assert stored["sensor"] == sensor
    if sensor == "fsr":
        assert stored["a"] == pytest.approx(nominal.params["a"], rel=0.02) and stored["b"] == pytest.approx(1.0, abs=0.02)
    else:
        assert stored["per_n"] == pytest.approx(nominal.params["per_n"], rel=0.02)
        assert stored["zero"] == pytest.approx(nominal.params["zero"], abs=25)
    assert "largest error" in r.stderr


def test_stored_calibration_is_used_for_that_ball(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    C.save("kugel", C.Calibration("fsr", {"a": 50.0, "b": 1.1}))
    cal = C.from_status({"sensor": 1, "board": 1}, "kugel")
    assert cal.params == {"a": 50.0, "b": 1.1}
    assert C.from_status({"sensor": 1, "board": 1}, "other").source == "nominal"
    old = {"sensor": "fsr", "a": 40.0, "b": 1.0, "zero": 0.0, "per_n": 1.0, "source": "fit"}  # every model's numbers
    C._path("kugel").write_text(json.dumps(old))
    assert C.load("kugel") == C.Calibration("fsr", {"a": 40.0, "b": 1.0}, "fit")  # older files still read
    C._path("kugel").write_text("{not json")
    with pytest.raises(UserError, match="corrupt"):
        C.load("kugel")


def test_zero_drift_followed_while_unloaded():
    rate = 100
    t = np.arange(0, 120, 1 / rate)
    true = np.where((t > 30) & (t < 90), 100.0, 0.0)
    offset = np.minimum(2.0 + 0.03 * t, 2.9)  # drifts from 2 to 2.9 N while unloaded, then stays
    _, comp, _ = run(t, true + offset, None, rate, None, creep=False)
    hold = (t > 60) & (t < 89)
    assert abs(np.mean(comp[hold]) - 100) < 0.5  # the drift was taken out
    assert abs(np.mean(comp[(t > 110)])) < 0.5


@pytest.mark.parametrize("kind", ["fsr", "hx711"])
def test_each_sensor_is_one_module_on_each_side(kind):
    """The wire names the kinds; each has a host model and a firmware driver
    with the same members, and the host's nominal curve is the ball's own."""
    import importlib
    from ballsense import sensors
    from ballsense_fw import boards
    from ballsense_fw.config import DEFAULTS
    from ballsense_fw import protocol as P
    assert set(sensors.KINDS) == set(P.SENSORS.values())
    m = sensors.model(kind)
    fw = importlib.import_module(f"ballsense_fw.sensors.{kind}")
    assert callable(fw.make) and callable(fw.counts_at) and isinstance(m.CREEP, bool) and m.LABEL
    cal = C.nominal(kind, "sim")
    assert set(cal.params) == set(m.PARAMS) and m.valid(cal.params)
    board, cfg = boards.load("sim"), dict(DEFAULTS, sensor=kind)
    for f in (10.0, 60.0, 150.0):  # the ball's nominal counts read back as the same force
        assert cal.newtons(fw.counts_at(board, cfg, f)) == pytest.approx(f, rel=0.01, abs=0.1)
    with pytest.raises(UserError, match="unknown sensor"):
        sensors.model("strain-gauge")
