"""A ball on a serial port (USB CDC, a pty, or any pyserial URL). A reader
thread only moves bytes into an asyncio queue; deframing happens on the loop."""
import asyncio
import binascii
import errno
import re
import threading
from urllib.parse import urlsplit

import serial

from ..errors import UserError
from ..protocol import Deframer
from . import Source


def open_error(port, e):
    """pyserial's exception on opening -> what was wrong and what to do."""
    text = str(e)
    code = getattr(e, "errno", None)
    if code == errno.EBUSY or "busy" in text.lower() or "exclusively lock" in text:
        return UserError(f"{port} is busy: close the other program using it (another ballsense, mpremote, "
                         "a serial monitor)")
    if code == errno.ENOENT or "No such file" in text:
        return UserError(f"cannot open {port}: no such port: plug the ball in and check the name "
                         "(python -m serial.tools.list_ports lists the ports)")
    if "refused" in text:
        return UserError(f"cannot open {port}: connection refused: nothing listens there; start the bridge "
                         "or check HOST:PORT")
    if code == errno.EACCES or "Permission denied" in text:
        return UserError(f"cannot open {port}: permission denied: add yourself to the dialout group "
                         "(sudo usermod -aG dialout $USER) and log in again")
    why = re.sub(r"\[Errno -?\d+\] |[Cc]ould not open port " + re.escape(str(port)) + ": ", "", text)
    return UserError(f"cannot open {port}: {why}; check the port name and that the ball is plugged in")


class SerialSource(Source):
    """serial:///dev/ttyACM0 (or a bare device path): a ball on USB serial."""
    link = "usb"
    OPTIONS = {"baudrate": int}

    def __init__(self, port, baudrate=115200):
        super().__init__()
        self.port = port
        self.baudrate = baudrate
        self.deframer = Deframer()
        self.ser = None
        self._q = None
        self._stop = threading.Event()

    @classmethod
    def from_url(cls, url, rest, options):
        if not rest:
            raise UserError(f"{url}: no port named: give one, e.g. serial:///dev/ttyACM0")
        return cls(rest, **options)

    @property
    def bad_frames(self):
        return self.deframer.stats.bad_frames

    async def __aenter__(self):
        self._open()
        loop = asyncio.get_running_loop()
        self._q = asyncio.Queue()
        self._thread = threading.Thread(target=self._reader, args=(loop,), daemon=True)
        self._thread.start()
        return self

    def _open(self):
        try:
            self.ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as e:
            raise open_error(self.port, e) from None

    def _reader(self, loop):
        while not self._stop.is_set():
            try:
                # wait for the first byte, then take whatever else has arrived:
                # a plain read(n) would sit out its timeout and delay alerts
                data = self.ser.read(1)
                if data:
                    data += self.ser.read(self.ser.in_waiting)
            except (serial.SerialException, OSError, TypeError, AttributeError):
                data = None
            if data is None:
                loop.call_soon_threadsafe(self._q.put_nowait, None)
                return
            if data:
                loop.call_soon_threadsafe(self._q.put_nowait, data)

    async def frames(self):
        while True:
            data = await self._q.get()
            if data is None:
                return  # port closed: the ball went away
            for f in self.deframer.feed(data):
                yield f

    async def send(self, frame):
        self.ser.write(binascii.hexlify(frame) + b"\n")

    async def __aexit__(self, *exc):
        self._stop.set()
        if self.ser is not None:
            try:
                self.ser.cancel_read()
            except Exception:
                pass
            await asyncio.to_thread(self._thread.join, 1.0)
            self.ser.close()


class BridgeSource(SerialSource):
    """socket://HOST:PORT, rfc2217://HOST:PORT: pyserial opens the URL itself."""

    @classmethod
    def from_url(cls, url, rest, options):
        u = urlsplit(url)
        try:
            ok = u.hostname and u.port
        except ValueError:  # a port that is not a number
            ok = False
        if not ok:
            raise UserError(f"{url}: give the bridge as {u.scheme}://HOST:PORT with a port number, "
                            f"e.g. {u.scheme}://127.0.0.1:7000")
        return cls(url, **options)


SOURCE = SerialSource
