"""The host's view of the wire: vectors under CPython, the resynchronising
deframer, the sample assembler."""
import json
import random

import pytest

from ballsense import protocol as P
from conftest import VECTORS

V = json.loads(VECTORS.read_text())


@pytest.mark.parametrize("v", V["frames"], ids=lambda v: v["name"])
def test_vector_decodes(v):
    d = P.decode(bytes.fromhex(v["hex"]))
    if "gyro" in d:
        d["gyro"] = [list(g) for g in d["gyro"]]
    assert d == v["decoded"]


@pytest.mark.parametrize("v", V["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_rejected(v):
    with pytest.raises(P.FrameError):
        P.decode(bytes.fromhex(v["hex"]))


def test_bytes_per_sample_on_ble():
    n = P.max_samples(P.ATT_DEFAULT_PAYLOAD)
    per = P.data_size(n) / n
    assert per <= 3.0, per
    assert 100 / n <= 20  # notifications per second at 100 Hz


def _stream(n_frames, seq0=0):
    frames, expect = [], []
    rng = random.Random(4)
    v = 30000
    for k in range(n_frames):
        vals = []
        for _ in range(7):
            v = max(0, min(65535, v + rng.randint(-300, 300)))
            vals.append(v)
        frames.append(P.encode_data((seq0 + 7 * k) & 0xFFFF, (70 * k) & 0xFFFF, vals))
        expect.extend(vals)
    return frames, expect


def test_garbage_is_skipped_counted_and_resynced_within_one_frame():
    frames, expect = _stream(40)
    rng = random.Random(7)
    wire = bytearray()
    corrupt, after_garbage = set(), set()
    for i, f in enumerate(frames):
        if i % 5 == 2:  # garbage between frames, sometimes containing 0x00
            wire += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
            after_garbage.add(i)
        if i % 7 == 3:  # a frame corrupted in flight: must be dropped whole
            bad = bytearray(P.cobs_encode(f))
            bad[5] ^= 0x40
            wire += bad
            corrupt.add(i)
            continue
        wire += P.cobs_encode(f)
    d = P.Deframer()
    got = []
    for i in range(0, len(wire), 13):  # arbitrary read sizes
        got += d.feed(bytes(wire[i:i + 13]))
    # nothing corrupt gets through, and at most the one frame that garbage ran
    # into is lost: the stream is in step again within one frame
    must = [f for i, f in enumerate(frames) if i not in corrupt and i not in after_garbage]
    may = [f for i, f in enumerate(frames) if i not in corrupt]
    assert all(f in may for f in got) and all(f in got for f in must)
    assert [f for f in got] == [f for f in may if f in got]  # in order
    assert d.stats.garbage_bytes > 0 and d.stats.bad_frames >= len(corrupt)


def test_assembler_unwraps_and_times_across_seq_wrap():
    a = P.Assembler()
    a.feed({"type": "status", "rate_hz": 100})
    frames, expect = _stream(20, seq0=65520)
    out = []
    for f in frames:
        out += a.feed(P.decode(f))
    assert [s.counts for s in out] == expect
    assert [s.seq for s in out] == list(range(65520, 65520 + 140))
    assert out[-1].t_s == pytest.approx(139 * 0.01)
    assert a.missing == [] and a.duplicates == 0


def test_assembler_gap_backfill_and_duplicates():
    a = P.Assembler()
    a.feed({"type": "status", "rate_hz": 100})
    frames, expect = _stream(6)
    for i in (0, 1, 4, 5):
        a.feed(P.decode(frames[i]))
    assert a.missing == [[14, 28]]
    late = a.feed(P.decode(frames[2])) + a.feed(P.decode(frames[3]))
    assert [s.seq for s in late] == list(range(14, 28)) and all(s.late for s in late)
    assert a.missing == []
    assert a.feed(P.decode(frames[3])) == [] and a.duplicates == 7
