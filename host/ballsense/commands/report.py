import sys


def register(sub):
    r = sub.add_parser("report", help="a session report as PNG or HTML")
    r.add_argument("recording", help="a .rec recording (or a CSV with t_s,force_n)")
    r.add_argument("-o", "--output", required=True, help="OUT.png or OUT.html")
    r.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS")
    r.set_defaults(fn=run, outputs={"output": (".png", ".html")})  # checked by cli.check_args


def run(a):
    from .. import report
    from ..replay import settings_of
    from ..traces import load

    tr = load(a.recording)
    summary, comp = report.build(tr, a.gentle_max)  # the recording's own, unless a what-if
    what_if = settings_of(tr, a.gentle_max).gentle.words()
    if what_if:
        print(f"ballsense: note: {what_if}", file=sys.stderr)
    (report.write_png if a.output.endswith(".png") else report.write_html)(tr, comp, summary, a.output)
    print(f"report written to {a.output}", file=sys.stderr)
