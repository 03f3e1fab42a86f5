import json
import sys


def register(sub):
    a = sub.add_parser("analyze", help="states, holds, spots, phases and alerts of a recording (.csv or .rec)")
    a.add_argument("file", help="CSV with t_s,force_n [,gyro_dps | gx_dps,gy_dps,gz_dps] or a .rec recording")
    a.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    a.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="gentle maximum; without it, the one the recording was made with, else your profile's "
                   "(ballsense profile), else learnt from the first settled hold; for a recording, a what-if")
    a.add_argument("--no-creep", action="store_true", help="the force has no FSR creep (load cell data)")
    a.add_argument("--guide", action="store_true", help="also run the guide over it: adds the cues it says")
    a.add_argument("--side", choices=("left", "right"), default=None,
                   help="side the guide starts with (default: the recording's, else left)")
    a.set_defaults(fn=run)


def run(a):
    from .. import profile
    from ..analysis import summarise
    from ..replay import run as replay
    from ..traces import load

    tr = load(a.file)  # checked there; --gentle-max by cli.check_args
    events, comp, dec = replay(tr, a.gentle_max, creep=False if a.no_creep else None, profile=profile.gentle_max_n())
    out = summarise(tr.t, comp, events)
    g = dec.gentle
    out["gentle_max"] = {"newtons": dec.gentle_max, "source": g.source, "what_if": g.what_if}
    if g.what_if:
        out["gentle_max"]["live"] = {"newtons": g.live.newtons, "source": g.live.source}
        print(f"ballsense: note: {g.words()}", file=sys.stderr)  # a what-if, said so
    if a.guide:
        from .. import guide
        side = a.side or guide.first_side(tr.notes)
        out["cues"] = [c.to_dict() for c in guide.run(events, side, float(tr.t[0]))]
    print(json.dumps(out))
