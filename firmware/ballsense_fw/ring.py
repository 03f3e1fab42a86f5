# Ring buffer of the most recent samples, so a lost link can be backfilled.
import array


class Ring:
    def __init__(self, capacity):
        self.cap = capacity
        self.force = array.array("H", bytes(2 * capacity))
        self.t_ms = array.array("H", bytes(2 * capacity))  # device ms, low 16 bits
        self.next_seq = 0  # absolute count of samples ever pushed

    def push(self, force, t_ms):
        i = self.next_seq % self.cap
        self.force[i] = force
        self.t_ms[i] = t_ms & 0xFFFF
        self.next_seq += 1

    def oldest(self):
        return self.next_seq - self.cap if self.next_seq > self.cap else 0

    def has(self, seq):
        return self.oldest() <= seq < self.next_seq

    def values(self, seq, n, out):
        """Copy n forces from absolute `seq` into list `out` (cleared first)."""
        del out[:]
        cap = self.cap
        f = self.force
        for s in range(seq, seq + n):
            out.append(f[s % cap])
        return out

    def time_of(self, seq):
        return self.t_ms[seq % self.cap]

    def absolute(self, seq16):
        """Absolute sequence number of a 16-bit one, nearest the newest sample."""
        d = (seq16 - self.next_seq) & 0xFFFF
        if d >= 0x8000:
            d -= 0x10000
        return self.next_seq + d
