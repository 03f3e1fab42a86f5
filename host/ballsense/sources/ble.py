"""A ball over Bluetooth LE, through bleak.

  ble://                    the only ball around (any device with the ball's service)
  ble://NAME                the ball with this name
  ble://AA:BB:CC:DD:EE:FF   the ball at this address
  options: give_up=S (default 60: stop reconnecting after S s), scan=S (first scan, default 10)

The notification callback only queues frames (asyncio.Queue); the Stream
parses them. After a drop the source reconnects with backoff (rescanning when
the device vanished) and reports each step through `on_link`; the Stream then
sees the sequence gap and asks the ball to backfill it from its ring buffer.
After `give_up` s without the ball, frames() ends, so the recording keeps
what it has."""
import asyncio
import logging
import re
import time

from ballsense_fw.ble import SERVICE_UUID, DATA_UUID, CONTROL_UUID

from ..errors import UserError
from . import Source

log = logging.getLogger(__name__)

BleakClient = BleakScanner = BleakError = BleakDeviceNotFoundError = None  # bleak's, once _load() ran


def _load():
    """bleak, imported when a ball is first looked for: it takes a while to
    load (dbus-fast with it), and a bad URL must be refused before that."""
    global BleakClient, BleakScanner, BleakError, BleakDeviceNotFoundError
    if BleakClient is None:
        from bleak import BleakClient, BleakScanner
        from bleak.exc import BleakError, BleakDeviceNotFoundError


_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 2.0


def no_bluetooth(e):
    """The error to show when bleak cannot reach BlueZ at all."""
    return UserError(f"Bluetooth is not available ({type(e).__name__}: {e}): this needs BlueZ running (the "
                     "bluetooth service) and an adapter switched on (bluetoothctl power on); `ballsense scan --sim` "
                     "and sim+ble:// work without either")


def is_ball(adv):
    return SERVICE_UUID in [u.lower() for u in adv.service_uuids]


class BleSource(Source):
    """ble://[NAME|ADDRESS]: a ball over Bluetooth LE."""
    link = "ble"
    OPTIONS = {"give_up": float, "scan": float}

    def __init__(self, target="", give_up=60, scan=10):
        super().__init__()
        self.target = (target or "").strip("/")
        self.give_up_s = float(give_up)
        self.scan_s = float(scan)
        self.notifications = 0
        self.ball_name = ""  # as the ball's info frame says it (the pairing reads it)
        self.client = None
        self.device = None
        self._q = None
        self._closing = False
        self._task = None

    # ---- finding and connecting ---------------------------------------------

    def _match(self, dev, adv):
        if not is_ball(adv):
            return False
        t = self.target
        if not t:
            return True
        if _ADDRESS.match(t):
            return dev.address.upper() == t.upper()
        return t in (adv.local_name, dev.name)

    async def _find(self, timeout):
        return await BleakScanner.find_device_by_filter(self._match, timeout=timeout,
                                                        service_uuids=[SERVICE_UUID])

    async def _connect(self, device):
        client = BleakClient(device, disconnected_callback=self._on_disconnect, timeout=10)
        await client.connect()
        try:
            await client.start_notify(DATA_UUID, self._on_notify)
        except BaseException:
            await self._hang_up(client)
            raise
        self.client = client

    async def __aenter__(self):
        _load()
        self._q = asyncio.Queue()
        what = self.target or "a ball"
        try:
            self.device = await self._find(self.scan_s)
        except (BleakError, OSError) as e:
            raise no_bluetooth(e) from None
        if self.device is None:
            raise UserError(f"no ballsense ball found by Bluetooth ({what}) in {self.scan_s:.0f} s: is it on and "
                            "near? `ballsense scan` lists the balls in range")
        try:
            await self._connect(self.device)
        except (BleakError, asyncio.TimeoutError) as e:
            raise UserError(f"found {what} but could not connect: {e}") from None
        self.on_link("connected", address=self.device.address, reconnects=0)
        return self

    # ---- callbacks: bleak calls these on the loop; they only queue -----------

    def _on_notify(self, _char, data):
        frame = bytes(data)
        self.notifications += 1
        self._q.put_nowait(frame)

    def _on_disconnect(self, client):
        if self._closing or client is not self.client:
            return
        self.client = None
        self.on_link("lost")
        self._task = asyncio.create_task(self._reconnect(client))

    # ---- reconnecting ---------------------------------------------------------

    async def _reconnect(self, old):
        await self._hang_up(old)  # releases its D-Bus connection
        start = time.monotonic()
        delay = BACKOFF_FIRST_S
        attempt = 0
        device = self.device
        while not self._closing:
            left = self.give_up_s - (time.monotonic() - start)
            if left <= 0:
                break
            attempt += 1
            self.on_link("reconnecting", attempt=attempt)
            try:
                if device is None:  # vanished: scan for it again
                    device = await self._find(min(5.0, left))
                if device is not None:
                    await asyncio.wait_for(self._connect(device), max(left, 0.1))
                    self.device = device
                    self.reconnects += 1
                    self.on_link("connected", address=device.address, reconnects=self.reconnects)
                    return
                else:
                    log.debug("reconnect attempt %d: the ball is not advertising", attempt)
            except BleakDeviceNotFoundError:
                device = None
            except (BleakError, asyncio.TimeoutError, EOFError, OSError) as e:
                log.debug("reconnect attempt %d: %r", attempt, e)
                if attempt % 2 == 0:
                    device = None  # twice refused: rescan rather than insist on a stale object
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
        if self._closing:
            return
        self.gave_up = (f"the ball did not come back within {self.give_up_s:.0f} s (out of range or "
                        "switched off?); stopped, keeping what was received")
        self.on_link("gave_up", message=self.gave_up)
        self._q.put_nowait(None)

    # ---- the source interface -------------------------------------------------

    async def frames(self):
        while True:
            f = await self._q.get()
            if f is None:
                return
            yield f

    async def send(self, frame):
        """Write a command; False when the link is down (the Stream asks again)."""
        c = self.client
        if c is None or not c.is_connected:
            return False
        try:
            await c.write_gatt_char(CONTROL_UUID, frame, response=True)
        except (BleakError, asyncio.TimeoutError, EOFError, OSError):
            return False
        return True

    async def pair(self):
        """Bond with the ball through BlueZ (the ball's pairing window must be open)."""
        try:
            await self.client.pair()
        except (BleakError, EOFError, OSError, AttributeError) as e:
            raise UserError(f"pairing failed ({e}): keep the ball near, squeeze it three times and try again") \
                from None

    @staticmethod
    async def _hang_up(client):
        try:
            await asyncio.wait_for(client.disconnect(), 5)
        except (BleakError, asyncio.TimeoutError, EOFError, OSError):
            pass

    async def __aexit__(self, *exc):
        self._closing = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self.client is not None:
            await self._hang_up(self.client)
            self.client = None


SOURCE = BleSource
