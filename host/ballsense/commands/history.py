import glob
import os


def register(sub):
    h = sub.add_parser("history", help="the two-week programme: sessions per day, minutes per side, alerts")
    h.add_argument("recordings", nargs="*", help=".rec files (default: every session in your data folder)")
    h.add_argument("-o", "--output", help="also a plot, OUT.png")
    h.add_argument("--csv", metavar="FILE", help="also the table as CSV")
    h.set_defaults(fn=run, outputs={"output": (".png",), "csv": (".csv",)})  # checked by cli.check_args


def run(a):
    from .. import history
    from ..sessions import folder

    paths = a.recordings or sorted(glob.glob(os.path.join(folder(), "*.rec")))
    entries = history.collect(paths)
    rows = [(str(e.day), f"{e.minutes:.1f}", f"{e.left_min:.1f}", f"{e.right_min:.1f}", str(e.holds), str(e.alerts),
             os.path.basename(e.path)) for e in entries]
    head = ("day", "minutes", "left min", "right min", "holds", "alerts", "recording")
    from rich.console import Console
    from rich.table import Table
    t = Table(*head, title="ballsense history")
    for r in rows:
        t.add_row(*r)
    Console().print(t)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write(",".join(h.replace(" ", "_") for h in head) + "\n")
            f.writelines(",".join(r) + "\n" for r in rows)
    if a.output:
        history.plot(entries, a.output)
