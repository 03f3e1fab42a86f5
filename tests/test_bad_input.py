"""Bad input, for every command (issue 8): one line on stderr that names the
problem and what to do, exit code 2, no traceback. The cases run the CLI in
this process (conftest.run_cli); a few run it as its own process, where that
is the point (a traceback with --debug, nothing heavy loaded on the way to an
error). None starts the emulated ball or waits on a timeout.

Not covered, on purpose: ble:// sources, `pair ble://` and `scan` without
--sim need BlueZ (present or not, the outcome depends on the machine, and a
real scan listens for seconds); `scan --sim` starts the emulated ball. `bench`
takes no input of its own but flags (only argparse's own errors apply)."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import run_cli
from ballsense.recording import MAGIC, RecWriter
from ballsense.traces import from_rec
from ballsense_fw import protocol as P

BALLSENSE = [sys.executable, "-m", "ballsense.cli"]
# every message says what to do, not only what was wrong ("download": flash's
# "not an ESP32 firmware image (.bin from micropython.org/download)")
ADVICE = re.compile(r"\b(give|check|use|fix|plug|record|run|create|start|close|delete|choose|must|needs?|download)\b")


def run(args, d, timeout=30):
    """The real CLI in a subprocess, its data and config folders in the test's tmp folder."""
    env = dict(os.environ, XDG_DATA_HOME=str(d / "data"), XDG_CONFIG_HOME=str(d / "config"))
    return subprocess.run(BALLSENSE + args, capture_output=True, text=True, timeout=timeout, env=env, cwd=d)


def run_here(args, d):
    """The same in this process (the subprocess is not the point of most cases)."""
    return run_cli(args, d, {"XDG_DATA_HOME": str(d / "data"), "XDG_CONFIG_HOME": str(d / "config")})


def write_rec(path, calib=None, rate=100, sensor=1, counts=20000, n=300):
    """A .rec written by the project's recorder from frames of the ball's own
    codec: a status frame, then `n` samples of constant `counts`."""
    w = RecWriter(str(path), {"source": "test"})
    if calib:
        w.note(calibration=calib)
    w.frame(P.encode_status(dict(fw_major=1, fw_minor=0, fw_patch=0, board=0, sensor=sensor, flags=0, rate_hz=rate,
                                 battery_pct=90, error=0, token=0, next_seq=0, threshold=0, epoch=0, epoch_seq=0)))
    for s in range(0, n, 10):
        w.frame(P.encode_data(s, s * 1000 // rate, [counts] * 10))
    w.close()


CSV = {
    "empty.csv": "",
    "malformed.csv": "t_s,force_n\n0,1\n0.01,x\n0.02,3\n",
    "nan.csv": "t_s,force_n\n0,1\n0.01,2\n0.02,nan\n",
    "gyro_nan.csv": "t_s,force_n,gyro_dps\n0,1,0\n0.01,2,nan\n0.02,3,1\n",
    "negative.csv": "t_s,force_n\n0,1\n0.01,2\n0.02,3\n0.03,-40\n",
    "backwards.csv": "t_s,force_n\n0,1\n0.02,2\n0.01,3\n",
    "still.csv": "t_s,force_n\n0,1\n0.01,2\n0.01,3\n",
    "millis.csv": "t_s,force_n\n0,1\n10,2\n20,3\n",  # t_s in milliseconds
    "header.csv": "time,force\n0,1\n0.01,2\n",
    "ok.csv": "t_s,force_n\n" + "".join(f"{i / 100},{20 + i % 7}\n" for i in range(300)),
}


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """Every bad file, once."""
    d = tmp_path_factory.mktemp("bad")
    for name, text in CSV.items():
        (d / name).write_text(text)
    noise = np.random.default_rng(8).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    (d / "noise.csv").write_bytes(noise)
    (d / "noise.rec").write_bytes(noise)
    (d / "empty.rec").write_bytes(b"")
    (d / "header.rec").write_bytes(MAGIC + b'{"source": "sim:')  # killed while writing the header
    write_rec(d / "badcal.rec", {"sensor": "fsr", "a": -3.0, "b": 1.0})
    write_rec(d / "negative.rec", {"sensor": "hx711", "zero": 30000, "per_n": 10.0}, sensor=2)  # -1000 N
    write_rec(d / "slow.rec", rate=5)  # below the ball's slowest rate (10 Hz)
    return d


# files given as arguments: (file, what the message must say)
CSV_CASES = [
    ("missing.csv", "missing.csv: no such file"),
    ("empty.csv", "empty.csv is empty"),
    ("noise.csv", "noise.csv is not a CSV text file"),
    ("malformed.csv", "malformed.csv line 3: '0.01,x' is not 2 numbers"),
    ("nan.csv", "nan.csv line 4: a value is not a number (NaN"),
    ("gyro_nan.csv", "gyro_nan.csv line 3: a value is not a number (NaN"),
    ("negative.csv", "negative.csv line 5: force -40.0 N, below zero"),
    ("backwards.csv", "backwards.csv line 4: time goes backwards (0.010 s after 0.020 s)"),
    ("still.csv", "still.csv line 4: time stands still"),
    ("millis.csv", "0.1 samples a second"),
    ("header.csv", "lacks t_s and force_n"),
]
REC_FILE_CASES = [  # what stops a recording being read at all
    ("missing.rec", "missing.rec: no such recording"),
    ("empty.rec", "empty.rec is empty"),
    ("noise.rec", "noise.rec is not a ballsense recording"),
    ("header.rec", "header.rec: recording cut off inside its header"),
]
REC_CONTENT_CASES = [  # readable, but what it holds cannot be analysed
    ("badcal.rec", "badcal.rec: the calibration is out of range (sensor 'fsr', a -3.0"),
    ("negative.rec", "negative.rec at 0.00 s: force -1000.0 N, below zero"),
    ("slow.rec", "slow.rec: 5 samples a second: the analysis needs 10"),
]
SOURCE_CASES = [  # source URLs
    ("foo://x", "unknown source 'foo://x'"),
    ("/dev/ttyACM9", "cannot open /dev/ttyACM9: no such port"),
    ("socket://127.0.0.1:1", "cannot open socket://127.0.0.1:1: connection refused"),
    ("socket://localhost:abc", "socket://localhost:abc: give the bridge as socket://HOST:PORT"),
    ("serial://", "serial://: no port named"),
    ("sim://?speed=0", "sim:// option speed 0 is out of range"),
    ("serial:///dev/ttyACM9?baudrate=fast", "baudrate fast is not a whole number"),
    ("{d}/ok.csv", "ok.csv: a CSV holds forces, not the ball's frames"),
]
SOURCE_COMMANDS = {
    "record": ["-o", "{d}/out.csv"],
    "live": ["--headless", "--no-record"],
    "session": ["--headless", "--no-record"],
    "calibrate": ["--auto"],
}

CASES = (
    [(["analyze", "{d}/" + f], want) for f, want in CSV_CASES + REC_FILE_CASES + REC_CONTENT_CASES]
    + [(["report", "{d}/" + f, "-o", "{d}/r.png"], want) for f, want in CSV_CASES + REC_FILE_CASES + REC_CONTENT_CASES]
    + [(["history", "{d}/" + f], want) for f, want in REC_FILE_CASES + REC_CONTENT_CASES]
    + [(["history", "{d}/noise.rec", "{d}/empty.rec"], "none of the 2 recordings is usable (first: ")]
    + [(["history"], "no recordings to summarise: record a session first")]  # an empty data folder
    + [([cmd, "{d}/" + f] + extra, want) for cmd, extra in SOURCE_COMMANDS.items() for f, want in REC_FILE_CASES]
    + [([cmd, url] + extra, want) for cmd, extra in SOURCE_COMMANDS.items() for url, want in SOURCE_CASES]
    + [
        # options out of range, checked before anything starts
        (["analyze", "{d}/ok.csv", "--gentle-max", "nan"], "--gentle-max nan is not a number"),
        (["analyze", "{d}/ok.csv", "--gentle-max", "-5"], "--gentle-max -5 is out of range"),
        (["report", "{d}/ok.csv", "-o", "{d}/r.txt"], "-o {d}/r.txt: the file name must end in .png or .html"),
        (["report", "{d}/ok.csv", "-o", "{d}/nodir/r.png"], "the folder {d}/nodir does not exist"),
        (["report", "{d}/ok.csv", "-o", "{d}/r.png", "--gentle-max", "inf"], "--gentle-max inf is not a number"),
        (["history", "-o", "{d}/h.txt"], "-o {d}/h.txt: the file name must end in .png"),
        (["history", "--csv", "{d}/nodir/h.csv"], "the folder {d}/nodir does not exist"),
        (["record", "sim://", "--seconds", "-1", "-o", "{d}/o.csv"], "--seconds -1 is out of range"),
        (["record", "sim://", "--seconds", "1", "-o", "{d}/o.txt"], "the file name must end in .csv or .rec"),
        (["record", "sim://", "--seconds", "1", "-o", "{d}/nodir/o.csv"], "the folder {d}/nodir does not exist"),
        (["live", "sim://", "--headless", "--gentle-max", "nan"], "--gentle-max nan is not a number"),
        (["live", "sim://", "--headless", "--seconds", "0"], "--seconds 0 is out of range"),
        (["live", "sim://", "--headless", "--record", "{d}/s.csv"], "--record {d}/s.csv: the file name must end in"),
        (["live", "sim://", "--headless", "--record", "{d}/nodir/s.rec"], "the folder {d}/nodir does not exist"),
        (["session", "sim://", "--headless", "--gentle-max", "-1"], "--gentle-max -1 is out of range"),
        (["demo", "--headless", "--seconds", "-1"], "--seconds -1 is out of range"),
        (["demo", "--headless", "--speed", "0"], "--speed 0 is out of range"),
        (["demo", "--headless", "--seed", "-1"], "--seed -1 is out of range"),
        (["demo", "--headless", "--gentle-max", "nan"], "--gentle-max nan is not a number"),
        (["demo", "--headless", "--disconnect-every", "-1"], "--disconnect-every -1 is out of range"),
        (["demo", "--headless", "--scenario", "nosuch"], "unknown scenario 'nosuch'"),
        (["calibrate", "sim://", "--auto", "--weights-kg", "0,nan"], "--weights-kg 0,nan: give at least 2"),
        (["calibrate", "sim://", "--auto", "--weights-kg", "5,5"], "--weights-kg 5,5: give at least 2 different"),
        (["calibrate", "sim://", "--auto", "--weights-kg", "0,heavy"], "give numbers separated by commas"),
        (["calibrate", "sim://", "--auto", "--weights-kg", "0,500"], "--weights-kg 0,500: give at least 2"),
        (["pair", "foo://x"], "foo://x: pairing is for Bluetooth"),
        (["pair", "/dev/ttyACM9"], "/dev/ttyACM9: pairing is for Bluetooth"),
        (["pair", "sim+ble://none?paired=0", "--wait", "0"], "--wait 0 is out of range"),
        (["scan", "--seconds", "-1"], "--seconds -1 is out of range"),
        (["scan", "--seconds", "nan"], "--seconds nan is not a number"),
        (["soak", "--minutes", "-1"], "--minutes -1 is out of range"),
        (["soak", "--speed", "0"], "--speed 0 is out of range"),
        (["soak", "--drop-every", "nan"], "--drop-every nan is not a number"),
        (["evaluate", "--seeds", "0"], "--seeds 0 is out of range"),
        (["evaluate", "--first-seed", "-1"], "--first-seed -1 is out of range"),
        (["evaluate", "--rate", "33"], "--rate 33: the scenarios are made at 200 Hz"),
        # flash: the port and the device settings (flash.py's own checks)
        (["flash", "foo://x"], "foo://x: invalid URL, protocol 'foo' not known"),
        (["flash", "/dev/ttyACM9"], "port /dev/ttyACM9 not found"),
        (["flash", "socket://127.0.0.1:1"], "socket://127.0.0.1:1"),
        (["flash", "/dev/ttyACM9", "--config", "{d}/missing.json"], "--config {d}/missing.json: No such file"),
        (["flash", "/dev/ttyACM9", "--config", "{d}/noise.csv"], "is not valid JSON"),
        (["flash", "/dev/ttyACM9", "--config", "{d}/rate.json"], "rate_hz 5000 outside 10..200"),
        (["flash", "/dev/ttyACM9", "--name", "x" * 21], "name longer than 20 bytes"),
        (["flash", "/dev/ttyACM9", "--micropython-image", "{d}/noise.csv"], "is not an ESP32 firmware image"),
    ]
)


def _id(case):
    return " ".join(case[0]).replace("{d}/", "")[:60]


@pytest.mark.parametrize("args,want", CASES, ids=[_id(c) for c in CASES])
def test_bad_input_is_one_line_and_exit_2(d, args, want):
    (d / "rate.json").write_text('{"rate_hz": 5000}')
    r = run_here([a.format(d=d) for a in args], d)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr + r.stdout
    assert len(lines) == 1 and lines[0].startswith("ballsense: error: "), r.stderr
    assert want.format(d=d) in lines[0], lines[0]
    assert ADVICE.search(lines[0]), f"says no remedy: {lines[0]}"


def test_debug_shows_the_traceback(d):
    r = run(["--debug", "analyze", str(d / "nan.csv")], d)
    assert r.returncode == 1
    assert "Traceback" in r.stderr and "UserError: " in r.stderr and "nan.csv line 4" in r.stderr


def test_argparse_errors_still_exit_2(d):
    """bench has no input of its own; argparse answers its flags (usage + one line)."""
    r = run(["bench", "--seconds", "5"], d)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == "ballsense: error: unrecognized arguments: --seconds 5"


def test_small_negative_force_from_a_zero_offset_is_accepted(tmp_path):
    t = np.arange(0, 20, 0.01)
    f = np.where((t > 5) & (t < 15), 80.0, -2.0)  # unloaded: 2 N below zero
    p = tmp_path / "offset.csv"
    np.savetxt(p, np.column_stack([t, f]), delimiter=",", header="t_s,force_n", comments="", fmt="%.3f")
    r = run(["analyze", str(p)], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout)["duration_s"] == 20.0


@pytest.fixture(scope="module")
def full_rec(tmp_path_factory):
    """3 s from the emulated ball, recorded by `ballsense record` (the one
    place here that starts the ball)."""
    d = tmp_path_factory.mktemp("rec")
    r = run(["record", "sim://hold?seed=1", "--seconds", "3", "-o", str(d / "full.rec")], d, timeout=60)
    assert r.returncode == 0, r.stderr
    return d / "full.rec"


def test_rec_cut_off_mid_write_loads_up_to_the_last_frame(full_rec, tmp_path):
    whole = run(["analyze", str(full_rec)], tmp_path)
    assert whole.returncode == 0 and whole.stderr == "", whole.stderr
    n_full = len(from_rec(str(full_rec)).t)
    data = full_rec.read_bytes()
    cut = int(len(data) * 0.6)
    while data[cut - 1] == 0:  # end inside a record, not just after one
        cut -= 1
    p = tmp_path / "cut.rec"
    p.write_bytes(data[:cut])

    r = run(["analyze", str(p)], tmp_path)
    assert r.returncode == 0, r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith(f"ballsense: warning: {p}: cut off mid-write: read up to the last complete record")
    m = re.search(r"; (\d+) bytes at the end ignored\); (\d+) samples \(([\d.]+) s\) loaded$", line)
    assert m, line
    cut_bytes, n, secs = int(m[1]), int(m[2]), float(m[3])
    assert 0 < cut_bytes < 200  # less than one record
    assert 0.4 * n_full < n < 0.8 * n_full and n_full >= 290
    out, full = json.loads(r.stdout), json.loads(whole.stdout)
    assert 0 < out["duration_s"] < full["duration_s"] and abs(out["duration_s"] - n / 100) < 0.02
    assert abs(secs - (n - 1) / 100) < 0.02

    # exporting it replays the same samples, and says so too
    e = run(["record", str(p), "-o", str(tmp_path / "cut.csv")], tmp_path)
    assert e.returncode == 0 and "cut off mid-write" in e.stderr, e.stderr
    rows = np.loadtxt(tmp_path / "cut.csv", delimiter=",", skiprows=1)
    assert len(rows) == n


CHEAP = """
import sys
from ballsense import cli
code = cli.main(sys.argv[1:])
heavy = sorted(m for m in ("scipy.signal", "scipy.optimize", "matplotlib", "aiohttp", "bleak", "dbus_fast")
               if m in sys.modules)
print(code, heavy)
"""


@pytest.mark.parametrize("argv", [["analyze", "missing.csv"], ["report", "missing.rec", "-o", "r.png"],
                                  ["history", "missing.rec"], ["live", "sim://hold?sede=3", "--headless"],
                                  ["record", "ble://?baudrat=9600", "-o", "x.csv"], ["demo", "--seconds", "-1"]])
def test_bad_input_is_refused_before_the_heavy_imports(argv, tmp_path):
    """A command says no before it loads scipy, matplotlib or the BLE stack
    (most of a second): the time itself is `ballsense bench`'s cli_refuse_s."""
    r = subprocess.run([sys.executable, "-c", CHEAP, *argv], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert r.stdout.splitlines()[-1] == "2 []", (r.stdout, r.stderr)
    assert r.stderr.startswith("ballsense: error: ") and len(r.stderr.strip().splitlines()) == 1
