import json


def register(sub):
    a = sub.add_parser("analyze", help="states, holds, spots, phases and alerts of a recording (.csv or .rec)")
    a.add_argument("file", help="CSV with t_s,force_n [,gyro_dps | gx_dps,gy_dps,gz_dps] or a .rec recording")
    a.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    a.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="gentle maximum; without it, the one the recording was made with, else your profile's "
                   "(ballsense profile), else 1.25 x the first settled hold")
    a.add_argument("--no-creep", action="store_true", help="the force has no FSR creep (load cell data)")
    a.add_argument("--guide", action="store_true", help="also run the guide over it: adds the cues it says")
    a.add_argument("--side", choices=("left", "right"), default=None,
                   help="side the guide starts with (default: the recording's, else left)")
    a.set_defaults(fn=run)


def run(a):
    from ..analysis import run as detect, summarise
    from ..profile import choose_gentle_max
    from ..recording import Recording
    from ..traces import load

    tr = load(a.file)  # checked there; --gentle-max by cli.check_args
    meta = Recording(a.file).meta if a.file.endswith(".rec") else None
    gm = choose_gentle_max(a.gentle_max, meta)
    events, comp, _ = detect(tr.t, tr.force, tr.gyro, None, gm, creep=not a.no_creep and tr.sensor == "fsr")
    out = summarise(tr.t, comp, events)
    if a.guide:
        from .. import guide
        side = a.side or guide.first_side(a.file)
        out["cues"] = [c.to_dict() for c in guide.run(events, side, float(tr.t[0]))]
    print(json.dumps(out))
