import json


def register(sub):
    from .live import RECORD_OUTPUT, add_view_options
    d = sub.add_parser("demo", help="a session on the emulated ball (no ball needed)")
    d.add_argument("--scenario", default=None,
                   help="scripted session to play: demo (default), guided (default with --guide: both sides "
                   "to the end), session, hold, rolling")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--speed", type=int, default=1, help="time compression of the emulated ball")
    d.add_argument("--transport", choices=("usb", "ble"), default="usb",
                   help="the emulated ball's link: USB serial over a pty, or BLE over emulated BlueZ")
    d.add_argument("--disconnect-every", type=float, default=None, metavar="S",
                   help="drop the emulated BLE link every S seconds")
    d.add_argument("--summary-json", action="store_true", help="end with one JSON line of link figures")
    add_view_options(d)
    d.set_defaults(fn=run, outputs=RECORD_OUTPUT)


def run(a):
    from .live import run_live

    scheme = "sim+ble" if a.transport == "ble" else "sim"
    scenario = a.scenario or ("guided" if a.guide else "demo")
    url = f"{scheme}://{scenario}?seed={a.seed}&speed={a.speed}"
    if a.disconnect_every:
        url += f"&disconnect_every={a.disconnect_every}"
    run_live(url, a, summary=_summary if a.summary_json else None)


async def _summary(stream, pipe, src):
    """Samples the ball made (the range seen, first to newest) against those
    received, after giving outstanding backfill a moment to arrive."""
    asm = stream.asm
    await stream.drain(10)
    lat = sorted(stream.latencies_ms)
    pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None
    print(json.dumps({"samples_expected": asm.expected(), "samples_received": asm.received,
                      "missing": asm.missing_count(), "duplicates": asm.duplicates,
                      "reconnects": src.reconnects, "late_events": sum(e.late for e in pipe.events),
                      "latency_ms_p50": pct(0.5), "latency_ms_p95": pct(0.95)}), flush=True)
