def register(sub):
    from .live import RECORD_OUTPUT, add_view_options, run_live
    p = sub.add_parser("session", help="the guided QL release, live (same as live --guide)")
    p.add_argument("source", help="sim://, serial:///dev/ttyACM0, socket://HOST:PORT, ble://NAME")
    add_view_options(p)
    p.set_defaults(fn=lambda a: (setattr(a, "guide", True), run_live(a.source, a))[-1], outputs=RECORD_OUTPUT)
