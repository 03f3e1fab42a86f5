"""Host side of the wire protocol. The frame codec itself is the firmware's
(ballsense_fw.protocol), run here under CPython: one implementation, checked
against tests/vectors under both interpreters. This module adds what only the
host needs: a resynchronising serial deframer and the sample assembler, which
places every sample in its epoch (docs/protocol.md, "Sequence epochs")."""
import logging
from dataclasses import dataclass, field

from ballsense_fw.protocol import *  # noqa: F401,F403  (re-exported on purpose)
from ballsense_fw.decode import decode, cobs_decode  # noqa: F401
from ballsense_fw import protocol as P

MAX_PACKET = 300  # longer than any frame COBS can carry for a 244-byte payload
PENDING_MAX = 500  # data frames held for a status that names their epoch
log = logging.getLogger(__name__)


@dataclass
class DeframeStats:
    frames: int = 0
    bad_frames: int = 0      # COBS or CRC wrong: dropped whole
    garbage_bytes: int = 0   # bytes discarded while resynchronising


class Deframer:
    """Bytes of a serial stream -> raw frames with a good CRC (decoded once,
    later, by the Stream). A packet ends at each 0x00, so after garbage the
    stream is in step again at the next frame boundary."""

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
        except P.FrameError:
            frame = b""
        if len(frame) < 3 or P.crc16(frame[:-2]) != frame[-2] | (frame[-1] << 8):
            self.stats.bad_frames += 1
            self.stats.garbage_bytes += len(pkt) + 1
            return None
        self.stats.frames += 1
        return frame


@dataclass
class Sample:
    seq: int          # absolute within the ball's power-on (a rate change keeps counting)
    t_s: float        # session time: seconds since the first sample seen
    counts: int       # raw force counts
    late: bool = False  # arrived after a later sample (backfill)
    gyro: tuple = None  # latest gyro reading (dps) when the ball has an IMU
    epoch: int = 0      # the session's epoch number (Assembler.epochs)


@dataclass
class Epoch:
    """A run of samples at one rate: from power-on, or from a rate change."""
    n: int                  # 0, 1, ... in the order this session met them
    wire: int               # the ball's epoch byte
    rate_hz: int
    boot: bool              # began at power-on (sequence and device time from 0)
    start: int = None       # absolute seq of its first sample (None: the session's first epoch)
    offset_s: float = 0.0   # boot epochs: session time of device time 0 (a decision, recorded)
    dev0_ms: float = 0.0    # device ms that is session time offset_s
    newest: int = -1        # highest absolute seq received
    first: int = None       # lowest absolute seq received
    t_ref: tuple = None     # (abs seq, abs device ms) anchoring time
    missing: list = field(default_factory=list)  # [start, end, since] not (yet) received
    prev: "Epoch" = None    # the epoch before it in the same power-on (rate changes)

    @property
    def period_ms(self):
        return 1000.0 / self.rate_hz

    def note(self):
        """What the recording keeps of it (replay uses these, not its own guess)."""
        return {"n": self.n, "wire": self.wire, "rate_hz": self.rate_hz, "boot": self.boot,
                "start": self.start, "offset_s": self.offset_s, "dev0_ms": self.dev0_ms}


@dataclass
class Assembler:
    """Decoded frames -> samples in session time, each once, with the gaps
    still missing (for backfill). Every data frame names its epoch; a status
    frame says each epoch's rate and first sample, so a reboot or a rate change
    never makes new samples look like old ones. `recorded`: the epochs as a
    recording noted them (offline), used instead of deciding again."""
    recorded: dict = None
    status: dict = field(default_factory=dict)
    name: str = ""
    epochs: list = field(default_factory=list)
    pending: list = field(default_factory=list)  # data frames of an epoch not yet described
    duplicates: int = 0
    received: int = 0                            # unique samples received
    dead: int = 0                                # samples lost for good (a reboot took the ring)
    gyro: tuple = None                           # latest (gx, gy, gz) dps
    t0_ms: float = None                          # device ms of session time 0
    decisions: list = field(default_factory=list)  # new epochs and lost gaps, for the recording
    _newest_at: tuple = None                     # (session t, host time) of the newest sample

    @property
    def rate_hz(self):
        return self.epochs[-1].rate_hz if self.epochs else 0

    def feed(self, f, now=0.0):
        """One decoded frame -> list of new Samples."""
        kind = f["type"]
        if kind == "status":
            self.status = f
            if self._epoch(f["epoch"]) is None:
                self._new_epoch(f, now)
                return self._replay_pending(now)
            return []
        if kind == "info":
            self.name = f["name"]
            return []
        if kind == "imu":
            self.gyro = tuple(v * P.GYRO_DPS_PER_LSB for v in f["gyro"][-1])
            return []
        if kind != "data":
            return []
        ep = self._epoch(f["epoch"])
        if ep is None:  # its status has not come yet: keep it (the Stream asks for one)
            if len(self.pending) < PENDING_MAX:
                self.pending.append(f)
            return []
        return self._data(ep, f, now)

    def _epoch(self, wire):
        for ep in reversed(self.epochs):
            if ep.wire == wire:
                return ep
        return None

    def _new_epoch(self, st, now):
        n = len(self.epochs)
        boot = bool(st["flags"] & P.F_BOOT_EPOCH) or not self.epochs
        last = self.epochs[-1] if self.epochs else None
        ep = Epoch(n, st["epoch"], st["rate_hz"], boot)
        if last is not None and not (st["flags"] & P.F_BOOT_EPOCH):  # a rate change: the count goes on
            ep.prev = last
            ep.start = P.unwrap16(st["epoch_seq"], max(last.newest, last.start or 0))
            ep.dev0_ms, ep.offset_s = last.dev0_ms, last.offset_s
            have = last.newest + 1 if last.newest >= 0 else last.start  # none of it yet: from its start
            if have is not None and ep.start > have:  # the old rate's last samples (or all of them)
                last.missing.append([have, ep.start, now])
        elif last is not None:  # a reboot: the ball starts again at 0, its ring is gone
            ep.start = st["epoch_seq"]
            ep.offset_s = self._reboot_offset(st, now, last)
            for old in self.epochs:
                self.dead += sum(e - s for s, e, _ in old.missing)
                self.decisions += [{"lost": {"epoch": old.n, "start": s, "end": e}} for s, e, _ in old.missing]
                old.missing.clear()
        rec = (self.recorded or {}).get(n)
        if rec is not None:  # offline: what the live session decided
            ep.start, ep.offset_s, ep.dev0_ms = rec["start"], rec["offset_s"], rec["dev0_ms"]
        self.epochs.append(ep)
        self.decisions.append({"epoch": ep.note()})
        log.debug("epoch %d: wire %d, %d Hz, %s, first seq %s", n, ep.wire, ep.rate_hz,
                  "power-on" if boot else "rate change", ep.start)

    def _reboot_offset(self, st, now, last):
        """Session time of the new power-on's device time 0: about now, less
        the time the ball has counted since; never before what came already."""
        t_last, at = self._newest_at or (0.0, now)
        floor = t_last + last.period_ms / 1000
        return max(floor, t_last + (now - at) - st["next_seq"] / st["rate_hz"])

    def _replay_pending(self, now):
        waiting, self.pending = self.pending, []
        out = []
        for f in waiting:
            out += self.feed(f, now)
        return out

    def _time(self, ep, s0, t_ms):
        """Absolute device ms of sample s0 from the frame's 16-bit t_ms."""
        if ep.t_ref is not None:
            rs, rt = ep.t_ref
            return P.unwrap16(t_ms, int(rt + (s0 - rs) * ep.period_ms))
        p = ep.prev
        if p is not None and p.t_ref is not None:  # device time runs on through a rate change
            rs, rt = p.t_ref
            expect = rt + (ep.start - rs) * p.period_ms + (s0 - ep.start) * ep.period_ms
            return P.unwrap16(t_ms, int(expect))
        if ep.boot and ep.n > 0:  # device time began at 0 with the sequence
            return P.unwrap16(t_ms, int(s0 * ep.period_ms))
        return t_ms

    def _data(self, ep, f, now):
        s0 = P.unwrap16(f["seq"], ep.newest if ep.newest >= 0 else (ep.start if ep.start is not None else f["seq"]))
        t0 = self._time(ep, s0, f["t_ms"])
        if self.t0_ms is None:  # session time 0: the first sample received (a decision, recorded)
            self.t0_ms = ep.dev0_ms = t0
            rec = (self.recorded or {}).get(ep.n)
            if rec is not None:
                ep.dev0_ms = self.t0_ms = rec["dev0_ms"]
            else:
                self.decisions.append({"epoch": ep.note()})
        if s0 >= ep.newest:
            ep.t_ref = (s0, t0)
        if ep.first is None and ep.start is not None and s0 > ep.start:  # its first samples are missing
            ep.missing.append([ep.start, s0, now])
        out = []
        period = ep.period_ms
        base = ep.offset_s - ep.dev0_ms / 1000.0
        for i, c in enumerate(f["force"]):
            s = s0 + i
            late = bool(ep.missing) and self._fill(ep, s)  # backfill (or an old rate's last samples)
            if not late and s <= ep.newest:
                self.duplicates += 1
                continue
            if s > ep.newest + 1 and ep.newest >= 0 and not late:
                ep.missing.append([ep.newest + 1, s, now])
            if s > ep.newest:
                ep.newest = s
            self.received += 1
            if ep.first is None or s < ep.first:
                ep.first = s
            out.append(Sample(s, base + (t0 + i * period) / 1000.0, c, late, self.gyro, ep.n))
        if out and not out[-1].late:
            self._newest_at = (out[-1].t_s, now)
        return out

    @staticmethod
    def _fill(ep, s):
        for r in ep.missing:
            if r[0] <= s < r[1]:
                if s == r[0]:
                    r[0] += 1
                elif s == r[1] - 1:
                    r[1] -= 1
                else:
                    ep.missing.append([s + 1, r[1], r[2]])
                    r[1] = s
                ep.missing[:] = [m for m in ep.missing if m[0] < m[1]]
                return True
        return False

    def forget(self, n, start, end):
        """The ball no longer holds [start, end) of epoch n (its ring ran
        over): what is still missing there is lost, and noted. -> how many."""
        ep = self.epochs[n]
        keep, dead = [], self.dead
        for s, e, t in ep.missing:
            a, b = max(s, start), min(e, end)
            if a >= b:
                keep.append([s, e, t])
                continue
            self.dead += b - a
            self.decisions.append({"lost": {"epoch": n, "start": a, "end": b}})
            keep += [[s, a, t]] * (s < a) + [[b, e, t]] * (b < e)
        ep.missing[:] = keep
        return self.dead - dead

    @property
    def missing(self):
        """[(epoch, start, end, since)] not received yet, that the ball may still hold."""
        return [(ep, s, e, t) for ep in self.epochs for s, e, t in ep.missing]

    def missing_count(self):
        return sum(e - s for _, s, e, _ in self.missing) + self.dead

    def expected(self):
        """Samples the ball made in the epochs seen, first to newest."""
        return sum(ep.newest - (ep.start if ep.start is not None else ep.first) + 1
                   for ep in self.epochs if ep.first is not None)

    # the session's first epoch, for callers that predate epochs
    @property
    def first(self):
        return self.epochs[0].first if self.epochs else None

    @property
    def newest(self):
        return self.epochs[-1].newest if self.epochs else -1
