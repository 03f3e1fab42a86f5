import argparse
import datetime as dt
import glob
import os


def register(sub):
    h = sub.add_parser("history", help="the two-week programme day by day: per side, minutes held, spots, "
                       "breaths, knee drops, force, alerts and their trend")
    h.add_argument("recordings", nargs="*", help=".rec files (default: every session in your data folder)")
    h.add_argument("-o", "--output", action="append", default=[], metavar="OUT",
                   help="also OUT.html (one page to send or print), OUT.png (the days as a strip) or OUT.csv "
                   "(the same numbers); may be given more than once")
    h.add_argument("--csv", metavar="FILE", help=argparse.SUPPRESS)  # = -o FILE.csv, kept for scripts
    h.add_argument("--days", type=int, default=None, help="length of the programme window (default 14)")
    h.add_argument("--start", default=None, metavar="YYYY-MM-DD",
                   help="first day of the window (default: the first session of the last DAYS days)")
    h.add_argument("--all", action="store_true", help="include emulated sessions (sim://, demo) and replays")
    h.add_argument("--person", default=None, help="whose sessions (default: the active profile's)")
    h.set_defaults(fn=run)


def run(a):
    from .. import history, profile
    from ..errors import UserError, check_output
    from ..sessions import folder

    outputs = a.output + ([a.csv] if a.csv else [])
    for out in outputs:
        check_output(out, "--csv" if out == a.csv else "-o", tuple(history.OUTPUTS))
    start = None
    if a.start:
        try:
            start = dt.date.fromisoformat(a.start)
        except ValueError:
            raise UserError(f"--start {a.start}: give a date as YYYY-MM-DD, e.g. 2024-05-01") from None
    person = profile.load(a.person) if a.person else profile.load()
    if a.person and not person.name:
        person = profile.Profile(a.person)  # a name from recordings, without a profile here
    paths = a.recordings or sorted(glob.glob(os.path.join(folder(), "*.rec")))
    sessions, left_out = history.collect(paths, a.all, person.name)
    prog = history.build(sessions, a.days or history.DAYS, start, person=person, left_out=left_out)
    history.print_table(prog)
    for out in outputs:
        history.OUTPUTS[os.path.splitext(out)[1].lower()](prog, out)
        print(f"written to {out}")
