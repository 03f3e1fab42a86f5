import asyncio
import sys

import numpy as np

from .. import sensors


def register(sub):
    c = sub.add_parser("calibrate", help="calibrate a ball with known weights (stored per ball)")
    c.add_argument("source", help="the ball: serial:///dev/ttyACM0, ble://NAME, sim://calibration ...")
    c.add_argument("--weights-kg", default="0,5,10,20,30",
                   help="the weights you will put on the ball, in order (default 0,5,10,20,30)")
    c.add_argument("--auto", action="store_true",
                   help="find the steady stretches by themselves instead of asking (scripted rigs, the emulated ball)")
    c.add_argument("--name", help="store under this ball name (default: the name the ball reports)")
    c.set_defaults(fn=run)


STEADY_S = 2.0       # a reading counts when steady this long, within 0.5 % of
STEADY_SPREAD = 0.005  # itself (or of 1/4 of the full scale near zero)


def run(a):
    from .. import calibration
    from ..errors import UserError
    from ..sources import open_source
    from ..stream import Stream

    try:
        kg = [float(x) for x in a.weights_kg.split(",")]
    except ValueError:
        raise UserError(f"--weights-kg {a.weights_kg!r}: give numbers separated by commas, e.g. 0,5,10,20") from None
    if len(kg) < 2 or not all(0 <= w <= 200 for w in kg) or len(set(kg)) != len(kg):  # NaN fails too
        raise UserError(f"--weights-kg {a.weights_kg}: give at least 2 different weights from 0 to 200 kg, "
                        "e.g. 0,5,10,20")

    async def go():
        async with open_source(a.source) as src:
            st = Stream(src)
            counts = await (_auto(st, len(kg)) if a.auto else _ask(st, kg))
            return st, counts

    st, counts = asyncio.run(go())
    sensor = st.calib.sensor if st.calib else sensors.DEFAULT
    cal = calibration.fit(sensor, counts, np.array(kg) * 9.81)
    err = cal.newtons(counts) - np.array(kg) * 9.81
    name = a.name or st.asm.name or "ball"
    path = calibration.save(name, cal)
    for w, c, e in zip(kg, counts, err):
        print(f"  {w:6.1f} kg  {c:8.0f} counts  fit error {e:+6.2f} N")
    print(f"calibration for {name!r} ({sensor}) saved to {path}; largest error {np.max(np.abs(err)):.2f} N",
          file=sys.stderr)


async def _steady(batches, rate):
    """Mean counts of the next stretch steady for STEADY_S."""
    need = int(STEADY_S * rate)
    buf = []
    async for b in batches:
        buf.extend(b.counts)
        buf = buf[-need:]
        if len(buf) == need and np.ptp(buf) < STEADY_SPREAD * max(np.mean(buf), 16384):
            return float(np.mean(buf))


async def _auto(st, n):
    """Steady plateaus in order, each clearly different from the one before."""
    out = []
    batches = st.batches()
    async for b in batches:
        rate = st.asm.rate_hz
        break
    while len(out) < n:
        c = await _steady(batches, rate)
        if c is None:
            from ..errors import UserError
            raise UserError(f"the ball stopped sending after {len(out)} of {n} weights")
        if not out or abs(c - out[-1]) > 0.02 * 65535:
            out.append(c)
    return out


async def _ask(st, kg):
    loop = asyncio.get_running_loop()
    out = []
    batches = st.batches()
    for w in kg:
        what = "nothing on the ball" if w == 0 else f"{w:g} kg on the ball (e.g. press it onto a bathroom scale)"
        await loop.run_in_executor(None, input, f"Put {what}, hold it steady, then press Enter: ")
        print("  reading... hold still", file=sys.stderr)
        out.append(await _steady(batches, st.asm.rate_hz or 100))
    return out
