"""source -> frames -> calibrated samples: the front half of every command
(record, live, demo, analyze of a .rec), so they all read balls the same way."""
import asyncio
import sys
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from . import calibration
from .errors import UserError
from .protocol import Assembler, FrameError, decode, encode_command, C_STATUS, C_BACKFILL, E_NOT_PAIRED

BACKFILL_RETRY_S = 2.0  # ask again for a gap still open after this long
NOT_PAIRED = ("the ball lets this computer listen but not command it (not paired over Bluetooth): samples lost "
              "in a dropout are not recovered and the on-ball alert is off; run `ballsense pair` once")
TICKS_MASK = (1 << 30) - 1  # MicroPython's ticks period


def now_us():
    return (time.monotonic_ns() // 1000) & TICKS_MASK


def ticks_diff(a, b):
    return ((a - b + (1 << 29)) & TICKS_MASK) - (1 << 29)


@dataclass
class Batch:
    seq: np.ndarray
    t_s: np.ndarray
    counts: np.ndarray
    force_n: np.ndarray
    gyro: np.ndarray = None  # (n, 3) dps, or None without an IMU
    late: bool = False


class Stream:
    def __init__(self, source, recorder=None, calib=None):
        self.src = source
        self.rec = recorder
        self.asm = Assembler()
        self.calib = calib
        self.bad_frames = 0
        self.link_events = []  # (host monotonic s, state, info) as the source reports them
        self._asked = {}       # gap end -> when backfill was last requested
        self._token = 1
        # age of each live sample on arrival (emulated ball only); bounded so a
        # long session does not grow
        self.latencies_ms = deque(maxlen=200000)
        self.data_bytes = self.data_samples = 0  # data frames as received (BLE payload size)
        self.stats = {}         # the ball's latest stats frame
        self.rec_error = ""
        self.not_paired = False  # the ball refuses our commands (BLE without a bond)
        source.on_link = self._on_link

    def _on_link(self, state, **info):
        """Sources call this on link changes (connected, lost, reconnecting...)."""
        self.link_events.append((time.monotonic(), state, info))
        self._record("note", link=state, **info)

    def _record(self, what, *args, **kw):
        """Write to the recording; if the disk fails (full, gone), say so once
        and carry on without it: the session matters more than the file."""
        if self.rec is None:
            return
        try:
            getattr(self.rec, what)(*args, **kw)
        except OSError as e:
            self.rec_error = f"recording stopped: {e.strerror or e} ({self.rec.path}); the session goes on"
            print(f"ballsense: warning: {self.rec_error}", file=sys.stderr)
            self.rec = None

    async def _request_gaps(self):
        now = time.monotonic()
        for start, end in self.asm.missing:
            if now - self._asked.get(end, -1e9) < BACKFILL_RETRY_S:
                continue
            self._asked[end] = now
            self._token = self._token % 255 + 1
            await self.src.send(encode_command(C_BACKFILL, self._token, start & 0xFFFF, min(end - start, 0xFFFF)))

    @property
    def status(self):
        return self.asm.status

    async def batches(self):
        """Yields a Batch per group of new samples, in arrival order."""
        await self.src.send(encode_command(C_STATUS, 1))
        async for raw in self.src.frames():
            self._record("frame", raw)
            try:
                f = decode(raw)
            except FrameError:
                self.bad_frames += 1
                continue
            if f["type"] == "data":
                self.data_bytes += len(raw)
                self.data_samples += len(f["force"])
            elif f["type"] == "stats":
                self.stats = f
            if f["type"] == "status" and f["error"] == E_NOT_PAIRED and not self.not_paired:
                self.not_paired = True
                print(f"ballsense: warning: {NOT_PAIRED}", file=sys.stderr)
            if f["type"] == "status" and self.calib is None:
                self.calib = calibration.from_status(f, self.asm.name)
                self._record("note", calibration=self.calib.to_dict())
            new = self.asm.feed(f)
            if self.asm.missing:
                await self._request_gaps()
            if new:
                self._latency(new)
                yield self._batch(new)

    async def drain(self, timeout=10.0):
        """Keep reading until every gap has been backfilled (or timeout): a
        link that dropped just before the end still delivers what it owes."""
        async def until_whole():
            async for _ in self.batches():
                if not self.asm.missing:
                    return
        if self.asm.missing:
            try:
                await asyncio.wait_for(until_whole(), timeout)
            except asyncio.TimeoutError:
                pass

    def sample_host_us(self, t_s):
        """When a sample (device time t_s) was taken, in host monotonic us mod
        2^30, where the source can tell (the emulated ball); else None."""
        t0 = getattr(self.src, "device_t0_us", None)
        if t0 is None or self.asm.t0_ms is None:
            return None
        return (t0 + int((self.asm.t0_ms + t_s * 1000) * 1000)) & TICKS_MASK

    def _latency(self, new):
        """How old each live (not backfilled) sample is when it arrives."""
        now = now_us()
        for s in new:
            at = None if s.late else self.sample_host_us(s.t_s)
            if at is None:
                return
            self.latencies_ms.append(ticks_diff(now, at) / 1000)

    def _batch(self, new):
        counts = np.fromiter((s.counts for s in new), float, len(new))
        gyro = None
        if new[-1].gyro is not None:
            gyro = np.array([s.gyro or (0, 0, 0) for s in new], float)
        return Batch(np.fromiter((s.seq for s in new), np.int64, len(new)),
                     np.fromiter((s.t_s for s in new), float, len(new)),
                     counts, self.calib.newtons(counts), gyro, new[0].late)


async def collect(stream, seconds=None, wall_limit=None, on_batch=None):
    """Run a stream until `seconds` of device time were received (or the source
    ends); `wall_limit` guards against a ball that sends nothing."""
    got = []

    async def run():
        async for b in stream.batches():
            got.append(b)
            if on_batch:
                on_batch(b)
            if seconds is not None and b.t_s[-1] >= seconds - 0.5 / max(stream.asm.rate_hz, 1):
                return

    try:
        await asyncio.wait_for(run(), wall_limit)
    except asyncio.TimeoutError:
        if not got:
            raise UserError(f"no samples from the ball in {wall_limit:.0f} s: is it switched on and "
                            "streaming? (try: ballsense record sim:// to check the software)") from None
    return got


def concat(batches, seconds=None):
    """Batches -> one Batch, cut at `seconds` of device time."""
    if not batches:
        return None
    cat = lambda k: np.concatenate([getattr(b, k) for b in batches])
    gyro = None
    if any(b.gyro is not None for b in batches):  # before the first IMU frame: zeros
        gyro = np.concatenate([b.gyro if b.gyro is not None else np.zeros((len(b.seq), 3)) for b in batches])
    out = Batch(cat("seq"), cat("t_s"), cat("counts"), cat("force_n"), gyro)
    if seconds is not None:
        keep = out.t_s < seconds - 1e-9
        out = Batch(out.seq[keep], out.t_s[keep], out.counts[keep], out.force_n[keep],
                    None if gyro is None else gyro[keep])
    return out
