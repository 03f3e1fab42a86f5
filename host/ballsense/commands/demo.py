import asyncio


def register(sub):
    d = sub.add_parser("demo", help="a session on the emulated ball (no ball needed)")
    d.add_argument("--scenario", default="session")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--speed", type=int, default=1, help="time compression of the emulated ball")
    d.add_argument("--seconds", type=float, default=None, help="stop after this much session time")
    d.add_argument("--headless", action="store_true", help="plain lines instead of the full-screen view")
    d.set_defaults(fn=run)


def run(a):
    from ..sources import open_source
    from ..stream import Stream, collect

    url = f"sim://{a.scenario}?seed={a.seed}&speed={a.speed}"
    last = [-1.0]

    def show(b):
        if b.t_s[-1] - last[0] >= 0.5:
            last[0] = b.t_s[-1]
            f = float(b.force_n[-1])
            print(f"t {b.t_s[-1]:7.1f} s   force {f:6.1f} N ({f / 9.81:5.1f} kg)  " + "#" * int(f / 5), flush=True)

    async def go():
        async with open_source(url) as src:
            await collect(Stream(src), a.seconds, None, show)

    asyncio.run(go())
