from ballsense_fw.ring import Ring


def test_keeps_last_capacity_samples():
    r = Ring(8)
    for i in range(20):
        r.push(i * 10, i * 1000, 1000)
    assert r.oldest() == 12 and r.next_seq == 20
    assert not r.has(11) and r.has(12) and r.has(19) and not r.has(20)
    assert r.values(12, 8, []) == [120, 130, 140, 150, 160, 170, 180, 190]
    assert r.time_of(19) == 19


def test_absolute_from_wire_seq_across_wrap():
    r = Ring(4)
    r.next_seq = 65536 * 3 + 2
    assert r.absolute(65535) == 65536 * 3 - 1
    assert r.absolute(1) == 65536 * 3 + 1


def test_sixty_seconds_at_100hz_fit():
    from ballsense_fw import app
    r = Ring(app.RING_SECONDS * 100)
    assert r.cap >= 6000


def test_times_follow_the_schedule_and_its_breaks():
    r = Ring(3000)
    t = 0
    for i in range(2500):
        if i == 700:
            t += 35000  # a stall: the schedule restarts 35 ms later
        if i == 1500:
            pass
        period = 10000 if i < 1500 else 20000  # rate change to 50 Hz
        r.push(i, t % 65536000, period)
        t += period
    assert r.time_of(0) == 0 and r.time_of(699) == 6990
    assert r.time_of(700) == 7035 and r.time_of(1499) == 15025
    assert r.time_of(1500) == 15035 and r.time_of(2499) == (15035 + 999 * 20) & 0xFFFF
    assert len(r.anchors) <= 8  # a few anchors, not one per sample


def test_device_time_wraps_like_the_wire():
    r = Ring(100)
    for i in range(10):
        r.push(0, (65530000 + i * 10000) % 65536000, 10000)
    assert [r.time_of(i) for i in range(0, 10, 3)] == [65530, 24, 54, 84]


def test_grow_keeps_the_samples_and_their_times():
    r = Ring(10)
    for i in range(25):
        r.push(i, i * 10000, 10000)
    assert r.grow(40) and r.cap == 40
    assert r.oldest() == 15 and r.values(15, 10, []) == list(range(15, 25))
    for i in range(25, 50):
        r.push(i, i * 10000, 10000)
    assert r.oldest() == 15 and r.values(15, 35, []) == list(range(15, 50))  # 10-14 were gone before
    for i in range(50, 60):
        r.push(i, i * 10000, 10000)
    assert r.oldest() == 20 and r.values(20, 40, []) == list(range(20, 60))
    assert r.time_of(59) == 590


def test_epochs_split_at_a_rate_change():
    r = Ring(100, epoch=254)
    for i in range(10):
        r.push(i, i * 10000, 10000)
    r.new_epoch()
    for i in range(10, 20):
        r.push(i, 100000 + (i - 10) * 5000, 5000)
    assert (r.epoch, r.epoch_seq, r.from_boot) == (255, 10, False)
    assert r.epoch_of(9) == 254 and r.epoch_of(10) == 255
    assert r.epoch_end(3) == 10 and r.epoch_end(12) == 20
    r.new_epoch()
    assert r.epoch == 0  # the byte wraps
