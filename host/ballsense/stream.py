"""source -> frames -> samples in order -> newtons: the front half of every
command, live and offline alike, in stages along the data flow:

  Intake      raw frames -> decoded frames (each decoded once, counted) ->
              samples placed in their epoch (protocol.Assembler) -> samples in
              sequence order, each once (Sequencer) -> Batches of newtons
  Stream      the live driver: a source's frames into an Intake, backfill
              requests back to the ball, every frame and decision to the
              recorder (a sink: recording.Recorder)

Offline (traces.from_rec) drives the same Intake from a recording, with the
decisions the live session made (recording.Decisions) instead of a clock."""
import asyncio
import heapq
import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from ballsense_fw.boards import sim_clock
from ballsense_fw.boards.sim_clock import TICKS_MASK

from . import calibration
from .errors import UserError
from .protocol import (Assembler, FrameError, decode, encode_command, C_STATUS, C_BACKFILL, E_BACKFILL_GONE,
                       E_NOT_PAIRED, F_IMU, SENSORS)

# At a gap the detector waits this long for the backfill, then goes on without
# it: alerts are late by at most this much, and never repeated.
GAP_WAIT_S = 2.0
BACKFILL_RETRY_S = 2.0  # ask again for a gap still open after this long
STATUS_RETRY_S = 0.5    # ask for a status again while frames of an unknown epoch wait
# Nothing from a live ball this long (it sends a status every second): the
# person is told. A drop repaired sooner is not worth a word.
NO_SIGNAL_S = 3.0
NOT_PAIRED = ("the ball lets this computer listen but not command it (not paired over Bluetooth): samples lost "
              "in a dropout are not recovered and the on-ball alert is off; run `ballsense pair` once")
log = logging.getLogger(__name__)
# the emulated ball's ticks are the host's monotonic clock (boards/sim.py):
# the host reads them the same way to time each sample's latency
_TICKS = sim_clock.Clock(1)
now_us, ticks_diff = _TICKS.ticks_us, _TICKS.ticks_diff


@dataclass
class Batch:
    seq: np.ndarray
    t_s: np.ndarray
    counts: np.ndarray
    force_n: np.ndarray
    gyro: np.ndarray = None  # (n, 3) dps, or None without an IMU
    late: bool = False       # held back for a gap before it (or backfilled): a catch-up
    epoch: int = 0           # the session's epoch (one rate): a batch never spans two
    rate_hz: int = 0


class Sequencer:
    """Samples in arrival order -> runs of samples in sequence order, each
    once. A gap holds back what follows it until the backfill fills it or,
    after `wait_s` (None: never; offline, the recording has every frame there
    is), it is given up: a decision the recording keeps."""

    def __init__(self, asm, wait_s=GAP_WAIT_S, skips=()):
        self.asm = asm
        self.wait_s = wait_s
        self.skips = list(skips)  # offline: (epoch, start, end) the live session gave up
        self.held = {}            # (epoch, seq) -> (Sample, the add() it came in)
        self.keys = []            # a heap of the held keys (and some released: skipped when seen)
        self.adds = 0
        self.at = None            # (epoch, seq) of the next sample to release
        self.deadline = None      # host time the gap holding things back is given up
        self.dropped = 0          # arrived after their gap was given up
        self.decisions = []

    def add(self, samples):
        """-> the runs free to go at once. Samples arriving in order while
        nothing waits take the fast path: alerts are not delayed."""
        self.adds += 1
        if not samples:
            return []
        s0, s1 = samples[0], samples[-1]
        if self.at is None:
            self.at = (s0.epoch, s0.seq)
        if not self.held and (s0.epoch, s0.seq) == self.at and s1.seq - s0.seq == len(samples) - 1:
            self.at = (s0.epoch, s1.seq + 1)
            return [(samples, False)]
        for s in samples:
            if (s.epoch, s.seq) < self.at:
                self.dropped += 1
            else:
                self.held[(s.epoch, s.seq)] = (s, self.adds)
                heapq.heappush(self.keys, (s.epoch, s.seq))
        return []

    def release(self, now, flush=False):
        """-> [(run, late)] now free to go; `flush` gives up every gap. A run
        is late when part of it waited (came in an earlier add())."""
        out = []
        self.deadline = None
        while self.held:
            e, s = self.at
            run, late = [], False
            while (e, s) in self.held:
                sample, came = self.held.pop((e, s))
                run.append(sample)
                late = late or came < self.adds
                s += 1
            self.at = (e, s)
            if run:
                out.append((run, late))
                continue
            if not self._past_gap(e, s, now, flush):
                break
        return out

    def _past_gap(self, e, s, now, flush):
        """Blocked at sample s of epoch e: move on if the epoch is over or the
        gap is given up; False while it is still worth waiting."""
        eps = self.asm.epochs
        while self.keys[0] not in self.held:
            heapq.heappop(self.keys)
        later = self.keys[0][1] if self.keys[0][0] == e else None  # the next sample held in this epoch
        end = self._end(e)
        if later is None and end is not None and s >= end:  # epoch over: the next one
            nxt = eps[e + 1]
            self.at = (e + 1, nxt.start if nxt.start is not None else nxt.first)
            return True
        to = later if later is not None else end
        miss = [m for m in eps[e].missing if m[0] <= s < m[1]]
        if self.wait_s is None and not flush:  # offline: only what the live session gave up
            rec = [b for ep, a, b in self.skips if ep == e and a <= s < b]
            if not rec:
                return False
            to = rec[0]
        elif miss and not flush and self.wait_s > 0 and now - miss[0][2] < self.wait_s:
            self.deadline = miss[0][2] + self.wait_s
            return False
        self._give_up(e, s, to)
        self.at = (e, to)
        for k in [k for k in self.held if k < self.at]:  # came after the gap was given up
            del self.held[k]
            self.dropped += 1
        return True

    def _end(self, e):
        """One past the last sample of epoch e, once known (a later epoch began)."""
        eps = self.asm.epochs
        if e + 1 >= len(eps):
            return None
        nxt = eps[e + 1]
        return nxt.start if nxt.prev is eps[e] else eps[e].newest + 1

    def _give_up(self, e, s, to):
        ep = self.asm.epochs[e]
        t = ep.offset_s + ((ep.t_ref[1] + (s - ep.t_ref[0]) * ep.period_ms) - ep.dev0_ms) / 1000 \
            if ep.t_ref else None
        gap = {"epoch": e, "start": s, "end": to, "t_s": None if t is None else round(t, 3)}
        self.decisions.append({"gap": gap})
        log.info("gap of %d samples at %s s not backfilled in time: the detector goes on without them",
                 to - s, gap["t_s"])


class Intake:
    """Raw frames -> Batches of newtons in sequence order: the one front half
    of live and offline. `calibrate(status, name)` chooses the calibration at
    the first status frame; `recorded` (offline) is a recording.Decisions."""

    def __init__(self, calibrate=calibration.from_status, wait_s=GAP_WAIT_S, recorded=None):
        self.asm = Assembler(recorded=recorded.epochs if recorded else None)
        self.seq = Sequencer(self.asm, None if recorded else wait_s, recorded.gaps if recorded else ())
        self.calibrate = calibrate
        self.calib = None
        self.bad_frames = 0
        self.data_bytes = self.data_samples = 0  # data frames as received (BLE payload size)
        self.stats = {}        # the ball's latest stats frame
        self.last = None       # the latest decoded frame
        self.notes = []        # decisions made, for the recording (taken by the caller)

    def frame(self, raw, now=0.0):
        """One raw frame -> the Batches it frees."""
        return self.batches(self.runs(raw, now))

    def tick(self, now):
        """Deadlines: -> Batches freed by a gap given up."""
        if self.seq.deadline is None or now < self.seq.deadline:
            return []
        return self.batches(self._made(self.seq.release(now)))

    def flush(self, now=0.0):
        """The end: every gap given up, everything held released."""
        return self.batches(self.flush_runs(now))

    def runs(self, raw, now=0.0):
        """One raw frame -> the runs of samples it frees, each with how to
        make it newtons: [(samples, late, calibration, has IMU)]."""
        try:
            f = decode(raw)
        except FrameError:
            self.bad_frames += 1
            return []
        self.last = f
        kind = f["type"]
        if kind == "data":
            self.data_bytes += len(raw)
            self.data_samples += len(f["force"])
        elif kind == "stats":
            self.stats = f
        elif kind == "status" and (self.calib is None or SENSORS.get(f["sensor"]) != self.calib.sensor):
            self.calib = self.calibrate(f, self.asm.name)
            self.notes.append({"calibration": self.calib.to_dict()})
        runs = self.seq.add(self.asm.feed(f, now))
        if self.asm.decisions:
            self.notes += self.asm.decisions
            self.asm.decisions = []
            runs += self.seq.release(now)  # a new epoch may end the wait for an old one
        elif self.seq.held:
            runs += self.seq.release(now)
        return self._made(runs)

    def flush_runs(self, now=0.0):
        return self._made(self.seq.release(now, flush=True))

    def _made(self, runs):
        if self.seq.decisions:
            self.notes += self.seq.decisions
            self.seq.decisions = []
        imu = bool(self.asm.status.get("flags", 0) & F_IMU)
        return [(run, late or run[0].late, self.calib, imu) for run, late in runs]

    def batches(self, runs):
        """Runs -> Batches, one for each stretch of runs in sequence in one
        epoch with one calibration (live: mostly one run; offline: few)."""
        out, group = [], []
        for r in runs:
            if group and not self._joins(group[-1], r):
                out.append(self._batch(group))
                group = []
            group.append(r)
        if group:
            out.append(self._batch(group))
        return out

    @staticmethod
    def _joins(a, b):
        return (a[0][-1].epoch == b[0][0].epoch and a[0][-1].seq + 1 == b[0][0].seq and a[2:] == b[2:]
                and a[1] == b[1])

    def _batch(self, group):
        samples = [s for run, _, _, _ in group for s in run]
        _, late, calib, imu = group[0]
        ep = self.asm.epochs[samples[0].epoch]
        n = len(samples)
        counts = np.fromiter((s.counts for s in samples), float, n)
        gyro = np.array([s.gyro or (0, 0, 0) for s in samples], float) if imu else None
        seq = np.fromiter((s.seq for s in samples), np.int64, n)
        return Batch(seq, np.fromiter((s.t_s for s in samples), float, n), counts, calib.newtons(counts), gyro,
                     late, ep.n, ep.rate_hz)

    def take_notes(self):
        notes, self.notes = self.notes, []
        return notes


class Stream:
    """A live source through an Intake. `recorder` (recording.Recorder, or a
    RecWriter) gets every frame as received and every decision made."""

    def __init__(self, source, recorder=None, calib=None, clock=time.monotonic):
        from .recording import Recorder
        self.src = source
        self.rec = recorder if recorder is None or isinstance(recorder, Recorder) else Recorder(writer=recorder)
        self.clock = clock
        rec = source.decisions  # a recording played back: its decisions, and wait for its end
        if calib is None and rec is not None and rec.calibration:
            calib = calibration.from_dict(rec.calibration, "the recording")
        choose = (lambda st, name: calib) if calib is not None else calibration.from_status
        self.intake = Intake(choose, GAP_WAIT_S, recorded=rec)
        self.link = source.link
        self.link_events = []  # (host monotonic s, state, info) as the source reports them
        self._asked = {}       # gap end -> when backfill was last requested
        self._backfills = {}   # token -> (epoch, start, end) asked for
        self._gone = []        # (epoch, start, end, when) the ball said its ring no longer holds
        self._status_asked = -1e9
        self._token = 1
        # age of each live sample on arrival (emulated ball only); bounded so a
        # long session does not grow
        self.latencies_ms = deque(maxlen=200000)
        self.not_paired = False  # the ball refuses our commands (BLE without a bond)
        self._frames = None      # the source's frames, read once (drain goes on from there)
        self._next = None
        self._ended = False
        self.no_signal = False   # nothing heard for NO_SIGNAL_S (a live source only)
        self.silences = 0        # ... how many times
        self.on_change = None    # called when the link or no_signal changes (the Pipeline's view)
        self._heard_at = None
        self._watch = None
        source.on_link = self._on_link

    # what the stages know, for the commands that report it
    asm = property(lambda self: self.intake.asm)
    calib = property(lambda self: self.intake.calib)
    status = property(lambda self: self.intake.asm.status)
    stats = property(lambda self: self.intake.stats, lambda self, v: setattr(self.intake, "stats", v))
    bad_frames = property(lambda self: self.intake.bad_frames)
    data_bytes = property(lambda self: self.intake.data_bytes)
    data_samples = property(lambda self: self.intake.data_samples)

    def _on_link(self, state, **info):
        """Sources call this on link changes (connected, lost, reconnecting...)."""
        self.link_events.append((self.clock(), state, info))
        self.link = state if state != "connected" else self.src.link
        self.note(link=state, **info)
        self._changed()

    def _changed(self):
        if self.on_change is not None:
            self.on_change()

    def _heard(self):
        self._heard_at = self.clock()
        if self.no_signal:
            self.no_signal = False
            self.note(signal="back")
            self._changed()

    async def _watch_signal(self):
        """Live sources: say when nothing has come for NO_SIGNAL_S, whatever
        the cause (out of range, reconnecting, a ball that hangs with the link up)."""
        while True:
            await asyncio.sleep(NO_SIGNAL_S / 6)
            if not self.no_signal and self._heard_at is not None and self.clock() - self._heard_at >= NO_SIGNAL_S:
                self.no_signal = True
                self.silences += 1
                self.note(signal="none", since_s=NO_SIGNAL_S)
                log.warning("nothing from the ball for %.0f s (link %s)", NO_SIGNAL_S, self.link)
                self._changed()

    def note(self, **fields):
        if self.rec is not None:
            self.rec.note(**fields)

    # ---- the sync steps (the async loop below, and tests with a scripted ball) ----

    def receive(self, raw):
        """One raw frame as received -> the Batches it frees."""
        if self.rec is not None:
            self.rec.frame(raw)
        self._heard()
        out = self.intake.frame(raw, self.clock())
        f = self.intake.last
        if f is not None and f["type"] == "status":
            if f["error"] == E_NOT_PAIRED and not self.not_paired:
                self.not_paired = True
                self.intake.seq.wait_s = 0  # no backfill will come: do not wait for it
                log.warning(NOT_PAIRED)
            elif f["error"] == E_BACKFILL_GONE and f["token"] in self._backfills:
                self._gone.append((*self._backfills.pop(f["token"]), self.clock()))
        return self._noted(out)

    def tick(self):
        """-> Batches freed by a gap given up (its wait over)."""
        return self._noted(self.intake.tick(self.clock()))

    def end(self):
        """The source ended: what was held back, its gaps given up."""
        self._ended = True
        return self._noted(self.intake.flush(self.clock()))

    def _noted(self, out):
        for n in self.intake.take_notes():
            self.note(**n)
        return out

    def requests(self):
        """Command frames to send now: backfill for the gaps, a status for
        frames of an epoch not yet described."""
        if not self.src.commands:
            return []
        now = self.clock()
        out = []
        for g in [g for g in self._gone if now - g[3] > BACKFILL_RETRY_S]:
            self._gone.remove(g)  # what remained in the ring has come by now: the rest is lost
            n = self.asm.forget(*g[:3])
            if n:
                log.warning("%d samples lost: the link was away longer than the ball's ring holds", n)
        if self.asm.pending and now - self._status_asked > STATUS_RETRY_S:
            self._status_asked = now
            out.append(encode_command(C_STATUS, 0))
        for ep, start, end, _ in self.asm.missing:
            key = (ep.n, end)
            if now - self._asked.get(key, -1e9) < BACKFILL_RETRY_S:
                continue
            self._asked[key] = now
            self._token = self._token % 255 + 1
            self._backfills[self._token] = (ep.n, start, end)
            log.debug("backfill %d samples from seq %d (epoch %d)", end - start, start, ep.n)
            out.append(encode_command(C_BACKFILL, self._token, start & 0xFFFF, min(end - start, 0xFFFF)))
        return out

    # ---- the async loop ------------------------------------------------------------

    async def _frame(self, timeout):
        """The next raw frame; None at the timeout; StopAsyncIteration at the end."""
        if self._frames is None:
            self._frames = self.src.frames().__aiter__()
        if self._next is None:
            if timeout is None:  # the usual case, nothing held back: no task, no timer
                return await self._frames.__anext__()
            self._next = asyncio.ensure_future(self._frames.__anext__())
        done, _ = await asyncio.wait({self._next}, timeout=timeout)
        if not done:
            return None
        task, self._next = self._next, None
        return task.result()

    async def batches(self):
        """Yields Batches in sequence order as they are freed; at the end of
        the source, what was held back, its gaps given up."""
        if self._frames is None:
            await self.src.send(encode_command(C_STATUS, 1))
            if self.src.commands:  # a ball on the other end (not a recording played back)
                self._heard_at = self.clock()
                self._watch = asyncio.ensure_future(self._watch_signal())
        while not self._ended:
            dl = self.intake.seq.deadline
            try:
                raw = await self._frame(None if dl is None else max(0.0, dl - self.clock()))
            except StopAsyncIteration:
                self.close()
                out = self.end()
            else:
                out = self.tick() if raw is None else self.receive(raw)
                for cmd in self.requests():
                    await self.src.send(cmd)
            for b in out:
                self._latency(b)
                yield b

    async def drain(self, timeout=10.0):
        """Keep reading until every gap has been backfilled (or timeout): a
        link that dropped just before the end still delivers what it owes.
        Reads on from where batches() stopped: the source is read once."""
        async def until_whole():
            async for _ in self.batches():
                if not self.asm.missing:
                    return
        if self.asm.missing and not self._ended:
            try:
                await asyncio.wait_for(until_whole(), timeout)
            except asyncio.TimeoutError:
                pass

    def close(self):
        if self._next is not None:
            self._next.cancel()
        if self._watch is not None:
            self._watch.cancel()

    def sample_host_us(self, t_s):
        """When a sample (session time t_s) was taken, in host monotonic us mod
        2^30, where the source can tell (the emulated ball); else None."""
        t0 = self.src.device_t0_us
        if t0 is None or self.asm.t0_ms is None:
            return None
        return (t0 + int((self.asm.t0_ms + t_s * 1000) * 1000)) & TICKS_MASK

    def _latency(self, b):
        """How old each live (not held back, not backfilled) sample is when it arrives."""
        if b.late or self.src.device_t0_us is None:
            return
        now = now_us()
        for t in b.t_s:
            self.latencies_ms.append(ticks_diff(now, self.sample_host_us(t)) / 1000)


async def collect(stream, seconds=None, wall_limit=None, on_batch=None):
    """Run a stream until `seconds` of device time were received (or the source
    ends); `wall_limit` guards against a ball that sends nothing."""
    got = []

    async def run():
        async for b in stream.batches():
            got.append(b)
            if on_batch:
                on_batch(b)
            if seconds is not None and b.t_s[-1] >= seconds - 0.5 / max(b.rate_hz, 1):
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
