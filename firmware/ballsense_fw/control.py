# Commands from the host: each is validated, applied (and saved) only when
# valid, and answered with a status frame carrying its token and error code.
from . import protocol as P
from . import config


class Control:
    def __init__(self, cfg, sensor, streamer, send, stats, set_rate, bonds=None):
        self.cfg = cfg            # the App's config dict, changed in place once saved
        self.sensor = sensor
        self.streamer = streamer
        self.send = send          # frame -> every connected link
        self.stats = stats        # -> a stats frame
        self.set_rate = set_rate  # hz -> applied to the sampler and ring
        self.bonds = bonds        # BLE balls only
        self.link = None

    def handle(self, raw, link=None):
        """raw command frame -> (error, token). An untrusted link (BLE without
        a bond) gets E_NOT_PAIRED for every command: it may only listen."""
        try:
            c = P.decode_command(raw)
        except P.FrameError:
            return P.E_BAD_FRAME, 0
        if not getattr(link, "trusted", True):
            return P.E_NOT_PAIRED, c["token"]
        self.link = link
        fn = getattr(self, "do_" + P.COMMAND_NAMES.get(c["cmd"], "unknown"), None)
        if fn is None:
            return P.E_UNKNOWN_COMMAND, c["token"]
        try:
            return fn(*c["args"]), c["token"]
        except (TypeError, ValueError):
            return P.E_RANGE, c["token"]

    def _set(self, **changes):
        cfg = dict(self.cfg)
        cfg.update(changes)
        if config.check_all(cfg):
            return P.E_RANGE
        try:
            config.save(cfg)
        except OSError:
            return P.E_STORAGE
        self.cfg.update(changes)
        return P.E_OK

    def do_status(self):
        return P.E_OK

    def do_tare(self):
        t = getattr(self.sensor, "tare", None)
        if t:
            t()
        return P.E_OK

    def do_set_rate(self, hz):
        err = self._set(rate_hz=hz)
        if err == P.E_OK:
            self.set_rate(hz)
        return err

    def do_set_threshold(self, on, off):
        err = self._set(threshold=on, threshold_off=off)
        if err == P.E_OK:
            self.streamer.threshold = on
        return err

    def do_backfill(self, seq16, count):
        ok = self.streamer.request_backfill(seq16, count)
        return P.E_OK if ok else P.E_BACKFILL_GONE

    def do_stats(self):
        self.send(self.stats())
        return P.E_OK

    def do_forget_pairings(self):
        """Every host forgets... except the one asking (a lost phone is revoked
        from the laptop); over USB, all of them."""
        if self.bonds:  # a ball without a radio has none
            self.bonds.forget_all(keep=getattr(self.link, "peer_key", None))
        return P.E_OK

    def do_rename(self, name):
        err = self._set(name=name)
        if err == P.E_OK:
            self.send(P.encode_info(name))
        return err
