# The pairing window. A new host may bond with the ball only during WINDOW_MS
# after a physical gesture on it: SQUEEZES firm squeezes within GESTURE_MS.
# Nobody in radio range can pair without holding the ball.
#
# A squeeze is the reading rising from near rest (below `release` counts) to
# above `firm` and falling back below `release`. Someone lying on the ball
# cannot do it by accident: the load never returns to rest three times in
# three seconds during a session (a lift-off takes longer than that).

SQUEEZES = 3
GESTURE_MS = 3000
WINDOW_MS = 60000
FIRM_N = 60      # a firm squeeze by hand; lying on the ball gives more, but never
RELEASE_N = 10   # lets go three times in three seconds


def levels(board, cfg):
    """(firm, release) in raw counts on the nominal sensor curve: the gesture
    needs no calibration."""
    from .sensors import module
    m = module(cfg["sensor"])
    return [m.counts_at(board, cfg, f) for f in (FIRM_N, RELEASE_N)]


class Pairing:
    def __init__(self, clock, firm, release, bonds=None, links=()):
        self.clock = clock
        self.firm = firm          # counts
        self.release = release    # counts
        self.bonds = bonds        # the bond store, saved when a host bonds
        self.links = links        # the App's links (the BLE one opens and closes bonding)
        self.save_failed = False  # the bond store could not be written (the App reports it)
        self._pressed = False
        self._times = []          # ticks_ms of recent completed squeezes
        self._opened = None       # ticks_ms when the window opened

    def feed(self, counts):
        """One force reading; True when this reading opened the window."""
        if not self._pressed:
            if counts >= self.firm:
                self._pressed = True
            return False
        if counts >= self.release:
            return False
        self._pressed = False
        c = self.clock
        now = c.ticks_ms()
        self._times = [t for t in self._times if c.ticks_diff(now, t) < GESTURE_MS]
        self._times.append(now)
        if len(self._times) < SQUEEZES:
            return False
        self._times = []
        self._opened = now
        return True

    def is_open(self):
        if self._opened is None:
            return False
        if self.clock.ticks_diff(self.clock.ticks_ms(), self._opened) < WINDOW_MS:
            return True
        self._opened = None
        return False

    def close(self):
        """A host bonded: one gesture, one new host."""
        self._opened = None

    def service(self, counts):
        """Once a sample, with the newest reading: feed the gesture; bonding
        follows the window; a new bond closes it (one gesture, one host); keys
        reach the flash. -> True when this reading opened the window."""
        opened = self.feed(counts)
        for link in self.links:
            if getattr(link, "bonded_now", False):
                link.bonded_now = False
                self.close()
            if hasattr(link, "set_bondable"):
                link.set_bondable(self.is_open())
        if self.bonds.dirty:
            try:
                self.bonds.save()
            except OSError:
                self.save_failed = True
        return opened
