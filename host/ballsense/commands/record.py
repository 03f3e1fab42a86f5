import asyncio
import sys

from ..errors import UserError


def register(sub):
    r = sub.add_parser("record", help="record a ball's readings to .csv or .rec")
    r.add_argument("source", help="sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://, file.rec")
    r.add_argument("--seconds", type=float, default=None, help="stop after this much device time")
    r.add_argument("-o", "--output", required=True, help="OUT.csv or OUT.rec")
    r.set_defaults(fn=run, outputs={"output": (".csv", ".rec")})  # checked by cli.check_args


def run(a):
    from ..sources import open_source
    from ..recording import Recorder
    from ..stream import Stream, collect, concat
    from ..sinks.csvfile import write_csv

    async def go():
        src = open_source(a.source)
        rec = Recorder(a.output, {"source": a.source, "tool": "ballsense record"}) \
            if a.output.endswith(".rec") else None
        try:
            async with src:
                st = Stream(src, rec)
                limit = None if a.seconds is None else a.seconds / src.speed + 15
                batches = await collect(st, a.seconds, limit)
                await st.drain(10)  # backfill owed by a link that dropped near the end
                st.close()
        finally:
            if rec:
                rec.close()
        return st, src, concat(batches, a.seconds)  # (drained samples are in the .rec)

    st, src, b = asyncio.run(go())
    if b is None:
        raise UserError(f"{a.source} gave no samples")
    if not a.output.endswith(".rec"):
        write_csv(a.output, b.seq, b.t_s, b.force_n, b.gyro)
    gaps = len(st.asm.missing)
    print(f"recorded {len(b.seq)} samples ({b.t_s[-1] - b.t_s[0] + 1 / st.asm.rate_hz:.2f} s at "
          f"{st.asm.rate_hz} Hz) to {a.output}; missing {st.asm.missing_count()} "
          f"({gaps} gap{'s' * (gaps != 1)}), duplicates {st.asm.duplicates}, "
          f"bad frames {st.bad_frames + src.bad_frames}", file=sys.stderr)
