# The firmware's main loop: sample on a deadline, hand frames to the links,
# answer commands, report status once a second.
import gc

from . import VERSION
from . import protocol as P
from . import config
from . import boards
from .ring import Ring
from .sampler import Sampler
from .streamer import Streamer
from .control import Control
from .sensors import SensorError

RING_SECONDS = 64  # backfill window after a lost link (>= 60 s)
IMU_STEP = 4       # one gyro reading per 4 force samples
IMU_BATCH = 3      # gyro readings per IMU frame (fits a 20-byte payload)
MOTOR_PERIOD_MS = 500  # on-ball alert: 250 ms buzz, 250 ms pause (a pulse is not mistaken for pressure)


class App:
    """Owns the parts and hands each one what it needs: no part reaches back
    into the App."""

    def __init__(self, board=None, links=None):
        self.error = P.E_OK
        try:
            self.cfg = config.load()
        except ValueError:
            self.cfg = dict(config.DEFAULTS)
            self.error = P.E_STORAGE
        gc.collect()  # the ring is the one big block: take it while the heap is whole
        self.ring = Ring(RING_SECONDS * self.cfg["rate_hz"], config.next_epoch())
        self.board = board or boards.load(self.cfg["board"])
        self.clock = self.board.clock
        self.sensor = boards.make_sensor(self.board, self.cfg)
        self.sensor_code = [k for k, v in P.SENSORS.items() if v == self.cfg["sensor"]][0]  # on the wire
        self.imu = None
        self._start_imu()
        self.sampler = Sampler(self.clock, self.sensor.read, self.ring, self.cfg["rate_hz"])
        self.streamer = Streamer(self.ring, self.cfg["payload"])
        self.streamer.threshold = self.cfg["threshold"]
        self.control = Control(self.cfg, self.sensor, self.streamer, self.send_all, self.stats, self.set_rate)
        # what the ball says by itself to someone lying on it: the motor pulses
        # while the on-ball alert is on, the LED blinks fast while pairing is open
        p = self.board.PINS
        self.motor = self.board.Pin(p["motor"], "out")
        self.led = self.board.Pin(p["led"], "out")
        self.bonds = self.pairing = None  # BLE only: the cable needs no pairing, and RAM is scarce
        self.links = links if links is not None else []
        if links is None:
            self._default_links()
        self.gyro = []
        self.gyro_seq = 0
        self.alert = False
        self.against = 0  # samples in a row that would flip the alert
        self.min_free = gc.mem_free() if hasattr(gc, "mem_free") else 0

    def _start_imu(self):
        """(Re)connect the IMU the config asks for; retried once a second."""
        if self.cfg["imu"] and self.imu is None:
            try:
                self.imu = boards.make_imu(self.board)
            except SensorError:
                self.error = P.E_SENSOR

    def _default_links(self):
        from .usb import SerialLink
        self.links.append(SerialLink())
        try:
            import bluetooth  # noqa: F401  (the Unix port has none unless the radio is emulated)
        except ImportError:
            return
        from .ble import BleLink
        self.enable_pairing()
        self.links.append(BleLink(self.cfg, self.board, self.bonds, self.streamer))

    def enable_pairing(self):
        """The bond store and the squeeze gesture, for a ball with a radio."""
        from .bonds import Bonds
        from .pairing import Pairing, levels
        self.bonds = Bonds()
        self.control.bonds = self.bonds
        self.pairing = Pairing(self.clock, *levels(self.board, self.cfg), bonds=self.bonds, links=self.links)

    def set_rate(self, hz):
        """A rate change keeps the ring (grown to RING_SECONDS where the heap
        has room) and the sequence numbers, and starts a new epoch."""
        if hz == self.sampler.rate_hz:
            return
        gc.collect()
        self.ring.grow(RING_SECONDS * hz)
        self.ring.new_epoch()
        config.save_epoch(self.ring.epoch)
        self.sampler.set_rate(hz)

    def send_all(self, frame):
        for link in self.links:
            if link.connected:
                link.send(frame)

    def status(self, token=0):
        """A status frame; `token` is the command it answers (0: none)."""
        r = self.ring
        flags = (P.F_IMU if self.imu else 0) | (P.F_ALERT if self.alert else 0)
        flags |= P.F_PAIRING if self.pairing and self.pairing.is_open() else 0
        flags |= P.F_BOOT_EPOCH if r.from_boot else 0
        if self.sampler.error or (self.cfg["imu"] and self.imu is None):
            flags |= P.F_SENSOR_FAULT
        err = self.error or (P.E_SENSOR if self.sampler.error else P.E_OK)
        st = {"fw_major": VERSION[0], "fw_minor": VERSION[1], "fw_patch": VERSION[2],
              "board": self.board.BOARD_ID, "sensor": self.sensor_code,
              "flags": flags, "rate_hz": self.cfg["rate_hz"], "battery_pct": self.board.battery_pct(),
              "error": err, "token": token, "next_seq": r.next_seq,
              "threshold": self.cfg["threshold"], "epoch": r.epoch, "epoch_seq": r.epoch_seq}
        self.error = P.E_OK
        return P.encode_status(st)

    def stats(self):
        s = self.sampler
        return P.encode_stats({"jitter_p99_us": s.jitter_p99_us(), "jitter_max_us": s.jitter_max_us,
                               "overruns": s.overruns, "min_free_heap": self.min_free,
                               "samples": self.ring.next_seq, "lost": self.streamer.lost})

    def _sample_imu(self):
        r = self.ring
        if r.next_seq % IMU_STEP:
            return
        try:
            g = self.imu.gyro_dps()
        except SensorError:
            self.error = P.E_SENSOR
            self.imu = None  # reconnected by _start_imu
            return
        seq = r.next_seq - 1
        if self.gyro and r.epoch_of(self.gyro_seq) != r.epoch_of(seq):
            self._send_gyro()  # a frame never mixes epochs
        if not self.gyro:
            self.gyro_seq = seq
        self.gyro.append([max(-128, min(127, int(v / P.GYRO_DPS_PER_LSB))) for v in g])
        if len(self.gyro) >= IMU_BATCH:
            self._send_gyro()

    def _send_gyro(self):
        r, s = self.ring, self.gyro_seq
        self.send_all(P.encode_imu(s & 0xFFFF, r.time_of(s), IMU_STEP, self.gyro, r.epoch_of(s)))
        self.gyro = []

    def _on_ball_alert(self):
        on, off = self.cfg["threshold"], self.cfg["threshold_off"]
        if not on or not self.ring.next_seq:
            return
        v = self.ring.get(self.ring.next_seq - 1)
        # flips after more samples above than a glitch covers, or ALERT_OFF_MS below
        self.against = self.against + 1 if ((v < off) if self.alert else (v > on)) else 0
        r = self.cfg["rate_hz"]
        if self.against >= (P.alert_off_samples(r) if self.alert else P.alert_on_samples(r)):
            self.alert = not self.alert
            self.against = 0

    def service_pairing(self):
        """Once a sample: the squeeze gesture and bonding (pairing.py)."""
        if self.ring.next_seq and self.pairing.service(self.ring.get(self.ring.next_seq - 1)):
            self.send_all(self.status())  # the window opened: tell a listening host at once
        if self.pairing.save_failed:
            self.pairing.save_failed = False
            self.error = P.E_STORAGE

    def _show(self):
        ms = self.clock.ticks_ms()
        self.motor.value(1 if self.alert and ms % MOTOR_PERIOD_MS < MOTOR_PERIOD_MS // 2 else 0)
        self.led.value(1 if self.pairing and self.pairing.is_open() and ms % 200 < 100 else 0)

    def service(self):
        for link in self.links:
            for raw in link.commands():
                self.error, token = self.control.handle(raw, link)
                link.send(self.status(token))
        while True:
            f = self.streamer.next_frame(self.cfg["rate_hz"])
            if f is None:
                break
            self.send_all(f)

    def start(self):
        self.send_all(P.encode_info(self.cfg["name"]))
        self.send_all(self.status())
        started = getattr(self.board, "started", None)
        if started:  # the emulated board tells the host when sample 0 is due
            started(self.sampler.deadline)
        self.last_status = self.clock.ticks_ms()

    def step(self):
        """One turn of the main loop: a sample when due, the links, the
        periodic status. -> True when a sample was taken."""
        c = self.clock
        took = self.sampler.step()
        if took:
            if self.imu:
                self._sample_imu()
            self._on_ball_alert()
            if self.pairing:
                self.service_pairing()
            self._show()
        self.service()
        if c.ticks_diff(c.ticks_ms(), self.last_status) >= P.STATUS_PERIOD_MS:
            self.last_status = c.ticks_ms()
            self._start_imu()
            self.send_all(self.status())
            if self.min_free:  # live data only: collect first (cheap, and it defragments)
                gc.collect()
                self.min_free = min(self.min_free, gc.mem_free())
        return took

    def run(self, max_samples=None):
        self.start()
        n = 0
        while max_samples is None or n < max_samples:
            if self.step():
                n += 1


def main():
    App().run()
