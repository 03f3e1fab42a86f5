"""A scripted ball for the host's tests, below the CLI: the real firmware App
(under CPython) on a board whose force follows a script and whose clock is
virtual, a radio that loses frames in dropouts and delays commands, and the
host's live Stream and Pipeline driven on the same virtual time. Fast enough
for hundreds of property-test sessions; the emulated ball (the firmware under
MicroPython, a pty or the emulated BLE) is what the CLI tests use."""
import math
import os
import sys
import tempfile

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "firmware"))
from fakes import ListLink, VirtualClock  # noqa: E402

from ballsense_fw import app as fw_app, protocol as FP  # noqa: E402
from ballsense_fw.app import App  # noqa: E402
from ballsense_fw.boards import sim  # noqa: E402

from ballsense.pipeline import Pipeline  # noqa: E402
from ballsense.recording import Recorder  # noqa: E402
from ballsense.sources import Source  # noqa: E402
from ballsense.stream import Stream  # noqa: E402

LATENCY_S = 0.005


class _Heap:
    """The firmware's gc.collect() keeps a small heap whole; CPython's would
    take 50 ms a call here, over the test process's whole heap."""
    @staticmethod
    def collect():
        pass


fw_app.gc = _Heap


class Board:
    """The emulated board's parts (boards/sim.py) with a virtual clock and a
    force given as a function of world time."""
    NAME, BOARD_ID, PINS = sim.NAME, sim.BOARD_ID, sim.PINS
    VREF_UV, FSR_DIVIDER_OHMS, HX711_SPS = sim.VREF_UV, sim.FSR_DIVIDER_OHMS, sim.HX711_SPS

    def __init__(self, force):
        self.clock = VirtualClock()
        self.t0 = self.clock.now
        self.force = force

    def now_s(self):
        return ((self.clock.now - self.t0) & VirtualClock.MASK) / 1e6

    def ADC(self, pin):
        board = self

        class _ADC:
            def read_uv(self):
                return int(sim.fsr_volts_uv(board.force(board.now_s())))
        return _ADC()

    def Pin(self, pin, mode):
        return sim._Output()

    def battery_pct(self):
        return 87


class ScriptSource(Source):
    """The host's end of the scripted radio (the World pushes frames in)."""
    link = "script"

    def frames(self):
        raise NotImplementedError("the World drives the Stream's sync steps")

    async def send(self, frame):
        raise NotImplementedError


def session_force(spikes=(5.0, 9.0, 13.0), load=80.0, spike=135.0, lift_at=None):
    """Idle, a settle to `load`, slow breaths, presses to `spike`, a lift-off."""
    def force(t):
        if t < 1.0:
            return 0.0
        if lift_at is not None and t >= lift_at:
            return 0.0
        f = load * min(1.0, t - 1.0) + 2.0 * math.sin(2 * math.pi * 0.15 * t)
        for s in spikes:
            if s <= t < s + 0.4:
                f += (spike - load) * math.sin(math.pi * (t - s) / 0.4)
        return f
    return force


class World:
    """One session: the ball, the radio and the live host, on virtual time.
    `dropouts`: [(start_s, length_s)] the link loses everything both ways;
    `backfill_delay_s`: how long a command takes to reach the ball;
    `rate_changes`: [(t_s, hz)] the host commands set_rate; `reboot_at`: the
    ball restarts then."""

    def __init__(self, folder, force, rate_hz=100, gentle_max=None, dropouts=(), backfill_delay_s=0.02,
                 rate_changes=(), reboot_at=None):
        self.folder = folder
        self.board = Board(force)
        self.dropouts = list(dropouts)
        self.delay = backfill_delay_s
        self.events_due = sorted([(t, "rate", hz) for t, hz in rate_changes] +
                                 ([(reboot_at, "reboot", None)] if reboot_at is not None else []))
        self.link = ListLink()
        self.air = []      # (arrival s, frame) ball -> host
        self.to_ball = []  # (arrival s, command) host -> ball
        self.boots = []    # each boot's App: every sample it made is in its ring
        self.epochs = []   # each boot's epoch bytes
        self.rate_hz = rate_hz
        self.now = 0.0
        cwd = os.getcwd()
        os.chdir(folder)  # the firmware keeps its config and epoch here
        try:
            # a link with a large MTU (244-byte payload): frames of up to 100 ms
            cfg = {"name": "script", "board": "sim", "rate_hz": rate_hz, "payload": 244}
            import json
            with open("ballsense.json", "w") as f:
                json.dump(cfg, f)
            self._boot()
        finally:
            os.chdir(cwd)
        self.path = os.path.join(folder, "s.rec")
        self.rec = Recorder(self.path, {"source": "script", "tool": "test"})
        self.stream = Stream(ScriptSource(), self.rec, clock=lambda: self.now)
        self.pipe = Pipeline(self.stream, gentle_max, [self.rec])
        self.pipe.view.link = "script"
        for s in self.pipe.sinks:
            s.start(self.pipe.view)

    def _boot(self):
        app = App(self.board, [self.link])
        app.start()
        self.boots.append(app)
        self.epochs.append({app.ring.epoch})
        self.app = app

    def _lost(self, t):
        return any(a <= t < a + d for a, d in self.dropouts)

    def _host(self, batches):
        for b in batches:
            self.pipe.feed(b)

    def _send(self, cmd):
        if not self._lost(self.now):
            self.to_ball.append((self.now + self.delay, cmd))

    def step(self, producing=True):
        """One ball sample period (or, not producing, 5 ms of radio only)."""
        cwd = os.getcwd()
        os.chdir(self.folder)
        try:
            if producing:
                self.app.step()
            else:
                self.board.clock.sleep_us(5000)
                self.app.service()
        finally:
            os.chdir(cwd)
        self.now = self.board.now_s()
        self.epochs[-1].add(self.app.ring.epoch)
        while self.events_due and self.events_due[0][0] <= self.now:
            _, kind, arg = self.events_due.pop(0)
            if kind == "rate":
                self._send(FP.encode_command(FP.C_SET_RATE, 9, arg))
            else:
                os.chdir(self.folder)
                try:
                    self._boot()
                finally:
                    os.chdir(cwd)
        for f in self.link.sent:
            if not self._lost(self.now):
                self.air.append((self.now + LATENCY_S, f))
        self.link.sent = []
        while self.air and self.air[0][0] <= self.now:
            _, f = self.air.pop(0)
            self._host(self.stream.receive(f))
            for cmd in self.stream.requests():
                self._send(cmd)
        self._host(self.stream.tick())
        due = [c for t, c in self.to_ball if t <= self.now]
        self.to_ball = [(t, c) for t, c in self.to_ball if t > self.now]
        self.link.inbox += [c for c in due if not self._lost(self.now)]

    def run(self, seconds, drain_s=10.0):
        """`seconds` of session, then on (the ball keeps sampling, as a ball
        does) until the link has delivered what it owes, at most `drain_s`."""
        last_drop = max([a + d for a, d in self.dropouts], default=0.0)
        while self.now < seconds or (self.now < seconds + drain_s and (
                self.stream.asm.missing or self.air or self.to_ball or self.now < last_drop + 0.1)):
            self.step()
        self._host(self.stream.end())
        self.pipe.finish()
        self.rec.close()
        return self

    def produced(self):
        """(boot, seq) of every sample each boot made and sent (a ball that
        stops, or reboots, takes the last few it had not sent yet with it)."""
        return {(b, s) for b, app in enumerate(self.boots) for s in range(app.streamer.sent)}

    def recorded(self):
        """(boot, seq) of every sample in the recording's data frames."""
        from ballsense.protocol import decode
        from ballsense.recording import Recording
        out = set()
        for raw in Recording(self.path).frames():
            f = decode(raw)
            if f["type"] == "data":
                b = max(i for i, e in enumerate(self.epochs) if f["epoch"] in e)
                out |= {(b, f["seq"] + i) for i in range(len(f["force"]))}
        return out


def new_folder():
    return tempfile.mkdtemp(prefix="ballsense-script-")
