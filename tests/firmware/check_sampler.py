from ballsense_fw.sampler import Sampler
from ballsense_fw.ring import Ring
from ballsense_fw.sensors import SensorError
from fakes import VirtualClock


def test_no_drift_with_work_between_samples():
    clock = VirtualClock(overhead_us=700)  # each clock read costs 0.7 ms
    ring = Ring(2000)
    s = Sampler(clock, lambda: 5, ring, 100)
    start = clock.now
    for _ in range(1000):
        s.step()
    # the 1000th sample is 999 periods of 10 ms after the first, not
    # 999 * (10 ms + overhead)
    elapsed = clock.ticks_diff(clock.now, start)
    assert 9990000 <= elapsed < 9990000 + 5000, elapsed
    assert ring.time_of(999) == 9990
    assert s.jitter_p99_us() <= 2000


def test_catches_up_after_a_stall():
    clock = VirtualClock()
    ring = Ring(100)
    s = Sampler(clock, lambda: 1, ring, 100)
    s.step()
    clock.sleep_us(35000)  # stalled for 3.5 periods
    for _ in range(4):
        s.step()
    t = [ring.time_of(i) for i in range(5)]
    assert t == [0, 10, 20, 30, 40], t
    assert s.jitter_max_us >= 25000


def test_rate_change():
    clock = VirtualClock()
    ring = Ring(100)
    s = Sampler(clock, lambda: 1, ring, 100)
    s.step()
    s.set_rate(50)
    s.step()
    s.step()
    assert [ring.time_of(i) for i in range(3)] == [0, 10, 30]


def test_sensor_failure_makes_no_sample():
    clock = VirtualClock()
    ring = Ring(10)
    state = {"ok": False}

    def read():
        if not state["ok"]:
            raise SensorError("gone")
        return 7

    s = Sampler(clock, read, ring, 100)
    assert s.step() is False and ring.next_seq == 0 and s.error
    state["ok"] = True
    assert s.step() is True and ring.next_seq == 1 and s.error is None
