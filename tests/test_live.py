"""The live session: headless demo, the full-screen view driven in tmux, sound
cues rendered to WAV, reports and recordings."""
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from ballsense.recording import Recording
from ballsense.traces import from_rec
from conftest import run_cli



@pytest.fixture(scope="module")
def demo_rec(tmp_path_factory):
    """90 s of the demo session, played 6x faster, recorded."""
    rec = tmp_path_factory.mktemp("demo") / "s.rec"
    r = run_cli(["demo", "--headless", "--seconds", "90", "--speed", "6", "--record", rec])
    assert r.returncode == 0, r.stderr
    return rec, r.stdout


def test_demo_headless_prints_holds_and_an_alert(demo_rec):
    rec, out = demo_rec
    lines = out.splitlines()
    assert any(l.split()[1:3] == ["state", "hold"] for l in lines if len(l.split()) > 2)
    assert any(" alert pressure_high " in l for l in lines)
    assert sum(" breath " in l for l in lines) >= 4
    times = [float(l.split()[0]) for l in lines]
    assert max(times) <= 90.5


def test_recording_round_trip(demo_rec, tmp_path):
    rec, _ = demo_rec
    r = Recording(str(rec))
    assert r.problems() == "" and r.meta["tool"] == "ballsense live"
    tr = from_rec(str(rec))
    # 90 s at 100 Hz (at 6x a loaded machine can make the emulated ball miss a few deadlines)
    assert 8800 <= len(tr.t) <= 9100 and np.all(np.diff(tr.t) > 0)
    assert tr.gyro is not None and 60 < np.percentile(tr.force, 90) < 250
    csv = tmp_path / "x.csv"
    assert run_cli(["record", rec, "-o", csv]).returncode == 0
    rows = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert len(rows) == len(tr.t) and np.allclose(rows[:, 2], tr.force, atol=0.006)


def _png_size(path):
    d = path.read_bytes()
    assert d[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", d[16:24])


def test_report_png_draws_the_trace(demo_rec, tmp_path):
    rec, _ = demo_rec
    out = tmp_path / "r.png"
    r = run_cli(["report", rec, "-o", out])
    assert r.returncode == 0, r.stderr
    w, h = _png_size(out)
    assert w >= 800 and h >= 400
    import matplotlib.image as mpimg
    img = mpimg.imread(out)[..., :3]
    trace = np.all(np.abs(img - np.array([0x1f, 0x4e, 0x79]) / 255) < 0.08, axis=2)  # the force line colour
    cols = np.flatnonzero(trace.any(axis=0))
    assert cols.size and (cols.max() - cols.min()) > 0.7 * w  # drawn across the plot


def test_report_html(demo_rec, tmp_path):
    rec, _ = demo_rec
    out = tmp_path / "r.html"
    assert run_cli(["report", rec, "-o", out]).returncode == 0
    page = out.read_text()
    assert "data:image/png;base64," in page and "<table>" in page and "pressed past the gentle range" in page


def test_live_view_in_a_terminal():
    tmux = shutil.which("tmux")
    assert tmux, "tmux is needed for this test (apt-get install tmux)"
    name = f"bs{int(time.time() * 1000) % 100000}"
    cmd = f"{sys.executable} -m ballsense.cli demo --quiet --no-record"
    subprocess.run([tmux, "new-session", "-d", "-s", name, "-x", "110", "-y", "32", cmd], check=True)
    try:
        screen, t0 = "", time.monotonic()
        while time.monotonic() - t0 < 12:
            screen = subprocess.run([tmux, "capture-pane", "-t", name, "-p"], capture_output=True, text=True).stdout
            if re.search(r"newtons\s+\(\s*\d+\.\d kg on the ball\)", screen):
                break
            time.sleep(0.3)
        assert "newtons" in screen and "█" in screen, screen
        assert re.search(r"NO LOAD|SETTLING|HOLDING STILL", screen), screen
        assert "link sim-usb" in screen and "battery 87%" in screen
        # the ball hangs (its process stopped, the serial line open): the screen says so, then carries on
        pane = subprocess.run([tmux, "display", "-p", "-t", name, "#{pane_pid}"], capture_output=True, text=True)
        ball = _child(int(pane.stdout), "micropython")
        os.kill(ball, signal.SIGSTOP)
        try:
            assert _shows(tmux, name, "N O   S I G N A L", 8), "no NO SIGNAL screen"
        finally:
            os.kill(ball, signal.SIGCONT)
        assert _shows(tmux, name, "newtons", 8), "the view did not come back"
        subprocess.run([tmux, "send-keys", "-t", name, "C-c"], check=True)
        time.sleep(1.5)
        alive = subprocess.run([tmux, "has-session", "-t", name], capture_output=True).returncode == 0
        assert not alive  # Ctrl-C ends the session cleanly
    finally:
        subprocess.run([tmux, "kill-session", "-t", name], capture_output=True)




def _child(pid, name):
    """A descendant process of pid by its command name."""
    todo = [pid]
    while todo:
        p = todo.pop()
        for t in os.listdir(f"/proc/{p}/task"):
            kids = [int(k) for k in open(f"/proc/{p}/task/{t}/children").read().split()]
            for k in kids:
                if open(f"/proc/{k}/comm").read().strip() == name:
                    return k
            todo += kids
    raise AssertionError(f"no {name} under {pid}")


def _shows(tmux, name, text, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if text in subprocess.run([tmux, "capture-pane", "-t", name, "-p"], capture_output=True, text=True).stdout:
            return True
        time.sleep(0.2)
    return False
