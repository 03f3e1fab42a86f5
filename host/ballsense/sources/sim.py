"""The emulated ball: the real firmware under the MicroPython Unix port, its
board simulated (ballsense_fw/boards/sim.py), its USB serial a pseudo-terminal
read with pyserial like any ball. Where no `micropython` exists (no wheel for
the platform) the same firmware runs under CPython, and says so."""
import json
import logging
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import tty
from pathlib import Path


from .. import scenarios, sensors
from ..emulation.process import end
from ..errors import UserError
from . import FLAG
from ..flash import FIRMWARE_DIR  # one place says where the firmware is
from .serial import SerialSource
_BOOT = "import sys; sys.path.insert(0, {fw!r}); from ballsense_fw import app; app.main()"
IDLE_TRACE_S = 600
log = logging.getLogger(__name__)  # an unloaded ball's trace, when there is no scenario


def micropython_cmd():
    """The MicroPython Unix port if installed, else CPython (with a note)."""
    mp = shutil.which("micropython") or shutil.which("micropython", path=os.path.dirname(sys.executable))
    if mp:
        return [mp], "micropython"
    return [sys.executable, "-u"], "cpython"


def compile_firmware(out):
    """Every firmware module to .mpy under `out`, as `flash` builds them."""
    from ..flash import build
    for rel, data in build(FIRMWARE_DIR, None).items():
        if rel.endswith(".mpy"):
            dst = Path(out) / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
    return out


def write_trace(folder, scenario):
    """The force trace the emulated board reads (BALLSENSE_SCENARIO): the
    scenario, or with none an unloaded ball (long enough to be squeezed)."""
    path = os.path.join(folder, "scenario.bsim")
    if scenario is not None:
        scenario.write(path)
    else:
        from ballsense_fw.boards.sim import trace_header
        with open(path, "wb") as f:
            f.write(trace_header(scenarios.RATE_HZ, 1))
            f.write(bytes(4 * scenarios.RATE_HZ * IDLE_TRACE_S))
    return path


class SimSource(SerialSource):
    """sim://[SCENARIO]: the emulated ball on USB."""
    link = "sim-usb"
    OPTIONS = {"seed": int, "speed": int, "sensor": str, "imu": FLAG, "heapsize": str, "fault": str, "mpy": FLAG}

    def __init__(self, scenario="session", seed=0, speed=1, sensor=sensors.DEFAULT, imu=True, heapsize=None,
                 fault="", mpy=None):
        super().__init__(port=None)
        self.speed = speed
        self.seed = seed
        sensors.model(sensor)  # a kind the ball knows, or a one-line error
        self.scenario = scenarios.make(scenario, self.seed) if scenario != "none" else None
        self.sensor = sensor
        self.imu = imu
        self.heapsize = heapsize
        # a small heap needs the firmware precompiled, as flash installs it
        self.mpy = mpy if mpy is not None else bool(heapsize)
        self.fault = fault
        self.proc = None
        self.interpreter = None
        self._t0 = None

    def _open(self):
        self.dir = tempfile.mkdtemp(prefix="ballsense-sim-")
        cfg = {"name": "ballsense-sim", "board": "sim", "sensor": self.sensor, "imu": self.imu}
        Path(self.dir, "ballsense.json").write_text(json.dumps(cfg))
        env = dict(os.environ, BALLSENSE_SPEED=str(self.speed), BALLSENSE_FAULT=self.fault)
        env["BALLSENSE_SCENARIO"] = write_trace(self.dir, self.scenario)
        fw = str(FIRMWARE_DIR)
        if self.mpy:
            fw = compile_firmware(os.path.join(self.dir, "lib"))
        master, slave = pty.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        cmd, self.interpreter = micropython_cmd()
        if self.interpreter == "micropython" and self.heapsize:
            cmd = cmd + ["-X", f"heapsize={self.heapsize}"]
        if self.interpreter == "cpython":
            log.warning("no MicroPython for this platform: the emulated ball runs its firmware under CPython")
        self.proc = subprocess.Popen(cmd + ["-c", _BOOT.format(fw=fw)], cwd=self.dir,
                                     stdin=master, stdout=master, stderr=subprocess.PIPE, env=env)
        os.close(master)
        self.port = os.ttyname(slave)
        super()._open()
        os.close(slave)  # pyserial holds its own descriptor

    @classmethod
    def from_url(cls, url, rest, options):
        return cls(rest or "session", **options)

    @property
    def device_t0_us(self):
        """Sample 0's due time in host time.monotonic() microseconds mod 2^30
        (the emulated ball shares the machine's monotonic clock), or None."""
        if self._t0 is None and self.speed == 1:
            try:
                self._t0 = int(open(os.path.join(self.dir, "clock")).read().split()[0])
            except (OSError, ValueError, IndexError):
                return None
        return self._t0

    async def __aexit__(self, *exc):
        if self.proc is not None:
            end(self.proc)
            self.stderr = self.proc.stderr.read().decode(errors="replace")
            self.proc.stderr.close()
        await super().__aexit__(*exc)
        shutil.rmtree(self.dir, ignore_errors=True)


SOURCE = SimSource
