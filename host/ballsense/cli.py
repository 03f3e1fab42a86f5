"""The `ballsense` command."""
import argparse
import asyncio
import sys

from . import __version__
from .errors import UserError


def cmd_record(a):
    from .sources import open_source
    from .recording import RecWriter
    from .stream import Stream, collect, concat
    from .sinks.csvfile import write_csv

    if not a.output.endswith((".csv", ".rec")):
        raise UserError(f"-o {a.output}: the output must end in .csv or .rec")

    async def go():
        src = open_source(a.source)
        rec = RecWriter(a.output, {"source": a.source, "tool": "ballsense record"}) \
            if a.output.endswith(".rec") else None
        try:
            async with src:
                st = Stream(src, rec)
                speed = getattr(src, "speed", 1)
                limit = None if a.seconds is None else a.seconds / speed + 15
                batches = await collect(st, a.seconds, limit)
        finally:
            if rec:
                rec.close()
        b = concat(batches, a.seconds)
        if b is None:
            raise UserError(f"{a.source} gave no samples")
        if not rec:
            write_csv(a.output, b.seq - b.seq[0] if a.relative_seq else b.seq, b.t_s, b.force_n, b.gyro)
        ds = getattr(getattr(src, "deframer", None), "stats", None)
        print(f"recorded {len(b.seq)} samples ({b.t_s[-1] - b.t_s[0] + 1 / st.asm.rate_hz:.2f} s at "
              f"{st.asm.rate_hz} Hz) to {a.output}; missing {st.asm.missing_count()}, duplicates "
              f"{st.asm.duplicates}, bad frames {st.bad_frames + (ds.bad_frames if ds else 0)}", file=sys.stderr)

    asyncio.run(go())


def cmd_demo(a):
    from .sources import open_source
    from .stream import Stream, collect

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


def build_parser():
    p = argparse.ArgumentParser(prog="ballsense", description="Pressure-sensing massage ball: record, watch, analyse.")
    p.add_argument("--version", action="version", version=f"ballsense {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("record", help="record a ball's readings to .csv or .rec")
    r.add_argument("source", help="sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://, file.rec")
    r.add_argument("--seconds", type=float, default=None, help="stop after this much device time")
    r.add_argument("-o", "--output", required=True, help="OUT.csv or OUT.rec")
    r.add_argument("--relative-seq", action="store_true", help="number CSV rows from 0")
    r.set_defaults(fn=cmd_record)

    d = sub.add_parser("demo", help="a session on the emulated ball")
    d.add_argument("--scenario", default="session")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--speed", type=int, default=1)
    d.add_argument("--seconds", type=float, default=None)
    d.add_argument("--headless", action="store_true")
    d.set_defaults(fn=cmd_demo)
    return p


def main(argv=None):
    p = build_parser()
    a = p.parse_args(argv)
    try:
        a.fn(a)
    except UserError as e:
        if a.debug:
            raise
        print(f"ballsense: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
