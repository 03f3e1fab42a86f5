import json


def register(sub):
    a = sub.add_parser("analyze", help="states, holds, spots, phases and alerts of a recording (.csv or .rec)")
    a.add_argument("file", help="CSV with t_s,force_n [,gyro_dps | gx_dps,gy_dps,gz_dps] or a .rec recording")
    a.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    a.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="gentle maximum; without it, 1.25 x the first settled hold")
    a.add_argument("--no-creep", action="store_true", help="the force has no FSR creep (load cell data)")
    a.set_defaults(fn=run)


def run(a):
    from ..analysis import analyze
    from ..traces import load

    tr = load(a.file)  # checked there; --gentle-max by cli.check_args
    out = analyze(tr.t, tr.force, tr.gyro, a.gentle_max, creep=not a.no_creep and tr.sensor == "fsr")
    print(json.dumps(out))
