import json
import sys


def register(sub):
    a = sub.add_parser("analyze", help="states, holds and alerts of a recording (.csv or .rec)")
    a.add_argument("file", help="CSV with t_s,force_n [,gyro_dps | gx_dps,gy_dps,gz_dps] or a .rec recording")
    a.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    a.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="gentle maximum; without it, 1.25 x the first settled hold")
    a.add_argument("--no-creep", action="store_true", help="the force has no FSR creep (load cell data)")
    a.set_defaults(fn=run)


def run(a):
    from ..analysis import analyze
    from ..errors import UserError
    from ..traces import load

    if a.gentle_max is not None and not 0 < a.gentle_max < 2000:
        raise UserError(f"--gentle-max {a.gentle_max}: give newtons between 0 and 2000 (e.g. 150)")
    tr = load(a.file)
    if tr.note:
        print(f"ballsense: note: {a.file}: {tr.note}", file=sys.stderr)
    out = analyze(tr.t, tr.force, tr.gyro, a.gentle_max, creep=not a.no_creep and tr.sensor == "fsr")
    print(json.dumps(out))
