"""`ballsense bench`: the speed figures of docs/performance.md, measured on the
emulated ball (real firmware under micropython, real pty / emulated BLE)."""
import asyncio
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

import numpy as np

from . import scenarios
from .replay import Decider
from .settings import Settings, gentle_max
from .protocol import C_SET_THRESHOLD, C_STATS, encode_command
from .sources import open_source
from .stream import Stream, now_us, ticks_diff

CLI = [sys.executable, "-m", "ballsense.cli"]


async def _alert_latencies(url, seconds):
    """Pressure alerts on the `spikes` scenario: host time the alert is raised
    minus the firmware time of the first sample above the gentle maximum."""
    sc = scenarios.spikes(0)
    out, firmware = [], {}
    async with open_source(url) as src:
        st = Stream(src)
        det, hist_t, hist_f = None, [], []
        async for b in st.batches():
            if det is None:  # as a live session does: the ball gets the limit too
                det = Decider(Settings(gentle_max(sc.gentle_max_n), creep=False))
                on = int(st.calib.counts(sc.gentle_max_n))
                await src.send(encode_command(C_SET_THRESHOLD, 3, on, on))
            hist_t.extend(b.t_s)
            hist_f.extend(b.force_n)
            for e in det.feed(b.t_s, b.force_n, b.gyro, b.rate_hz):
                if e.kind == "alert" and e.alert == "pressure_high":
                    raised = now_us()
                    first = _first_above(hist_t, hist_f, e.t_s, sc.gentle_max_n)
                    at = st.sample_host_us(first)
                    if at is not None:
                        out.append(ticks_diff(raised, at) / 1000)
            if b.t_s[-1] >= seconds:
                break
        await src.send(encode_command(C_STATS, 7))
        async for b in st.batches():  # until the stats frame is in
            if st.stats:
                break
        firmware = dict(st.stats, bytes_per_sample=st.data_bytes / max(st.data_samples, 1))
    return out, firmware


def _first_above(ts, fs, t_alert, limit):
    i = int(np.searchsorted(ts, t_alert))
    i = min(i, len(fs) - 1)
    while i > 0 and fs[i - 1] > limit:
        i -= 1
    return ts[i]


def e2e(url, runs, seconds):
    lat, fw = [], []
    for _ in range(runs):
        a, f = asyncio.run(_alert_latencies(url, seconds))
        lat += a
        fw.append(f)
    return lat, fw


def detector_cpu_percent(runs=3, batch=7):
    """The live detector's own cost, percent of one core: a 100 Hz session
    fed in batches of one BLE notification's samples, as a live session feeds
    it; CPU time, best of `runs` (the live-CPU figures also draw a terminal,
    and scatter by more than this whole figure)."""
    from .detect import Detector
    from .evaluate import sample
    sc = scenarios.session(1)
    t, f, _ = sample(sc)
    best = float("inf")
    for _ in range(runs):
        det = Detector(100, gentle_max=sc.gentle_max_n)
        c0 = time.process_time()
        for i in range(0, len(t), batch):
            det.feed(t[i:i + batch], f[i:i + batch])
        best = min(best, time.process_time() - c0)
    return 100 * best / (len(t) / 100)


def analyze_speed(runs):
    """One hour at 100 Hz through `ballsense analyze`, start-up included."""
    parts, n = [], 0
    seed = 0
    while n < 360000:
        sc = scenarios.session(seed)
        parts.append(sc)
        n += len(sc.force) // 2
        seed += 1
    f = np.concatenate([p.force[::2] for p in parts])[:360000]
    g = np.concatenate([p.gyro[::2] for p in parts])[:360000]
    t = np.arange(len(f)) / 100
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "hour.csv")
        np.savetxt(path, np.column_stack([t, f, g]), fmt="%.2f", delimiter=",",
                   header="t_s,force_n,gx_dps,gy_dps,gz_dps", comments="")
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(CLI + ["analyze", path, "--json"], check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
    return len(f) / statistics.median(walls), statistics.median(walls)


def cli_refuse_s(runs=5):
    """How long `ballsense analyze missing.csv` takes to say no (start-up
    included): a person who mistyped a name should not wait for scipy."""
    walls = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(CLI + ["analyze", os.path.join(d, "missing.csv")], capture_output=True)
            walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def cue_start_ms(runs=10):
    """How long raising a cue takes on the way it plays here (PortAudio, a
    player process, or the bell): the alert must not wait for its sound."""
    from .sinks import sound
    with tempfile.TemporaryDirectory() as d:
        out = sound.backend(sound.render(d, speech=False))
        took = []
        for _ in range(runs):
            t0 = time.perf_counter()
            out.play("ease_off")
            took.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
        if isinstance(out, sound.Process) and out.busy():
            out.proc.terminate()
    return out.name, statistics.median(took)


LIVE = CLI + ["live", "sim://session?seed=1", "--quiet", "--no-record"]


def _cpu_s(pid):
    """CPU seconds of one process, all its threads (utime + stime): not its
    children, so the emulated ball's own process is not counted."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _steady_cpu(p, seconds):
    """Percent of one core over the steady part of a `seconds` run."""
    time.sleep(5)
    c0, t0 = _cpu_s(p.pid), time.monotonic()
    time.sleep(seconds - 8)
    return 100 * (_cpu_s(p.pid) - c0) / (time.monotonic() - t0)


def live_cpu(seconds):
    """CPU of `ballsense live` (full-screen view on a 110x32 terminal, 100 Hz,
    the emulated ball's own process not counted), percent of one core, over
    the steady part of the run."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 110, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    p = subprocess.Popen(LIVE + ["--seconds", str(seconds)], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    cpu = _steady_cpu(p, seconds)
    p.wait(30)
    return cpu


def live_cpu_headless(seconds):
    """The same with one line per event instead of the full-screen view: the
    terminal output `--web` keeps, so the web view's own cost is the difference."""
    p = subprocess.Popen(LIVE + ["--headless", "--seconds", str(seconds)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    threading.Thread(target=_drain, args=(p.stdout.fileno(),), daemon=True).start()
    cpu = _steady_cpu(p, seconds)
    p.wait(30)
    return cpu


# The real browser the phone view is measured and tested in: Debian's chromium
# driven by Playwright (its own browser download is not used).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}  # a phone in portrait, CSS pixels


def phone_page(browser, viewport=PHONE):
    return browser.new_page(viewport=viewport, is_mobile=True, has_touch=True, device_scale_factor=2)


def web_figures(seconds):
    """`ballsense live --web --headless` with one phone-sized Chromium page
    open: the CPU of the ballsense process, and for every frame the browser
    painted, host event (the pipeline's on_batch) to the browser painting it.
    Both times are taken on the host's clock: the page aligns its own with
    Cristian's algorithm (best of 20 round trips to the server's /clock, so
    the error is at most half the best trip, reported too)."""
    from playwright.sync_api import sync_playwright
    p = subprocess.Popen(LIVE + ["--web", "127.0.0.1:0", "--headless", "--seconds", str(seconds)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = next(line.strip() for line in p.stdout if line.startswith("http://"))
        threading.Thread(target=_drain, args=(p.stdout.fileno(),), daemon=True).start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = phone_page(browser)
            page.goto(url)
            cpu = _steady_cpu(p, seconds)
            s0, log, s1 = page.evaluate("ballsense.sync(20)"), page.evaluate("ballsense.log"), \
                page.evaluate("ballsense.sync(20)")
            browser.close()
    finally:
        p.wait(30)
    offset = (s0["offset"] + s1["offset"]) / 2
    lat = [paint + offset - host for seq, host, dom, paint, alert in log if paint is not None]
    seqs = [e[0] for e in log]
    span_s = (log[-1][2] - log[0][2]) / 1000 if len(log) > 1 else 0
    return {"web_update_latency_p95_ms": p95(lat),
            "web_update_latency_median_ms": round(statistics.median(lat), 1) if lat else None,
            "web_updates_per_s": round(len(log) / span_s, 1) if span_s else None,
            "web_frames_skipped": sum(b - a - 1 for a, b in zip(seqs, seqs[1:])),
            "web_clock_sync_error_ms": round(max(s0["rtt"], s1["rtt"]) / 2, 2),
            "live_cpu_percent_web": round(cpu, 2)}


def _drain(fd):
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


# The firmware's RAM budget on the 64-bit Unix port, where every pointer is
# twice its size on the ball, with the simulated board (6.8 KB) loaded too.
# 64 KB left under 2 KB free, and a fragmented heap then failed now and then.
HEAP_KB = 72


async def _heap(seconds):
    src = open_source("sim://session?seed=2", heapsize=f"{HEAP_KB}k")
    try:
        async with src:
            st = Stream(src)
            async for b in st.batches():
                if b.t_s[-1] >= seconds:
                    break
            await src.send(encode_command(C_STATS, 8))
            async for b in st.batches():
                if st.stats:
                    break
            return dict(st.stats, bytes_per_sample=st.data_bytes / max(st.data_samples, 1))
    except OSError as e:  # the ball's end of the pty went away: say why it stopped
        raise RuntimeError(f"the emulated ball stopped ({e}); its stderr: {getattr(src, 'stderr', '')[-800:]}") from e


def p95(x):
    return round(float(np.percentile(x, 95)), 1) if len(x) else None


def run(quick=False, ble=True):
    runs, secs = (1, 12) if quick else (3, 30)
    out = {}
    lat, fw = e2e("sim://spikes", runs, secs)
    out["e2e_alert_latency_p95_ms_serial"] = p95(lat)
    out["e2e_alert_latency_median_ms_serial"] = round(statistics.median(lat), 1) if lat else None
    out["alerts_measured_serial"] = len(lat)
    out["firmware_sample_jitter_p99_ms"] = statistics.median(f["jitter_p99_us"] for f in fw) / 1000
    if ble:
        try:
            lat_b, _ = e2e("sim+ble://spikes", runs, secs)
            out["e2e_alert_latency_p95_ms_ble"] = p95(lat_b)
            out["alerts_measured_ble"] = len(lat_b)
        except ImportError as e:
            out["e2e_alert_latency_p95_ms_ble"] = None
            out["ble_unavailable"] = str(e)
    sps, wall = analyze_speed(1 if quick else 3)
    out["analyze_samples_per_s"] = round(sps)
    out["analyze_one_hour_s"] = round(wall, 2)
    out["cli_refuse_missing_file_s"] = round(cli_refuse_s(), 3)
    out["detector_cpu_percent"] = round(detector_cpu_percent(1 if quick else 3), 2)
    out["cue_backend"], cue = cue_start_ms()
    out["cue_start_ms"] = round(cue, 2)
    out["live_cpu_percent"] = round(live_cpu(15 if quick else 30), 2)
    out["live_cpu_percent_headless"] = round(live_cpu_headless(15 if quick else 30), 2)
    try:
        out.update(web_figures(15 if quick else 30))
    except ImportError as e:  # playwright is in the test extra
        out["web_unavailable"] = f"{e}: pip install -e '.[test]'"
    st = asyncio.run(_heap(15 if quick else 60))
    out["firmware_min_free_heap_bytes"] = st.get("min_free_heap")
    out["bytes_per_sample"] = round(st["bytes_per_sample"], 3)  # an ordinary session, 20-byte frames
    out["firmware_heapsize_bytes"] = HEAP_KB * 1024
    return out


def _rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def _soak(minutes, speed, drop_every):
    """Device-time minutes of streaming over emulated BLE, `speed` times
    compressed, with link drops at random intervals around drop_every wall
    seconds. Nothing is kept but counters, so memory growth is the code's."""
    url = f"sim+ble://session?speed={speed}&disconnect_every={drop_every}&drop_jitter=0.6"
    heap, rss = [], []
    async with open_source(url) as src:
        st = Stream(src)
        next_check, last = 60.0, 0.0
        async for b in st.batches():
            last = float(b.t_s[-1])
            if b.t_s[-1] >= next_check:  # once a device minute
                next_check += 60.0
                st.stats = {}
                await src.send(encode_command(C_STATS, 9))
                rss.append(_rss_kb())
            if st.stats and (not heap or heap[-1] != st.stats["min_free_heap"]):
                heap.append(st.stats["min_free_heap"])
            if b.t_s[-1] >= minutes * 60:
                break
        await st.drain(20)
        st.stats = {}
        await src.send(encode_command(C_STATS, 10))
        try:
            await asyncio.wait_for(_until_stats(st), 10)
        except asyncio.TimeoutError:
            pass
        if st.stats:
            heap.append(st.stats["min_free_heap"])
        asm = st.asm
        ended = last < minutes * 60 - 1
        why = {"gave_up": src.gave_up, "link_events": [[round(t, 1), state] for t, state, _ in st.link_events[-8:]],
               "ball_log_tail": src.world.log("ball.log")[-600:],
               "bluez_log_tail": src.world.log("bluez.log")[-600:]} if ended else {}
        # a source that ends early (the emulated ball stopped) must not pass for a whole soak
        return {"device_minutes": minutes, "device_minutes_streamed": round(last / 60, 2),
                "ended_early": ended, "speed": speed, "samples_expected": asm.expected(),
                "samples_received": asm.received, "missing": asm.missing_count(), "duplicates": asm.duplicates,
                "reconnects": src.reconnects, "no_signal_cues": st.silences,
                "firmware_lost": st.stats.get("lost"),
                "firmware_min_free_heap_first_last": [heap[0], heap[-1]] if heap else None,
                "host_rss_kb_first_last": [rss[0], rss[-1]] if rss else None, **why}


async def _until_stats(st):
    async for _ in st.batches():
        if st.stats:
            return


def soak(minutes=60, speed=10, drop_every=20):
    return asyncio.run(_soak(minutes, speed, drop_every))
