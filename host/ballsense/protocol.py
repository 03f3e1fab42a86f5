"""Host side of the wire protocol. The frame codec itself is the firmware's
(ballsense_fw.protocol), run here under CPython: one implementation, checked
against tests/vectors under both interpreters. This module adds what only the
host needs: a resynchronising serial deframer and the sample assembler."""
from dataclasses import dataclass, field

from ballsense_fw.protocol import *  # noqa: F401,F403  (re-exported on purpose)
from ballsense_fw.decode import decode, cobs_decode  # noqa: F401
from ballsense_fw import protocol as P

MAX_PACKET = 300  # longer than any frame COBS can carry for a 244-byte payload


@dataclass
class DeframeStats:
    frames: int = 0
    bad_frames: int = 0      # CRC or structure wrong: dropped whole
    garbage_bytes: int = 0   # bytes discarded while resynchronising


class Deframer:
    """Bytes of a serial stream -> raw frames. A packet ends at each 0x00, so
    after garbage the stream is in step again at the next frame boundary."""

    def __init__(self):
        self.buf = bytearray()
        self.stats = DeframeStats()

    def feed(self, data):
        self.buf.extend(data)
        out = []
        while True:
            end = self.buf.find(0)
            if end < 0:
                if len(self.buf) > MAX_PACKET:  # no boundary in sight: garbage
                    self.stats.garbage_bytes += len(self.buf)
                    self.buf.clear()
                return out
            pkt = bytes(self.buf[:end])
            del self.buf[:end + 1]
            if not pkt:
                continue
            frame = self._check(pkt)
            if frame is not None:
                out.append(frame)

    def _check(self, pkt):
        try:
            frame = cobs_decode(pkt)
            decode(frame)
        except P.FrameError:
            self.stats.bad_frames += 1
            self.stats.garbage_bytes += len(pkt) + 1
            return None
        self.stats.frames += 1
        return frame


@dataclass
class Sample:
    seq: int          # unwrapped, absolute
    t_s: float        # device time, seconds since the first sample seen
    counts: int       # raw force counts
    late: bool = False  # arrived out of order (backfill)
    gyro: tuple = None  # latest gyro reading (dps) when the ball has an IMU


@dataclass
class Assembler:
    """Decoded frames -> samples in device time, without duplicates, with the
    gaps that are still missing (for backfill)."""
    rate_hz: int = 0
    status: dict = field(default_factory=dict)
    name: str = ""
    newest: int = -1          # highest absolute seq seen
    t_ref: tuple = None       # (abs seq, abs device ms) anchoring time
    t0_ms: float = None
    missing: list = field(default_factory=list)  # [start, end) ranges
    duplicates: int = 0
    gyro: tuple = None                           # latest (gx, gy, gz) dps
    first: int = None                            # first absolute seq received
    received: int = 0                            # unique samples received

    def feed(self, f):
        """One decoded frame -> list of new Samples."""
        kind = f["type"]
        if kind == "status":
            self.status = f
            self.rate_hz = f["rate_hz"]
            return []
        if kind == "info":
            self.name = f["name"]
            return []
        if kind == "imu":
            self.gyro = tuple(v * P.GYRO_DPS_PER_LSB for v in f["gyro"][-1])
            return []
        if kind != "data" or not self.rate_hz:
            return []  # data before the first status: rate unknown, cannot time it
        return self._data(f)

    def _abs(self, seq16):
        return seq16 if self.newest < 0 else P.unwrap16(seq16, self.newest)

    def _data(self, f):
        s0 = self._abs(f["seq"])
        period = 1000.0 / self.rate_hz
        if self.t_ref is None:
            t0 = f["t_ms"]
            self.t0_ms = t0
        else:
            rs, rt = self.t_ref
            t0 = P.unwrap16(f["t_ms"], int(rt + (s0 - rs) * period))
        if s0 >= self.newest:
            self.t_ref = (s0, t0)
        out = []
        for i, c in enumerate(f["force"]):
            s = s0 + i
            late = s <= self.newest
            if late and not self._fill(s):
                self.duplicates += 1
                continue
            if s > self.newest + 1 and self.newest >= 0:
                self.missing.append([self.newest + 1, s])
            self.newest = max(self.newest, s)
            self.received += 1
            if self.first is None or s < self.first:
                self.first = s
            out.append(Sample(s, (t0 + i * period - self.t0_ms) / 1000.0, c, late, self.gyro))
        return out

    def _fill(self, s):
        for r in self.missing:
            if r[0] <= s < r[1]:
                if s == r[0]:
                    r[0] += 1
                elif s == r[1] - 1:
                    r[1] -= 1
                else:
                    self.missing.append([s + 1, r[1]])
                    r[1] = s
                self.missing[:] = [m for m in self.missing if m[0] < m[1]]
                return True
        return False

    def missing_count(self):
        return sum(e - s for s, e in self.missing)
