import sys


def register(sub):
    r = sub.add_parser("report", help="a session report as PNG or HTML")
    r.add_argument("recording", help="a .rec recording (or a CSV with t_s,force_n)")
    r.add_argument("-o", "--output", required=True, help="OUT.png or OUT.html")
    r.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS")
    r.set_defaults(fn=run)


def run(a):
    from .. import report
    from ..errors import UserError
    from ..recording import Recording
    from ..traces import load

    if not a.output.endswith((".png", ".html")):
        raise UserError(f"-o {a.output}: the report must end in .png or .html")
    tr = load(a.recording)
    if tr.note:
        print(f"ballsense: note: {a.recording}: {tr.note}", file=sys.stderr)
    gm = a.gentle_max
    if gm is None and a.recording.endswith(".rec"):
        notes = [n["gentle_max"] for n in Recording(a.recording).notes() if n.get("gentle_max")]
        gm = notes[-1] if notes else None
    summary, comp = report.build(tr, gm)
    (report.write_png if a.output.endswith(".png") else report.write_html)(tr, comp, summary, a.output)
    print(f"report written to {a.output}", file=sys.stderr)
