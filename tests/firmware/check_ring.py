from ballsense_fw.ring import Ring


def test_keeps_last_capacity_samples():
    r = Ring(8)
    for i in range(20):
        r.push(i * 10, i)
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
