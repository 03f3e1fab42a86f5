# Ring buffer of the most recent samples, so a lost link can be backfilled.
# Sample times are not stored one by one: the sampler keeps a fixed period, so
# they follow from a few anchors (seq, device time, period, epoch), added when
# the schedule breaks (start, a stall, a rate change) and every 1000 samples
# (to keep the arithmetic in small ints on MicroPython).
#
# Sequence numbers count every sample since power-on; a rate change keeps them
# and starts a new epoch (docs/protocol.md), so the host can tell which rate
# times which sample.
WRAP_US = 65536000  # device time runs modulo 2^16 ms, what the wire carries
_REANCHOR = 1000


class Ring:
    def __init__(self, capacity, epoch=0):
        self.cap = capacity
        # little-endian u16 in a bytearray: one allocation, no temporary copy
        # (array("H", bytes(n)) briefly needs twice the room)
        self.buf = bytearray(2 * capacity)
        self.next_seq = 0  # absolute count of samples ever pushed
        self.start = 0     # oldest sample held since the last grow
        self.anchors = []  # [seq, elapsed_us, period_us, epoch]
        self.epoch = epoch & 0xFF
        self.epoch_seq = 0  # first sample of the current epoch
        self.from_boot = True  # ... which began at power-on (no rate change since)

    def new_epoch(self):
        """A rate change: the samples from now on are a new epoch."""
        self.epoch = (self.epoch + 1) & 0xFF
        self.epoch_seq = self.next_seq
        self.from_boot = False

    def grow(self, capacity):
        """Room for `capacity` samples, keeping those held; False (and
        nothing changed) when the heap has no room for the bigger buffer."""
        if capacity <= self.cap:
            return True
        try:
            buf = bytearray(2 * capacity)
        except MemoryError:
            return False
        old, new = memoryview(self.buf), memoryview(buf)
        s = self.oldest()
        while s < self.next_seq:  # in runs contiguous in both buffers
            i, j = s % self.cap, s % capacity
            n = min(self.next_seq - s, self.cap - i, capacity - j)
            new[2 * j:2 * (j + n)] = old[2 * i:2 * (i + n)]
            s += n
        self.start = self.oldest()
        self.buf = buf
        self.cap = capacity
        return True

    def push(self, force, elapsed_us, period_us):
        seq = self.next_seq
        a = self.anchors[-1] if self.anchors else None
        if (a is None or a[2] != period_us or a[3] != self.epoch or seq - a[0] >= _REANCHOR
                or (a[1] + (seq - a[0]) * a[2]) % WRAP_US != elapsed_us):
            self.anchors.append([seq, elapsed_us, period_us, self.epoch])
            if len(self.anchors) > 2 and self.anchors[1][0] <= self.oldest():
                self.anchors.pop(0)
        i = 2 * (seq % self.cap)
        self.buf[i] = force & 0xFF
        self.buf[i + 1] = force >> 8
        self.next_seq = seq + 1

    def get(self, seq):
        i = 2 * (seq % self.cap)
        return self.buf[i] | (self.buf[i + 1] << 8)

    def oldest(self):
        s = self.next_seq - self.cap
        return s if s > self.start else self.start

    def has(self, seq):
        return self.oldest() <= seq < self.next_seq

    def values(self, seq, n, out):
        """Copy n forces from absolute `seq` into list `out` (cleared first)."""
        del out[:]
        for s in range(seq, seq + n):
            out.append(self.get(s))
        return out

    def _anchor(self, seq):
        for a in reversed(self.anchors):
            if a[0] <= seq:
                return a
        return self.anchors[0]

    def time_of(self, seq):
        """Device time of a sample in ms, mod 2^16."""
        a = self._anchor(seq)
        return ((a[1] + (seq - a[0]) * a[2]) % WRAP_US) // 1000 & 0xFFFF

    def epoch_of(self, seq):
        return self._anchor(seq)[3] if self.anchors else self.epoch

    def epoch_end(self, seq):
        """The first sample after `seq` of another epoch (or next_seq): a
        frame never mixes epochs."""
        e = self.epoch_of(seq)
        for a in self.anchors:
            if a[0] > seq and a[3] != e:
                return a[0]
        return self.next_seq

    def absolute(self, seq16):
        """Absolute sequence number of a 16-bit one, nearest the newest sample."""
        d = (seq16 - self.next_seq) & 0xFFFF
        if d >= 0x8000:
            d -= 0x10000
        return self.next_seq + d
