# Ring buffer of the most recent samples, so a lost link can be backfilled.
# Sample times are not stored one by one: the sampler keeps a fixed period, so
# they follow from a few anchors (seq, device time, period), added when the
# schedule breaks (start, a stall, a rate change) and every 1000 samples (to
# keep the arithmetic in small ints on MicroPython).
WRAP_US = 65536000  # device time runs modulo 2^16 ms, what the wire carries
_REANCHOR = 1000


class Ring:
    def __init__(self, capacity):
        self.cap = capacity
        # little-endian u16 in a bytearray: one allocation, no temporary copy
        # (array("H", bytes(n)) briefly needs twice the room)
        self.buf = bytearray(2 * capacity)
        self.next_seq = 0  # absolute count of samples ever pushed
        self.anchors = []  # [seq, elapsed_us, period_us]

    def push(self, force, elapsed_us, period_us):
        seq = self.next_seq
        a = self.anchors[-1] if self.anchors else None
        if (a is None or a[2] != period_us or seq - a[0] >= _REANCHOR
                or (a[1] + (seq - a[0]) * a[2]) % WRAP_US != elapsed_us):
            self.anchors.append([seq, elapsed_us, period_us])
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
        return self.next_seq - self.cap if self.next_seq > self.cap else 0

    def has(self, seq):
        return self.oldest() <= seq < self.next_seq

    def values(self, seq, n, out):
        """Copy n forces from absolute `seq` into list `out` (cleared first)."""
        del out[:]
        for s in range(seq, seq + n):
            out.append(self.get(s))
        return out

    def time_of(self, seq):
        """Device time of a sample in ms, mod 2^16."""
        for a in reversed(self.anchors):
            if a[0] <= seq:
                break
        return ((a[1] + (seq - a[0]) * a[2]) % WRAP_US) // 1000 & 0xFFFF

    def absolute(self, seq16):
        """Absolute sequence number of a 16-bit one, nearest the newest sample."""
        d = (seq16 - self.next_seq) & 0xFFFF
        if d >= 0x8000:
            d -= 0x10000
        return self.next_seq + d
