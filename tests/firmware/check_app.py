# The firmware as a whole on the emulated board, driven with a list link.
from ballsense_fw import protocol as P
from ballsense_fw import decode as D
from ballsense_fw import config
from fakes import fresh_app as _app


def _decoded(link):
    return [D.decode(f) for f in link.sent]


def test_streams_contiguous_samples_after_status():
    app, link = _app()
    app.run(max_samples=50)
    fr = _decoded(link)
    assert fr[0]["type"] == "info" and fr[1]["type"] == "status"
    seqs = []
    for f in fr:
        if f["type"] == "data":
            seqs.extend(range(f["seq"], f["seq"] + len(f["force"])))
    assert seqs == list(range(len(seqs))) and len(seqs) >= 49


def test_bad_command_refused_and_reported():
    app, link = _app()
    link.inbox = [P.encode_command(P.C_SET_RATE, 9, 500), b"\x01\x02", P.encode_command(P.C_SET_RATE, 10, 50)]
    app.service()
    st = [f for f in _decoded(link) if f["type"] == "status"]
    assert (st[0]["token"], st[0]["error"]) == (9, P.E_RANGE)
    assert st[1]["error"] == P.E_BAD_FRAME
    assert (st[2]["token"], st[2]["error"], st[2]["rate_hz"]) == (10, P.E_OK, 50)
    assert config.load()["rate_hz"] == 50


def test_threshold_raises_on_ball_alert_with_on_delay_deadband_and_off_delay():
    app, link = _app()
    link.inbox = [P.encode_command(P.C_SET_THRESHOLD, 1, 3000, 2000)]
    app.service()
    # at 100 Hz: a 30 ms glitch (3 samples) is ignored, the 4th sample above
    # raises the alert; it ends after 50 samples (500 ms) below the off level
    steps = [(1000, 1, False), (3100, 3, False), (1000, 1, False), (3100, 3, False), (3100, 1, True),
             (2500, 5, True), (1900, 49, True), (2500, 1, True), (1900, 49, True), (1900, 1, False),
             (2500, 10, False)]
    for v, n, want in steps:
        for _ in range(n):
            app.ring.push(v, app.ring.next_seq * 10000, 10000)
            app._on_ball_alert()
        assert app.alert is want, (v, n, app.alert)


def test_rename():
    app, link = _app()
    link.inbox = [P.encode_command(P.C_RENAME, 2, "QL left"), P.encode_command(P.C_RENAME, 3, "x" * 30)]
    app.service()
    fr = _decoded(link)
    assert {"type": "info", "name": "QL left"} in fr
    st = [f for f in fr if f["type"] == "status"]
    assert st[0]["error"] == P.E_OK and st[1]["error"] == P.E_RANGE
    assert config.load()["name"] == "QL left"


def test_stats_on_request():
    app, link = _app()
    app.run(max_samples=30)
    link.sent = []
    link.inbox = [P.encode_command(P.C_STATS, 4)]
    app.service()
    fr = _decoded(link)
    stats = [f for f in fr if f["type"] == "stats"][0]
    assert stats["samples"] == 30 and stats["lost"] == 0 and stats["min_free_heap"] > 0
    assert [f["token"] for f in fr if f["type"] == "status"] == [4]


def test_dead_sensor_keeps_the_link_and_recovers():
    from ballsense_fw.boards import sim
    from ballsense_fw import config as cfgmod
    app, link = _app()
    cfg = dict(app.cfg)
    cfg["sensor"], cfg["imu"] = "hx711", True
    cfgmod.save(cfg)
    sim._FAULT = "hx711_dead"
    try:
        app, link = _app_with(cfg)
        app.sensor.last_ok -= 10000  # it has been silent for a while
        app.run(max_samples=0)
        for _ in range(5):
            app.sampler.step()
        link.inbox = [P.encode_command(P.C_STATUS, 5)]
        app.service()
        st = _decoded(link)[-1]  # still answering, and saying what is wrong
        assert st["type"] == "status" and st["token"] == 5
        assert st["error"] == P.E_SENSOR and st["flags"] & P.F_SENSOR_FAULT and app.ring.next_seq == 0
    finally:
        sim._FAULT = ""
    for _ in range(20):  # the chip answers again: samples resume
        app.sampler.step()
    assert app.ring.next_seq > 0 and app.sampler.error is None


def _app_with(cfg):
    from fakes import ListLink
    from ballsense_fw.app import App
    from ballsense_fw.boards import sim
    link = ListLink()
    return App(sim, [link]), link


def test_motor_pulses_while_the_on_ball_alert_is_on_and_led_blinks_for_pairing():
    app, link = _app()
    app.enable_pairing()

    def levels(alert, pairing):
        app.alert = alert
        app.pairing._opened = app.clock.ticks_ms() if pairing else None
        m, l = [], []
        for _ in range(100):  # 1 s in 10 ms steps
            app._show()
            m.append(app.motor.value())
            l.append(app.led.value())
            app.clock.sleep_us(10000)
        return m, l
    m, l = levels(False, False)
    assert sum(m) == 0 and sum(l) == 0
    m, l = levels(True, False)
    assert 35 <= sum(m) <= 65 and sum(l) == 0           # about half the time on: a pulse, felt
    assert sum(1 for a, b in zip(m, m[1:]) if a != b) >= 3
    m, l = levels(False, True)
    assert sum(m) == 0 and 35 <= sum(l) <= 65
    assert sum(1 for a, b in zip(l, l[1:]) if a != b) >= 8  # fast blink: 5 Hz


def _data_runs(link):
    """(epoch, first seq, last seq) of each run of data frames in one epoch."""
    runs = []
    for f in _decoded(link):
        if f["type"] != "data":
            continue
        last = f["seq"] + len(f["force"]) - 1
        if runs and runs[-1][0] == f["epoch"] and runs[-1][2] + 1 == f["seq"]:
            runs[-1][2] = last
        else:
            runs.append([f["epoch"], f["seq"], last])
    return runs


def test_periodic_status_carries_token_0_and_a_reply_the_command_token():
    app, link = _app()
    link.inbox = [P.encode_command(P.C_STATUS, 77)]
    app.service()
    app.run(max_samples=110)  # 1.1 s: the start's status and a periodic one
    st = [f for f in _decoded(link) if f["type"] == "status"]
    assert st[0]["token"] == 77 and st[-1]["token"] == 0 and len(st) >= 3


def test_a_rate_change_keeps_ring_and_sequence_and_starts_an_epoch():
    app, link = _app()
    app.run(max_samples=120)
    boot = _decoded(link)[1]
    assert boot["flags"] & P.F_BOOT_EPOCH and boot["epoch_seq"] == 0
    before = app.ring.next_seq
    link.inbox = [P.encode_command(P.C_SET_RATE, 3, 200)]
    app.service()
    reply = [f for f in _decoded(link) if f["type"] == "status"][-1]
    assert (reply["token"], reply["error"], reply["rate_hz"]) == (3, P.E_OK, 200)
    assert reply["epoch"] == (boot["epoch"] + 1) & 0xFF and reply["epoch_seq"] == before
    assert not reply["flags"] & P.F_BOOT_EPOCH
    assert app.ring.cap == 64 * 200 and app.ring.has(0)  # grown, the old samples kept
    app.run(max_samples=120)
    runs = _data_runs(link)
    # the sequence goes on through the change; the frames split there, none mixes epochs
    assert [r[0] for r in runs] == [boot["epoch"], reply["epoch"]]
    assert runs[0][1] == 0 and runs[1][1] == runs[0][2] + 1 == before
    assert app.ring.time_of(before + 10) == (app.ring.time_of(before) + 50) & 0xFFFF  # 5 ms apart now
    # a backfill across the change still comes back in one epoch per frame
    link.sent = []
    link.inbox = [P.encode_command(P.C_BACKFILL, 4, before - 5, 10)]
    app.service()
    assert _data_runs(link) == [[boot["epoch"], before - 5, before - 1], [reply["epoch"], before, before + 4]]


def test_a_reboot_starts_an_epoch_the_last_boot_did_not_use():
    app, link = _app()
    link.inbox = [P.encode_command(P.C_SET_RATE, 3, 50)]
    app.service()
    used = app.ring.epoch
    again, link2 = _app_with(app.cfg)
    assert again.ring.epoch == (used + 1) & 0xFF and again.ring.from_boot
