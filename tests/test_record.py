"""`ballsense record` against the emulated ball: firmware under the real
micropython, read through a pseudo-terminal with pyserial."""
import asyncio
import subprocess
import sys

import numpy as np


from ballsense.sources import open_source
from ballsense.stream import Stream, collect
from ballsense.recording import Recording, RecWriter

BALLSENSE = [sys.executable, "-m", "ballsense.cli"]


def test_record_csv_ten_seconds(tmp_path):
    out = tmp_path / "x.csv"
    r = subprocess.run(BALLSENSE + ["record", "sim://", "--seconds", "10", "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = np.loadtxt(out, delimiter=",", skiprows=1)
    assert out.read_text().splitlines()[0].startswith("seq,t_s,force_n")
    assert 950 <= len(rows) <= 1050
    assert np.all(np.diff(rows[:, 0]) == 1)  # no sequence gaps
    assert np.allclose(np.diff(rows[:, 1]), 0.01, atol=0.0011)
    assert rows[:, 2].max() > 30  # the scenario's ball was loaded within 10 s


def test_the_firmware_really_runs_under_micropython(micropython):
    async def go():
        src = open_source("sim://hold?seed=2")
        async with src:
            got = await collect(Stream(src), seconds=1.0, wall_limit=20)
            # PyPI's micropython command is the MicroPython VM in a CPython
            # extension module: look for that VM in the ball's process
            maps = open(f"/proc/{src.proc.pid}/maps").read()
            cmdline = open(f"/proc/{src.proc.pid}/cmdline", "rb").read()
        return src, maps, cmdline, got

    src, maps, cmdline, got = asyncio.run(go())
    assert src.interpreter == "micropython"
    assert b"micropython" in cmdline and "micropython_run" in maps
    assert sum(len(b.seq) for b in got) >= 95


def test_rec_survives_being_cut_mid_write(tmp_path):
    p = tmp_path / "s.rec"

    async def go():
        w = RecWriter(str(p), {"source": "sim://"})
        async with open_source("sim://hold?seed=1") as src:
            await collect(Stream(src, w), seconds=2, wall_limit=20)
        w.close()

    asyncio.run(go())
    whole = Recording(str(p))
    assert whole.problems() == "" and len(whole.frames()) > 25
    data = p.read_bytes()
    p.write_bytes(data[:-5])  # killed mid-record
    cut = Recording(str(p))
    assert len(cut.frames()) == len(whole.frames()) - 1
    assert "cut off" in cut.problems()
    assert oct(p.stat().st_mode & 0o777) == "0o600"


def test_bad_sources_say_what_to_do(tmp_path):
    for url, words in [("nope://x", "unknown source"), ("/dev/ttyNOPE0", "cannot open"),
                       (str(tmp_path / "missing.rec"), "no such recording")]:
        r = subprocess.run(BALLSENSE + ["record", url, "--seconds", "1", "-o", str(tmp_path / "o.csv")],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, (url, r.stderr)


def test_disk_full_while_recording_warns_and_goes_on(tmp_path, caplog):
    p = tmp_path / "s.rec"

    async def go():
        w = RecWriter(str(p), {"source": "sim://"})
        async with open_source("sim://hold?seed=3") as src:
            st = Stream(src, w)
            got = await collect(st, seconds=1, wall_limit=20)
            w.f = open("/dev/full", "wb")  # the disk fills up mid-session
            got += await collect(st, seconds=3, wall_limit=20)
        return st, got

    st, got = asyncio.run(go())
    assert st.rec.w is None and "recording stopped" in st.rec.error
    assert [r.levelname for r in caplog.records if "recording stopped" in r.getMessage()] == ["WARNING"]
    assert got[-1].t_s[-1] >= 2.9  # the session went on
    assert len(Recording(str(p)).frames()) > 5  # what was written before is readable
