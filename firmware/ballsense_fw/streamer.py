# Turns the ring buffer into frames for a link (USB serial or BLE): live
# samples in order, batched to fill the link's payload, sent at once when a
# sample reaches the alert threshold (so alerts are not held back by batching),
# then any backfill the host asked for.
from . import protocol as P

MAX_AGE_MS = 100  # at low sample rates, never hold a sample longer than this


class Streamer:
    def __init__(self, ring, payload=P.ATT_DEFAULT_PAYLOAD):
        self.ring = ring
        self.sent = ring.next_seq  # next live sample to send
        self.threshold = 0
        self.backfill = []  # [next_abs_seq, end_abs_seq) ranges
        self.lost = 0       # samples overwritten before they could be sent
        self._vals = []
        self.set_payload(payload)

    def set_payload(self, payload):
        self.max_n = P.max_samples(payload)

    def request_backfill(self, seq16, count):
        """Queue a resend; False when part of the range has left the ring."""
        r = self.ring
        start = r.absolute(seq16)
        end = start + count
        ok = start >= r.oldest()
        start = max(start, r.oldest())
        end = min(end, self.sent)
        if end > start:
            self.backfill.append([start, end])
        return ok

    def _due(self, rate_hz):
        r = self.ring
        pending = r.next_seq - self.sent
        if pending <= 0:
            return False
        if pending >= self.max_n or pending * 1000 >= MAX_AGE_MS * rate_hz:
            return True
        if self.threshold and r.get(r.next_seq - 1) >= self.threshold:
            return True
        return False

    def _frame(self, start, n):
        r = self.ring
        n = min(n, r.epoch_end(start) - start)  # one epoch per frame
        vals = r.values(start, n, self._vals)
        k = P.batch_len(vals, 0, n, self.max_n)
        return k, P.encode_data(start & 0xFFFF, r.time_of(start), vals[:k], r.epoch_of(start))

    def next_frame(self, rate_hz):
        """The next frame to send now, or None."""
        r = self.ring
        if self.sent < r.oldest():  # the link stalled longer than the ring holds
            self.lost += r.oldest() - self.sent
            self.sent = r.oldest()
        if self._due(rate_hz):
            k, frame = self._frame(self.sent, min(r.next_seq - self.sent, self.max_n))
            self.sent += k
            return frame
        while self.backfill:
            b = self.backfill[0]
            b[0] = max(b[0], r.oldest())
            if b[0] >= b[1]:
                self.backfill.pop(0)
                continue
            k, frame = self._frame(b[0], min(b[1] - b[0], self.max_n))
            b[0] += k
            return frame
        return None
