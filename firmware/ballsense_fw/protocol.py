# ballsense wire protocol v2. docs/protocol.md describes these bytes; this module is
# the one implementation, run by the firmware (MicroPython) and imported by the host
# (CPython). Keep it in the subset both interpreters share.
import struct

try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

VERSION = const(2)  # 2: data, IMU and status frames carry the sequence epoch

# Frame types (low nibble of byte 0; the high nibble is VERSION).
T_DATA = const(1)     # force samples
T_IMU = const(2)      # gyro samples
T_STATUS = const(3)   # ball state, reply to every command
T_COMMAND = const(4)  # host -> ball
T_INFO = const(5)     # ball name
T_STATS = const(6)    # sampler and memory figures, on request

# Commands (host -> ball).
C_STATUS = const(0)
C_TARE = const(1)
C_SET_RATE = const(2)
C_SET_THRESHOLD = const(3)
C_BACKFILL = const(4)
C_RENAME = const(5)
C_STATS = const(6)
C_FORGET_PAIRINGS = const(7)
COMMAND_NAMES = {0: "status", 1: "tare", 2: "set_rate", 3: "set_threshold",
                 4: "backfill", 5: "rename", 6: "stats", 7: "forget_pairings"}

# Error codes carried by status frames.
E_OK = const(0)
E_BAD_FRAME = const(1)
E_RANGE = const(2)
E_UNKNOWN_COMMAND = const(3)
E_SENSOR = const(4)
E_BACKFILL_GONE = const(5)
E_STORAGE = const(6)
E_NOT_PAIRED = const(7)  # a BLE host that has not bonded with the ball: see docs/ble.md

# Status flags.
F_IMU = const(1)
F_PAIRING = const(2)
F_ALERT = const(4)
F_SENSOR_FAULT = const(8)
F_BOOT_EPOCH = const(16)  # the current epoch began at power-on: its sequence numbers start at 0

BOARDS = {0: "sim", 1: "xiao_esp32c3", 2: "pico_w"}
SENSORS = {1: "fsr", 2: "hx711"}

# Limits, checked on the ball and on the host.
RATE_MIN_HZ = const(10)
RATE_MAX_HZ = const(200)
RATE_DEFAULT_HZ = const(100)
NAME_MAX_BYTES = const(20)
ATT_DEFAULT_PAYLOAD = const(20)  # default ATT MTU 23 minus 3 bytes of ATT header
DELTA_MAX = const(2047)          # force deltas are signed 12-bit
STATUS_PERIOD_MS = const(1000)
# Alerts, on the ball and on the host (docs/algorithms.md): nothing reacts to a
# glitch this long; an alert ends after this long below its off level.
GLITCH_MS = const(30)
ALERT_OFF_MS = const(500)


def alert_on_samples(rate_hz):
    """Samples in a row above the threshold (strictly) that raise an alert:
    one more than a GLITCH_MS glitch can cover (4 at 100 Hz)."""
    return 1 - (-GLITCH_MS * rate_hz // 1000)


def alert_off_samples(rate_hz):
    """Samples in a row below the off level (strictly) that end an alert: at
    least ALERT_OFF_MS of them (50 at 100 Hz, 8 at 15 Hz)."""
    return -(-ALERT_OFF_MS * rate_hz // 1000)


# type/version, count, seq of first sample, device ms of first sample, epoch
_HDR = "<BBHHB"
HDR_SIZE = const(7)
CRC_SIZE = const(2)


class FrameError(ValueError):
    pass


# CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF); CPython has it in C as crc_hqx.
try:
    from binascii import crc_hqx as _crc_hqx

    def crc16(data):
        return _crc_hqx(data, 0xFFFF)
except ImportError:
    _TABLE = None

    def _table():
        from array import array
        t = array("H", bytes(512))  # 512 bytes in one block, not a list of 256 ints
        for i in range(256):
            c = i << 8
            for _ in range(8):
                c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
            t[i] = c & 0xFFFF
        return t

    def crc16(data):
        global _TABLE
        if _TABLE is None:
            _TABLE = _table()
        t = _TABLE
        c = 0xFFFF
        for b in data:
            c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ b]
        return c


def _seal(buf):
    c = crc16(buf)
    buf.append(c & 0xFF)
    buf.append(c >> 8)
    return bytes(buf)


def open_frame(frame):
    """Check length, CRC and version; -> the frame without its CRC."""
    if len(frame) < 1 + CRC_SIZE:
        raise FrameError("frame too short (%d bytes)" % len(frame))
    body = frame[:-2]
    if crc16(body) != frame[-2] | (frame[-1] << 8):
        raise FrameError("CRC mismatch")
    if frame[0] >> 4 != VERSION:
        raise FrameError("protocol version %d, expected %d" % (frame[0] >> 4, VERSION))
    return body


# ---- data frames -------------------------------------------------------------

def data_size(n):
    """Bytes of a data frame with n force samples."""
    return HDR_SIZE + 2 + 3 * (n // 2) + CRC_SIZE


def max_samples(payload):
    """Most force samples a data frame can carry in `payload` bytes."""
    return 2 * ((payload - HDR_SIZE - 2 - CRC_SIZE) // 3) + 1


def batch_len(values, start, n, limit):
    """How many of values[start:start+n] one frame can carry: at most `limit`,
    stopping before a jump that does not fit a 12-bit delta."""
    k = 1
    prev = values[start]
    while k < n and k < limit:
        v = values[start + k]
        d = v - prev
        if d > DELTA_MAX or d < -DELTA_MAX:
            break
        prev = v
        k += 1
    return k


def encode_data(seq, t_ms, values, epoch=0):
    """values: force counts 0..65535, consecutive samples from `seq` of one
    epoch, deltas within +-2047 (use batch_len to cut)."""
    n = len(values)
    buf = bytearray(struct.pack(_HDR, (VERSION << 4) | T_DATA, n, seq & 0xFFFF, t_ms & 0xFFFF, epoch & 0xFF))
    buf.extend(struct.pack("<H", values[0]))
    i = 1
    while i < n:
        d1 = values[i] - values[i - 1]
        d2 = values[i + 1] - values[i] if i + 1 < n else 0
        buf.append(d1 & 0xFF)
        buf.append(((d1 >> 8) & 0x0F) | ((d2 & 0x0F) << 4))
        buf.append((d2 >> 4) & 0xFF)
        i += 2
    return _seal(buf)


# ---- IMU frames: gyro x, y, z as int8 at GYRO_DPS_PER_LSB, one per `step` samples

GYRO_DPS_PER_LSB = const(4)


def encode_imu(seq, t_ms, step, gyro, epoch=0):
    """gyro: list of (gx, gy, gz) in LSB, each -128..127."""
    buf = bytearray(struct.pack(_HDR, (VERSION << 4) | T_IMU, len(gyro), seq & 0xFFFF, t_ms & 0xFFFF, epoch & 0xFF))
    buf.append(step)
    for g in gyro:
        for c in g:
            buf.append(c & 0xFF)
    return _seal(buf)


# ---- status frames ------------------------------------------------------------

_STATUS = "<BBBBBBBBBBBHHBH"
STATUS_FIELDS = ("fw_major", "fw_minor", "fw_patch", "board", "sensor", "flags",
                 "rate_hz", "battery_pct", "error", "token", "next_seq", "threshold",
                 "epoch", "epoch_seq")
_U16 = ("next_seq", "threshold", "epoch_seq")


def encode_status(st):
    """st: dict with STATUS_FIELDS (board/sensor as ids, threshold in raw counts,
    0 = none; token 0 unless the frame answers a command)."""
    buf = bytearray(struct.pack(_STATUS, (VERSION << 4) | T_STATUS,
                                *[st[k] & 0xFFFF if k in _U16 else st[k] & 0xFF
                                  for k in STATUS_FIELDS]))
    return _seal(buf)


# ---- info frames: the ball's name ---------------------------------------------

def encode_info(name):
    raw = name.encode()
    buf = bytearray([(VERSION << 4) | T_INFO, len(raw)])
    buf.extend(raw)
    return _seal(buf)


# ---- stats frames: how well the ball keeps time and memory ---------------------

_STATS = "<BHHHIII"
STATS_FIELDS = ("jitter_p99_us", "jitter_max_us", "overruns", "min_free_heap", "samples", "lost")


def encode_stats(st):
    return _seal(bytearray(struct.pack(_STATS, (VERSION << 4) | T_STATS,
                                       *[min(st[k], 0xFFFF) if i < 3 else st[k]
                                         for i, k in enumerate(STATS_FIELDS)])))


# ---- commands -----------------------------------------------------------------

_CMD_ARGS = {C_STATUS: "", C_TARE: "", C_SET_RATE: "<H", C_SET_THRESHOLD: "<HH",
             C_BACKFILL: "<HH", C_STATS: "", C_FORGET_PAIRINGS: ""}


def encode_command(cmd, token, *args):
    buf = bytearray([(VERSION << 4) | T_COMMAND, cmd, token & 0xFF])
    if cmd == C_RENAME:
        buf.extend(args[0].encode())
    else:
        buf.extend(struct.pack(_CMD_ARGS[cmd], *args))
    return _seal(buf)


def decode_command(frame):
    """A command frame (as the ball receives it) -> dict; FrameError if it is
    corrupt or not a command. The other frame types are decoded by decode.py,
    which only the host (and the checks) load: the ball never needs it."""
    body = open_frame(frame)
    if body[0] & 0x0F != T_COMMAND or len(body) < 3:
        raise FrameError("not a command frame")
    cmd, token = body[1], body[2]
    rest = bytes(body[3:])
    try:
        if cmd == C_RENAME:
            args = (rest.decode(),)
        elif cmd in _CMD_ARGS:
            fmt = _CMD_ARGS[cmd]
            if len(rest) != (struct.calcsize(fmt) if fmt else 0):
                raise FrameError("command %d with %d argument bytes" % (cmd, len(rest)))
            args = struct.unpack(fmt, rest) if fmt else ()
        else:
            args = (rest,)
    except UnicodeError:
        raise FrameError("command %d: name is not UTF-8" % cmd)
    return {"type": "command", "cmd": cmd, "token": token, "args": list(args)}


# ---- serial framing: COBS, each packet ends with one 0x00 ---------------------

def cobs_encode(data):
    out = bytearray(1)
    code_at = 0
    code = 1
    for b in data:
        if b:
            out.append(b)
            code += 1
        if not b or code == 0xFF:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
    out[code_at] = code
    out.append(0)
    return bytes(out)


# ---- sequence numbers: 16 bits on the wire, unwrapped by serial arithmetic ----

def unwrap16(value, near):
    """The integer closest to `near` whose low 16 bits are `value` (RFC 1982)."""
    d = (value - near) & 0xFFFF
    if d >= 0x8000:
        d -= 0x10000
    return near + d
