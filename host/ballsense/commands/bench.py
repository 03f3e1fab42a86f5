import json


def register(sub):
    b = sub.add_parser("bench", help="speed figures on the emulated ball (docs/performance.md)")
    b.add_argument("--json", action="store_true", help="one JSON line (the default)")
    b.add_argument("--quick", action="store_true", help="one short run of each, for a smoke test")
    b.add_argument("--no-ble", action="store_true", help="skip the BLE figures")
    b.set_defaults(fn=run)


def run(a):
    from ..bench import run as bench
    print(json.dumps(bench(quick=a.quick, ble=not a.no_ble)), flush=True)
