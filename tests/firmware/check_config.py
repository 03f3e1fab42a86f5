import os
from ballsense_fw import config
from fakes import raises


def _clean():
    for f in (config.FILE, config.FILE + ".tmp"):
        try:
            os.remove(f)
        except OSError:
            pass


def test_defaults_are_valid():
    assert config.check_all(config.DEFAULTS) is None


def test_bad_values_named():
    bad = [("rate_hz", 5), ("rate_hz", 201), ("rate_hz", "100"), ("rate_hz", True), ("name", ""),
           ("name", "x" * 21), ("name", "a\nb"), ("sensor", "strain"), ("board", "uno"),
           ("threshold", -1), ("threshold", 70000), ("payload", 19), ("nope", 1)]
    for k, v in bad:
        why = config.check(k, v)
        assert why, "%s=%r accepted" % (k, v)


def test_save_load_roundtrip_and_refusal():
    _clean()
    cfg = dict(config.DEFAULTS)
    cfg["rate_hz"] = 50
    config.save(cfg)
    assert config.load()["rate_hz"] == 50
    cfg["rate_hz"] = 500
    raises(ValueError, config.save, cfg)
    assert config.load()["rate_hz"] == 50  # the refused value never reached the file
    _clean()


def test_corrupt_file_raises():
    _clean()
    with open(config.FILE, "w") as f:
        f.write('{"rate_hz": 9999}')
    raises(ValueError, config.load)
    with open(config.FILE, "w") as f:
        f.write("[1,2]")
    raises(ValueError, config.load)
    _clean()
    assert config.load() == config.DEFAULTS


def test_hysteresis_order():
    cfg = dict(config.DEFAULTS)
    cfg["threshold"], cfg["threshold_off"] = 100, 200
    assert config.check_all(cfg)
