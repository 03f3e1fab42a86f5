# Decoding of every frame type: what the host needs (and the checks, which run
# it under MicroPython too). The ball itself only parses commands
# (protocol.decode_command), so this module costs it no RAM.
import struct

from . import protocol as P
from .protocol import FrameError, HDR_SIZE, CRC_SIZE

TYPE_NAMES = {1: "data", 2: "imu", 3: "status", 4: "command", 5: "info", 6: "stats"}
ERROR_NAMES = {0: "ok", 1: "bad_frame", 2: "out_of_range", 3: "unknown_command",
               4: "sensor_not_responding", 5: "backfill_range_gone", 6: "storage",
               7: "not_paired"}
_STRUCT_ERROR = getattr(struct, "error", ValueError)  # MicroPython raises ValueError


def _s12(v):
    return v - 4096 if v & 0x800 else v


def _data(body):
    _, n, seq, t_ms, epoch = struct.unpack_from(P._HDR, body, 0)
    if n == 0 or len(body) + CRC_SIZE != P.data_size(n):
        raise FrameError("data frame of %d bytes cannot hold %d samples" % (len(body) + 2, n))
    v = body[HDR_SIZE] | (body[HDR_SIZE + 1] << 8)
    values = [v]
    p = HDR_SIZE + 2
    while len(values) < n:
        b0, b1, b2 = body[p], body[p + 1], body[p + 2]
        v += _s12(b0 | ((b1 & 0x0F) << 8))
        values.append(v)
        if len(values) < n:
            v += _s12((b1 >> 4) | (b2 << 4))
            values.append(v)
        p += 3
    for v in values:
        if v < 0 or v > 0xFFFF:
            raise FrameError("force count %d out of 0..65535" % v)
    return {"type": "data", "seq": seq, "t_ms": t_ms, "epoch": epoch, "force": values}


def _imu(body):
    _, n, seq, t_ms, epoch = struct.unpack_from(P._HDR, body, 0)
    if n == 0 or len(body) != HDR_SIZE + 1 + 3 * n:
        raise FrameError("IMU frame of %d bytes cannot hold %d samples" % (len(body) + 2, n))
    step = body[HDR_SIZE]
    if step == 0:
        raise FrameError("IMU frame with step 0")
    g = []
    p = HDR_SIZE + 1
    for _ in range(n):
        g.append(tuple(b - 256 if b > 127 else b for b in body[p:p + 3]))
        p += 3
    return {"type": "imu", "seq": seq, "t_ms": t_ms, "epoch": epoch, "step": step, "gyro": g}


def _fixed(kind, fmt, fields):
    def dec(body):
        if len(body) != struct.calcsize(fmt):
            raise FrameError("%s frame of %d bytes, expected %d" % (kind, len(body) + 2, struct.calcsize(fmt) + 2))
        d = {"type": kind}
        for k, v in zip(fields, struct.unpack(fmt, body)[1:]):
            d[k] = v
        return d
    return dec


def _info(body):
    if len(body) < 2 or body[1] != len(body) - 2:
        raise FrameError("info frame length does not match its name")
    return {"type": "info", "name": bytes(body[2:]).decode()}


_DECODERS = {P.T_DATA: _data, P.T_IMU: _imu, P.T_INFO: _info,
             P.T_STATUS: _fixed("status", P._STATUS, P.STATUS_FIELDS),
             P.T_STATS: _fixed("stats", P._STATS, P.STATS_FIELDS)}


def _open(frame):
    """CRC and version checked -> the frame's body as version 2 lays it out.
    Version 1 (recordings made before sequence epochs) is read as epoch 0."""
    if len(frame) > 2 and frame[0] >> 4 == 1 and P.crc16(frame[:-2]) == frame[-2] | (frame[-1] << 8):
        t = frame[0] & 0x0F
        body = bytes([(P.VERSION << 4) | t]) + frame[1:-2]
        if t == P.T_DATA or t == P.T_IMU:
            return body[:6] + b"\0" + body[6:]
        return body + b"\0\0\0" if t == P.T_STATUS else body
    return P.open_frame(frame)


def decode(frame):
    """One frame (as sent in a BLE notification, or one de-COBSed serial packet)
    -> dict. Raises FrameError when it is corrupt or unknown."""
    body = _open(frame)
    t = body[0] & 0x0F
    if t == P.T_COMMAND:
        return P.decode_command(frame)
    dec = _DECODERS.get(t)
    if dec is None:
        raise FrameError("unknown frame type %d" % t)
    try:
        return dec(body)
    except (IndexError, ValueError, UnicodeError, _STRUCT_ERROR) as e:  # truncated fields
        if isinstance(e, FrameError):
            raise
        raise FrameError("malformed frame: %s" % e)


def cobs_decode(pkt):
    """pkt without its trailing 0x00."""
    out = bytearray()
    i = 0
    n = len(pkt)
    while i < n:
        code = pkt[i]
        if code == 0 or i + code > n:
            raise FrameError("bad COBS packet")
        out.extend(pkt[i + 1:i + code])
        i += code
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
