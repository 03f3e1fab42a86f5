from ballsense_fw import protocol as P
from ballsense_fw import decode as D
from fakes import raises

VECTORS = None  # set by run.py


def _hex(b):
    return "".join("%02x" % x for x in b)


def _unhex(s):
    return bytes(int(s[i:i + 2], 16) for i in range(0, len(s), 2))


def _norm(d):
    if "gyro" in d:
        d["gyro"] = [list(g) for g in d["gyro"]]
    return d


def test_vectors_decode():
    for v in VECTORS["frames"]:
        got = _norm(D.decode(_unhex(v["hex"])))
        assert got == v["decoded"], "%s: %r != %r" % (v["name"], got, v["decoded"])


def test_version_1_frames_read_as_epoch_0():
    for v in VECTORS["legacy"]:
        got = _norm(D.decode(_unhex(v["hex"])))
        assert got == v["decoded"], "%s: %r != %r" % (v["name"], got, v["decoded"])


def test_vectors_encode():
    for v in VECTORS["frames"]:
        d = v["decoded"]
        t = d["type"]
        if t == "data":
            b = P.encode_data(d["seq"], d["t_ms"], d["force"], d["epoch"])
        elif t == "imu":
            b = P.encode_imu(d["seq"], d["t_ms"], d["step"], d["gyro"], d["epoch"])
        elif t == "status":
            b = P.encode_status(d)
        elif t == "info":
            b = P.encode_info(d["name"])
        elif t == "stats":
            b = P.encode_stats(d)
        else:
            b = P.encode_command(d["cmd"], d["token"], *d["args"])
        assert _hex(b) == v["hex"], "%s: encoded %s, vector %s" % (v["name"], _hex(b), v["hex"])


def test_invalid_vectors_rejected():
    for v in VECTORS["invalid"]:
        raises(P.FrameError, D.decode, _unhex(v["hex"]))


def test_cobs_vectors():
    for v in VECTORS["cobs"]:
        raw = _unhex(v["raw"])
        assert _hex(P.cobs_encode(raw)) == v["encoded"], v
        assert D.cobs_decode(_unhex(v["encoded"])[:-1]) == raw, v


def test_crc16_check_value():
    # CRC-16/CCITT-FALSE check value over "123456789"
    assert P.crc16(b"123456789") == 0x29B1


def test_batch_cut_at_large_jump():
    v = [100, 200, 2300, 2301]
    assert P.batch_len(v, 0, 4, 7) == 2  # 200 -> 2300 needs 2100 > 2047
    assert P.batch_len(v, 2, 2, 7) == 2
    assert P.batch_len(v, 0, 4, 1) == 1


def test_frames_fit_default_att_payload():
    assert P.max_samples(20) == 7
    assert P.data_size(7) <= 20 < P.data_size(8)
    st = {k: 0 for k in P.STATUS_FIELDS}
    assert len(P.encode_status(st)) <= 20 and len(P.encode_imu(0, 0, 4, [[0, 0, 0]] * 3)) <= 20


def test_alert_delays_in_samples():
    assert [P.alert_on_samples(r) for r in (15, 100, 200)] == [2, 4, 7]
    assert [P.alert_off_samples(r) for r in (15, 25, 100, 200)] == [8, 13, 50, 100]


def test_unwrap16():
    assert P.unwrap16(2, 65530) == 65538
    assert P.unwrap16(65530, 65538) == 65530
    assert P.unwrap16(5, 5) == 5
