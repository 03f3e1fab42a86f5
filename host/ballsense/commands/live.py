import asyncio
import contextlib
import sys


def add_view_options(p):
    p.add_argument("--headless", action="store_true", help="one line per event instead of the full-screen view")
    p.add_argument("--seconds", type=float, default=None, help="stop after this much session time")
    p.add_argument("--quiet", action="store_true", help="no sound")
    p.add_argument("--plot", action="store_true", help="also a live plot window")
    p.add_argument("--record", metavar="FILE", help="record here (default: a new file in your data folder)")
    p.add_argument("--no-record", action="store_true", help="do not record")
    p.add_argument("--gentle-max", type=float, default=None, metavar="NEWTONS",
                   help="your gentle maximum; default: your profile's (ballsense profile), else learnt from "
                   "your first settled hold")
    p.add_argument("--guide", action="store_true", help="walk the guided QL release")
    p.add_argument("--side", choices=("left", "right"), default=None,
                   help="the side treated (with --guide: the side to start with, default left)")
    p.add_argument("--web", metavar="[HOST:]PORT",
                   help="also serve the phone view (read-only) at PORT, on 127.0.0.1 unless you name a host "
                        "(any other needs the key in the printed URL / QR code); the terminal then prints the "
                        "URL and one line per event")


RECORD_OUTPUT = {"record": (".rec",)}  # checked by cli.check_args


def register(sub):
    p = sub.add_parser("live", help="watch and hear a ball live")
    p.add_argument("source", help="sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://NAME")
    add_view_options(p)
    p.set_defaults(fn=lambda a: run_live(a.source, a), outputs=RECORD_OUTPUT)


def run_live(url, a, summary=None):
    """The live pipeline with the sinks the options ask for. `summary`, if
    given, is called with (stream, pipeline, source) at the end."""
    from .. import profile, sessions
    from ..pipeline import Pipeline, Headless
    from ..recording import Recorder
    from ..settings import gentle_max
    from ..sinks.sound import Sound
    from ..sources import open_source
    from ..stream import Stream

    web = None
    if getattr(a, "web", None):
        from ..sinks.web import Web, parse_address
        web = Web(*parse_address(a.web))
    # the phone is the view: the terminal keeps the page's address in sight
    sinks = [Headless()] if a.headless or web else [_screen()]
    sinks.append(Sound(quiet=a.quiet or a.headless and not sys.stdout.isatty()))
    if web:
        sinks.insert(0, web)  # first: an alert reaches the phone before the host starts a player
    if a.plot:
        from ..sinks.plot import Plot
        sinks.append(Plot())
    guide = None
    if a.guide:
        from ..guide import Guide
        guide = Guide(first_side=a.side or "left")
    path = None if a.no_record else (a.record or str(sessions.new_path()))
    person = profile.load()
    gentle = gentle_max(given=a.gentle_max, profile=person.gentle_max())  # the one rule (settings.py)

    async def go():
        async with web or contextlib.nullcontext():
            if web:
                web.announce()
            return await session()

    async def session():
        src = open_source(url)
        rec = Recorder(path, sessions.meta(url, "ballsense live", gentle_max=gentle.newtons,
                                           profile=person.meta())) if path else None
        if rec and a.side and not guide:  # the guide notes its own sides
            rec.note(side=a.side, t_s=0.0)
        try:
            async with src:
                stream = Stream(src, rec)
                pipe = Pipeline(stream, gentle, sinks + [rec] if rec else sinks, guide)
                await pipe.run(a.seconds)
                if summary:
                    await summary(stream, pipe, src)
                stream.close()
        finally:
            if rec:
                rec.close()
        return pipe

    try:
        pipe = asyncio.run(go())
    except KeyboardInterrupt:
        pipe = None
    if path:
        print(f"recorded to {path}", file=sys.stderr)
    return pipe


def _screen():
    from ..sinks.screen import Screen
    return Screen()
