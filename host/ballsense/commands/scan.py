"""`ballsense scan`: the balls in Bluetooth range (name, address, RSSI,
battery), found by the ball's service UUID. The battery comes from the
advertisement's Battery Service data, so no connection is needed."""
import asyncio
import sys

BATTERY_UUID = "0000180f-0000-1000-8000-00805f9b34fb"


def register(sub):
    s = sub.add_parser("scan", help="list the balls in Bluetooth range")
    s.add_argument("--seconds", type=float, default=5.0, help="how long to listen (default 5)")
    s.add_argument("--sim", action="store_true", help="scan the emulated ball on an emulated radio")
    s.set_defaults(fn=run)


async def scan(seconds):
    """-> [{name, address, rssi, battery}] of the balls heard, strongest first."""
    from bleak import BleakScanner
    from bleak.exc import BleakError
    from ..sources.ble import is_ball, no_bluetooth, SERVICE_UUID

    try:
        found = await BleakScanner.discover(timeout=seconds, return_adv=True, service_uuids=[SERVICE_UUID])
    except (BleakError, OSError) as e:
        raise no_bluetooth(e) from None
    balls = []
    for dev, adv in found.values():
        if not is_ball(adv):
            continue
        batt = adv.service_data.get(BATTERY_UUID)
        balls.append({"name": adv.local_name or dev.name or "", "address": dev.address, "rssi": adv.rssi,
                      "battery": batt[0] if batt else None})
    return sorted(balls, key=lambda b: -b["rssi"])


def run(a):
    world = None
    if a.sim:
        from ..sources.simble import SimBall
        world = SimBall().start()
    try:
        balls = asyncio.run(scan(a.seconds))
    finally:
        if world:
            world.stop()
    if not balls:
        print(f"no balls heard in {a.seconds:g} s: is the ball on and near? (ballsense scan --sim "
              "shows the emulated one)", file=sys.stderr)
        return
    print(f"{'NAME':<22}{'ADDRESS':<19}{'RSSI':>6}{'BATTERY':>9}")
    for b in balls:
        batt = f"{b['battery']}%" if b["battery"] is not None else "?"
        print(f"{b['name']:<22}{b['address']:<19}{b['rssi']:>6}{batt:>9}")
