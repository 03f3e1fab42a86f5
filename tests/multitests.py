"""MicroPython's multitests with one instance swapped: instance0 (the
peripheral half, code nobody here wrote, pinned under tests/thirdparty/) runs
under the real `micropython` on the stand-in `bluetooth`, exactly as
run-multitests.py runs it (its own `multitest` class, taken from the pinned
run-multitests.py, not rewritten); instance1 is a central written once with
bleak (centrals.py), talking to it through the emulated BlueZ.

As run-multitests.py does: the peripheral starts first; its "SET" lines become
the central's globals; at "NEXT" the central starts; "BROADCAST x" lines are
relayed to the other side; every other line is output, compared with the
instance's section of the test's .exp file."""
import ast
import asyncio
import os
import re
from pathlib import Path

from ballsense.emulation.device import micropython_path
from ballsense.sources.simble import RADIO_DIR

THIRDPARTY = Path(__file__).resolve().parent / "thirdparty"
AIOBLE = THIRDPARTY / "aioble"
MULTI = THIRDPARTY / "multi_bluetooth"
TIMEOUT_S = 30


def _template():
    """run-multitests.py's APPEND_CODE_TEMPLATE: the `multitest` class an instance gets."""
    src = (MULTI / "run-multitests.py").read_text()
    return re.search(r'APPEND_CODE_TEMPLATE = """(.*?)"""', src, re.S).group(1)


def expected(test_file):
    """The .exp file -> {0: [lines of instance0], 1: [...]}."""
    out, cur = {}, None
    for line in Path(str(test_file) + ".exp").read_text().splitlines():
        m = re.match(r"--- instance(\d+) ---$", line)
        if m:
            cur = out.setdefault(int(m.group(1)), [])
        elif cur is not None:
            cur.append(line)
    return out


class Session:
    """One run: the peripheral process and what passes between it and the central."""

    def __init__(self, test_file, radio_port):
        self.test_file = Path(test_file)
        self.port = radio_port
        self.globals = {}
        self.output = {0: [], 1: []}
        self.proc = None
        self._next = asyncio.Event()
        self._heard = []               # broadcasts from the peripheral, in order
        self._news = asyncio.Condition()

    async def start(self):
        prepend = (f"import sys\nsys.path.insert(0, {str(RADIO_DIR)!r})\n"
                   f"sys.path.insert(0, {str(AIOBLE)!r})\n")
        script = prepend + self.test_file.read_text() + "\n" + _template().format("", 0)
        env = dict(os.environ, BALLSENSE_RADIO_PORT=str(self.port))
        self.proc = await asyncio.create_subprocess_exec(
            micropython_path(), "-c", script, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, cwd=str(self.test_file.parent))
        self._reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.proc.stdout:
            line = raw.decode(errors="backslashreplace").rstrip()
            if line.startswith("SET "):
                name, value = line[4:].split(" = ", 1)
                self.globals[name] = ast.literal_eval(value)
            elif line == "NEXT":
                self._next.set()
            elif line.startswith("BROADCAST "):
                async with self._news:
                    self._heard.append(line[10:])
                    self._news.notify_all()
            else:
                self.output[0].append(line)
        self._next.set()  # it ended (or died) before NEXT: let the central see that

    # ---- what the central may do (the `multitest` API, central side) ----------

    async def next(self):
        await asyncio.wait_for(self._next.wait(), TIMEOUT_S)

    async def wait(self, msg):
        async with self._news:
            await asyncio.wait_for(self._news.wait_for(lambda: msg in self._heard), TIMEOUT_S)
            self._heard.remove(msg)

    def broadcast(self, msg):
        self.proc.stdin.write(f"BROADCAST {msg}\r\n".encode())

    def print(self, *args):
        self.output[1].append(" ".join(str(a) for a in args))

    @property
    def address(self):
        """BDADDR as the peripheral published it -> "AA:BB:...", how BlueZ names it."""
        return ":".join(f"{b:02X}" for b in self.globals["BDADDR"][1])

    async def finish(self):
        try:
            await asyncio.wait_for(self.proc.wait(), TIMEOUT_S)
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            await self._reader


async def run(test_file, radio_port, central):
    """Run one multitest: -> {0: peripheral output lines, 1: central output lines}."""
    s = Session(test_file, radio_port)
    await s.start()
    try:
        await s.next()
        if s.proc.returncode is None or s.output[0]:
            await asyncio.wait_for(central(s), TIMEOUT_S)
    finally:
        await s.finish()
    return s.output
