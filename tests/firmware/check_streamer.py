from ballsense_fw import protocol as P
from ballsense_fw import decode as D
from ballsense_fw.ring import Ring
from ballsense_fw.streamer import Streamer


def _fill(r, vals):
    for v in vals:
        r.push(v, r.next_seq * 10000, 10000)


def test_batches_fill_the_payload():
    r = Ring(100)
    s = Streamer(r)
    _fill(r, [1000] * 6)
    assert s.next_frame(100) is None  # 6 < 7, and not yet 100 ms old
    _fill(r, [1001])
    f = D.decode(s.next_frame(100))
    assert f["seq"] == 0 and f["force"] == [1000] * 6 + [1001]
    assert s.next_frame(100) is None


def test_threshold_sends_at_once():
    r = Ring(100)
    s = Streamer(r)
    s.threshold = 3000
    _fill(r, [1000, 1200])
    assert s.next_frame(100) is None
    _fill(r, [3100])
    f = D.decode(s.next_frame(100))
    assert f["force"] == [1000, 1200, 3100]
    _fill(r, [3000, 9000])  # above threshold, and too far apart for one frame
    assert D.decode(s.next_frame(100))["force"] == [3000]
    assert D.decode(s.next_frame(100))["force"] == [9000]
    assert s.next_frame(100) is None


def test_big_jump_splits_frames():
    r = Ring(100)
    s = Streamer(r)
    _fill(r, [100, 110, 9000, 9001, 9002, 9003, 9004])
    a = D.decode(s.next_frame(100))
    _fill(r, [9005, 9006])
    b = D.decode(s.next_frame(100))
    assert a["force"] == [100, 110] and b["seq"] == 2 and b["force"][0] == 9000


def test_backfill_range_and_gone():
    r = Ring(50)
    s = Streamer(r)
    _fill(r, list(range(1000, 1070)))
    while s.next_frame(100):
        pass
    assert s.lost == 20  # the ring held 50 of the 70 never-sent samples
    assert s.request_backfill(30, 10) is True
    f = D.decode(s.next_frame(100))
    assert f["seq"] == 30 and f["force"] == list(range(1030, 1037))
    f = D.decode(s.next_frame(100))
    assert f["seq"] == 37 and f["force"] == [1037, 1038, 1039]
    assert s.next_frame(100) is None
    assert s.request_backfill(5, 30) is False  # 5..19 left the ring
    f = D.decode(s.next_frame(100))
    assert f["seq"] == 20


def test_low_rate_not_held_long():
    r = Ring(100)
    s = Streamer(r)
    _fill(r, [1])
    assert s.next_frame(10) is not None  # at 10 Hz one sample is already 100 ms
