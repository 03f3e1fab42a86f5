"""The `ballsense` command: sub-commands live in ballsense/commands/."""
import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands
from .errors import LIMITS, UserError, check_number, check_output, setup_logging


def build_parser():
    p = argparse.ArgumentParser(prog="ballsense",
                                description="Pressure-sensing massage ball: flash, watch, record, analyse.")
    p.add_argument("--version", action="version", version=f"ballsense {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and what the stream decides (gaps, "
                   "epochs, backfill)")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    for m in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{m.name}").register(sub)
    return p


def check_args(a):
    """The checks every command shares, before it starts anything: numbers by
    option name (errors.LIMITS), and the output files a command declares with
    set_defaults(outputs={dest: extensions})."""
    for name in LIMITS:
        if getattr(a, name, None) is not None:
            setattr(a, name, check_number(name, getattr(a, name), "--" + name.replace("_", "-")))
    for dest, exts in getattr(a, "outputs", {}).items():
        if getattr(a, dest, None):
            check_output(getattr(a, dest), "-o" if dest == "output" else "--" + dest, exts)


def main(argv=None):
    a = build_parser().parse_args(argv)
    setup_logging(a.debug)
    try:
        check_args(a)
        rc = a.fn(a)  # a command may fail with its own exit status (soak: something was lost)
    except UserError as e:
        if a.debug:
            raise
        print(f"ballsense: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head, say
        sys.stderr.close()
        return 0
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
