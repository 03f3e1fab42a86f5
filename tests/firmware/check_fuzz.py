# The ball's command parser fed random bytes and random well-formed commands:
# it never raises, and never leaves an invalid config applied or saved.
import random

from ballsense_fw import protocol as P
from ballsense_fw import config
from fakes import fresh_app as _app




def test_random_bytes_never_crash_or_change_config():
    app, link = _app()
    random.seed(1)
    before = dict(app.cfg)
    for i in range(1500):
        n = random.randint(0, 40)
        raw = bytes(random.getrandbits(8) for _ in range(n))
        err, _ = app.control.handle(raw)
        assert err in (P.E_BAD_FRAME, P.E_UNKNOWN_COMMAND, P.E_RANGE, P.E_OK, P.E_BACKFILL_GONE)
    assert app.cfg == before and config.load() == before


def test_random_commands_keep_config_valid():
    app, link = _app()
    random.seed(2)
    for i in range(1500):
        cmd = random.randint(0, 8)
        tok = random.getrandbits(8)
        if cmd == P.C_RENAME:
            name = "".join(chr(random.randint(0, 300)) for _ in range(random.randint(0, 30)))
            raw = P.encode_command(cmd, tok, name)
        elif cmd in (P.C_SET_THRESHOLD, P.C_BACKFILL):
            raw = P.encode_command(cmd, tok, random.getrandbits(16), random.getrandbits(16))
        elif cmd == P.C_SET_RATE:
            raw = P.encode_command(cmd, tok, random.getrandbits(16))
        elif cmd in (P.C_STATUS, P.C_TARE, P.C_STATS):
            raw = P.encode_command(cmd, tok)
        else:
            raw = bytes([(P.VERSION << 4) | P.T_COMMAND, cmd, tok])
            c = P.crc16(raw)
            raw += bytes([c & 0xFF, c >> 8])
        err, token = app.control.handle(raw)
        assert token == tok or err == P.E_BAD_FRAME
        assert config.check_all(app.cfg) is None, app.cfg
        assert P.RATE_MIN_HZ <= app.sampler.rate_hz <= P.RATE_MAX_HZ
    assert config.load() == app.cfg
