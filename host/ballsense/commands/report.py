import sys


def register(sub):
    r = sub.add_parser("report", help="a session report as PNG or HTML")
    r.add_argument("recording", help="a .rec recording (or a CSV with t_s,force_n)")
    r.add_argument("-o", "--output", required=True, help="OUT.png or OUT.html")
    r.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS")
    r.set_defaults(fn=run, outputs={"output": (".png", ".html")})  # checked by cli.check_args


def run(a):
    from .. import report
    from ..recording import Recording
    from ..traces import load

    tr = load(a.recording)
    gm = a.gentle_max
    if gm is None and a.recording.endswith(".rec"):
        notes = [n["gentle_max"] for n in Recording(a.recording).notes() if n.get("gentle_max")]
        gm = notes[-1] if notes else None
    summary, comp = report.build(tr, gm)
    (report.write_png if a.output.endswith(".png") else report.write_html)(tr, comp, summary, a.output)
    print(f"report written to {a.output}", file=sys.stderr)
