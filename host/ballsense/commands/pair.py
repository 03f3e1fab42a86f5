"""`ballsense pair`: bond this computer with a ball over Bluetooth, so it may
change the ball's settings (a host that is not paired may only listen)."""
import asyncio
import sys

from ..errors import UserError

CUE = "\a\n  SQUEEZE THE BALL FIRMLY THREE TIMES WITHIN THREE SECONDS  (let go fully each time)\n"


def register(sub):
    p = sub.add_parser("pair", help="pair with a ball over Bluetooth (squeeze it three times when asked)")
    p.add_argument("source", nargs="?", default="ble://", help="ble://[NAME|ADDRESS] (default: the ball nearby), "
                   "or sim+ble://none?paired=0 for the emulated ball")
    p.add_argument("--wait", type=float, default=60, help="seconds to wait for the squeezes (default 60)")
    p.add_argument("--forget-others", action="store_true",
                   help="afterwards, make the ball forget every other host it was paired with (a lost phone)")
    p.set_defaults(fn=run)


def run(a):
    from ..sources import open_source, parse

    if parse(a.source)[0] not in ("ble", "sim+ble"):
        raise UserError(f"{a.source}: pairing is for Bluetooth: give ble://NAME (or ble:// for the ball nearby); "
                        "over USB the ball always obeys, because the cable is physical access")
    src = open_source(a.source, give_up=5)
    name = asyncio.run(pair(src, a.wait, a.forget_others))
    print(f"paired with {name}: this computer may now change its settings", file=sys.stderr)


async def pair(src, wait_s, forget_others=False):
    """Open the source, pair, close it. -> the ball's name."""
    async with src:
        return await pair_open(src, _statuses(src), wait_s, forget_others)


async def pair_open(src, frames, wait_s, forget_others=False):
    """Wait for the pairing window (flag in the ball's status frames), bond,
    then check that the ball obeys this computer. -> the ball's name."""
    from ..protocol import encode_command, C_STATUS, C_FORGET_PAIRINGS, F_PAIRING, E_OK
    print(CUE, file=sys.stderr, flush=True)
    if src.squeeze():
        print("  (emulated ball: the emulation squeezed it)", file=sys.stderr)
    try:
        await asyncio.wait_for(_until(frames, lambda f: f["flags"] & F_PAIRING), wait_s)
    except asyncio.TimeoutError:
        raise UserError(f"the ball's pairing window did not open within {wait_s:.0f} s: squeeze it as hard as "
                        "you can grip, three times in three seconds, letting go fully each time, then run "
                        "`ballsense pair` again") from None
    await src.pair()
    for cmd, token in ((C_STATUS, 201), *(((C_FORGET_PAIRINGS, 202),) if forget_others else ())):
        await src.send(encode_command(cmd, token))
        try:
            st = await asyncio.wait_for(_until(frames, lambda f: f["token"] == token), 10)
        except asyncio.TimeoutError:
            raise UserError("the ball did not answer after pairing: keep it near and try again") from None
        if st["error"] != E_OK:
            raise UserError("the ball did not accept the pairing: squeeze it three times and run `ballsense "
                            "pair` again; if this computer was paired with it before, remove that first "
                            f"(bluetoothctl remove {src.device.address})")
    return src.ball_name or "the ball"


async def _statuses(src):
    from ..protocol import decode, FrameError
    async for raw in src.frames():
        try:
            f = decode(raw)
        except FrameError:
            continue
        if f["type"] == "info":
            src.ball_name = f["name"]
        if f["type"] == "status":
            yield f


async def _until(frames, want):
    async for f in frames:
        if want(f):
            return f
    raise UserError("the ball went away during pairing: keep it near and try again")
