import asyncio
import sys

from ..errors import UserError


def register(sub):
    r = sub.add_parser("record", help="record a ball's readings to .csv, .rec or .edf (EDF+), or export a .rec")
    r.add_argument("source", help="sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://, file.rec")
    r.add_argument("--seconds", type=float, default=None, help="stop after this much device time")
    r.add_argument("-o", "--output", required=True,
                   help="OUT.csv, OUT.rec or OUT.edf (EDF+ with the events as annotations; docs/formats.md)")
    r.set_defaults(fn=run, outputs={"output": (".csv", ".rec", ".edf")})  # checked by cli.check_args


def run(a):
    if a.output.lower().endswith(".edf") and a.source.lower().endswith(".rec") and a.seconds is None:
        return _rec_to_edf(a)
    from .. import profile, sessions
    from ..sources import open_source
    from ..recording import Recorder
    from ..stream import Stream, collect, concat
    from ..sinks.csvfile import write_csv

    meta = sessions.meta(a.source, "ballsense record", profile=profile.load().meta())

    async def go():
        src = open_source(a.source)
        rec = Recorder(a.output, meta) if a.output.endswith(".rec") else None
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

    import time
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    st, src, b = asyncio.run(go())
    if b is None:
        raise UserError(f"{a.source} gave no samples")
    if a.output.lower().endswith(".edf"):
        _samples_to_edf(a.output, b, st, dict(meta, started=started), src.notes)  # a .rec's notes (sides) go along
    elif not a.output.endswith(".rec"):
        write_csv(a.output, b.seq, b.t_s, b.force_n, b.gyro)
    gaps = len(st.asm.missing)
    print(f"recorded {len(b.seq)} samples ({b.t_s[-1] - b.t_s[0] + 1 / st.asm.rate_hz:.2f} s at "
          f"{st.asm.rate_hz} Hz) to {a.output}; missing {st.asm.missing_count()} "
          f"({gaps} gap{'s' * (gaps != 1)}), duplicates {st.asm.duplicates}, "
          f"bad frames {st.bad_frames + src.bad_frames}", file=sys.stderr)


def _rec_to_edf(a):
    """A recording exported whole: its own calibration, meta and notes."""
    from .. import export, report
    info = export.write_edf(report.load(a.source), a.output)
    print(f"exported {info['samples']} samples ({info['rate_hz']} Hz, {info['gaps']} missing) and "
          f"{info['annotations']} annotations to {a.output}", file=sys.stderr)


def _samples_to_edf(path, b, st, meta, notes):
    import numpy as np
    from .. import export, report, sensors
    from ..traces import Trace
    order = np.argsort(b.seq, kind="stable")
    tr = Trace(b.t_s[order], b.force_n[order], None if b.gyro is None else b.gyro[order],
               st.calib.sensor if st.calib else sensors.DEFAULT)
    export.write_edf(report.from_trace(tr, None, meta, notes), path)
