"""The host's view of the wire: vectors under CPython, the resynchronising
deframer, the sample assembler."""
import json
import random

import pytest

from ballsense import protocol as P
from conftest import VECTORS

V = json.loads(VECTORS.read_text())


@pytest.mark.parametrize("v", V["frames"] + V["legacy"], ids=lambda v: v["name"])
def test_vector_decodes(v):
    """Version 2 frames, and version 1 ones (old recordings) read as epoch 0."""
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


def _status(rate=100, epoch=0, epoch_seq=0, boot=True, next_seq=0):
    st = dict(fw_major=0, fw_minor=2, fw_patch=0, board=0, sensor=1, flags=P.F_BOOT_EPOCH if boot else 0,
              rate_hz=rate, battery_pct=90, error=0, token=0, next_seq=next_seq, threshold=0, epoch=epoch,
              epoch_seq=epoch_seq)
    return P.decode(P.encode_status(st))


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
    a.feed(_status())
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
    a.feed(_status())
    frames, expect = _stream(6)
    for i in (0, 1, 4, 5):
        a.feed(P.decode(frames[i]))
    assert [(s, e) for _, s, e, _ in a.missing] == [(14, 28)]
    late = a.feed(P.decode(frames[2])) + a.feed(P.decode(frames[3]))
    assert [s.seq for s in late] == list(range(14, 28)) and all(s.late for s in late)
    assert a.missing == []
    assert a.feed(P.decode(frames[3])) == [] and a.duplicates == 7


def _data(seq, t_ms, n, epoch, v=1000):
    return P.decode(P.encode_data(seq & 0xFFFF, t_ms & 0xFFFF, [v] * n, epoch))


def test_a_rate_change_goes_on_counting_in_a_new_epoch():
    a = P.Assembler()
    a.feed(_status(100, epoch=5))
    out = a.feed(_data(0, 1000, 7, 5)) + a.feed(_data(7, 1070, 7, 5))
    # the ball changed to 50 Hz at sample 20; frames 14..19 of the old rate were lost
    assert a.feed(_data(20, 1200, 7, 6)) == []  # its epoch is not described yet: held
    assert a.pending
    out += a.feed(_status(50, epoch=6, epoch_seq=20, boot=False, next_seq=27))
    assert [e.rate_hz for e in a.epochs] == [100, 50] and a.epochs[1].start == 20
    assert [(e.n, s, t) for e, s, t, _ in a.missing] == [(0, 14, 20)]  # the old rate's tail, to backfill
    assert [s.seq for s in out] == list(range(14)) + list(range(20, 27))
    assert [s.epoch for s in out][-1] == 1 and out[-1].t_s == pytest.approx(0.2 + 6 * 0.02)
    late = a.feed(_data(14, 1140, 6, 5))
    assert [s.seq for s in late] == list(range(14, 20)) and late[0].t_s == pytest.approx(0.14)
    assert a.missing == [] and a.duplicates == 0 and a.expected() == a.received == 27


def test_a_reboot_is_a_new_epoch_from_zero_not_duplicates():
    a = P.Assembler()
    a.feed(_status(100, epoch=9), now=10.0)
    before = a.feed(_data(300, 3000, 7, 9), now=10.0)
    a.feed(_status(100, epoch=10, next_seq=7), now=15.0)  # rebooted: starts again at 0
    after = a.feed(_data(0, 0, 7, 10), now=15.0)
    assert [s.seq for s in after] == list(range(7)) and a.duplicates == 0
    assert after[0].epoch == 1 and after[0].t_s > before[-1].t_s  # time goes on
    assert after[0].t_s == pytest.approx(before[-1].t_s + 5.0 - 0.07, abs=0.02)  # 5 s later, less 7 samples
