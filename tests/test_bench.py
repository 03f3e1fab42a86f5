"""The bench measures what it says it measures (figures themselves are printed
by `ballsense bench`, never asserted: speed is not a pass/fail test here)."""
import numpy as np

from ballsense import bench
from ballsense.protocol import data_size, max_samples


def test_alert_latency_is_measured_from_the_first_sample_above_the_limit():
    lat, fw = bench.e2e("sim://spikes", 1, 16)
    assert len(lat) >= 1 and all(x > 0 for x in lat)  # after the sample, never before it
    assert fw[0]["samples"] >= 1500 and fw[0]["lost"] == 0
    n = max_samples(20)
    # full frames, except that above the threshold every sample goes at once
    assert data_size(n) / n <= fw[0]["bytes_per_sample"] < data_size(1)


def test_first_above():
    t = np.arange(10) * 0.01
    f = np.array([1, 1, 5, 1, 1, 6, 7, 8, 9, 9.0])
    assert bench._first_above(list(t), list(f), 0.08, 4) == t[5]


def test_precompiled_firmware_streams_in_its_heap_budget():
    """What `bench` reports as firmware_min_free_heap, as a check: a change that
    grows the firmware past bench.HEAP_KB stops the emulated ball (MemoryError),
    and one that eats most of the margin fails here before it fails at random."""
    import asyncio
    st = asyncio.run(bench._heap(5))
    assert st["samples"] >= 450 and st["lost"] == 0, st
    assert 4096 <= st["min_free_heap"] < bench.HEAP_KB * 1024, st


def test_a_short_soak_streams_what_it_says(capsys):
    """`ballsense soak` says how much it really streamed, and fails (exit 1)
    when that falls short or a sample is missing: a device minute with
    link drops every 2 s."""
    import json
    from ballsense import cli
    assert cli.main(["soak", "--minutes", "1", "--drop-every", "2"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["device_minutes_streamed"] >= 0.99 and not r["ended_early"] and r["missing"] == 0, r
    assert r["samples_received"] >= 5990 and r["reconnects"] >= 1, r
