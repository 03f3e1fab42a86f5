# USB serial link. Ball -> host: COBS-framed binary frames (docs/protocol.md).
# Host -> ball: one frame per line as hex text. Hex never contains Ctrl-C
# (0x03), so commands cannot interrupt the firmware, while mpremote's Ctrl-C
# still stops it for flashing.
import sys
import select
import binascii

from . import protocol as P

try:
    import os
    _os_read = os.read  # CPython
except AttributeError:
    _os_read = None


class SerialLink:
    name = "usb"

    def __init__(self, out=None, inp=None):
        self.out = out or sys.stdout.buffer
        self.inp = inp or sys.stdin
        self._flush = getattr(self.out, "flush", None)
        self.poll = select.poll()
        self.poll.register(self.inp, select.POLLIN)
        self.line = bytearray()
        self.connected = True

    def send(self, frame):
        self.out.write(P.cobs_encode(frame))
        if self._flush:
            self._flush()

    def _read(self):
        if _os_read:
            return _os_read(self.inp.fileno(), 256)
        return self.inp.buffer.read(1)

    def commands(self):
        """Raw command frames received since the last call (b"" for a line
        that was not valid hex)."""
        got = []
        for _ in range(64):
            if not self.poll.poll(0):
                break
            b = self._read()
            if not b:  # host closed the port
                break
            for c in b:
                if c in (10, 13):
                    if self.line:
                        try:
                            got.append(binascii.unhexlify(bytes(self.line)))
                        except ValueError:
                            got.append(b"")
                        self.line = bytearray()
                elif len(self.line) < 128:
                    self.line.append(c)
        return got
