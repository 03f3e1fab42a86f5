import sys


def register(sub):
    r = sub.add_parser("report", help="a session report per spot and phase, with the alerts in words: PNG or HTML")
    r.add_argument("recording", help="a .rec recording (or a CSV with t_s,force_n)")
    r.add_argument("-o", "--output", required=True, help="OUT.png (one landscape page) or OUT.html (stands alone)")
    r.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="a what-if gentle maximum; default: the one the session was recorded with")
    r.set_defaults(fn=run, outputs={"output": (".png", ".html")})  # checked by cli.check_args


def run(a):
    from .. import report

    session = report.load(a.recording, a.gentle_max)
    (report.write_png if a.output.lower().endswith(".png") else report.write_html)(session, a.output)
    print(f"report written to {a.output}", file=sys.stderr)
