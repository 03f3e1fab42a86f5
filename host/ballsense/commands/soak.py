import json


def register(sub):
    s = sub.add_parser("soak", help="long emulated BLE streaming with random link drops: nothing may be lost")
    s.add_argument("--minutes", type=float, default=60, help="device-time minutes (default 60)")
    s.add_argument("--speed", type=int, default=10, help="time compression (default 10: an hour in 6 minutes)")
    s.add_argument("--drop-every", type=float, default=20, help="mean wall seconds between link drops")
    s.set_defaults(fn=run)


def run(a):
    import sys
    from ..bench import soak
    r = soak(a.minutes, a.speed, a.drop_every)
    print(json.dumps(r), flush=True)
    if r["ended_early"] or r["missing"]:
        print(f"soak failed: {r['missing']} samples missing, streamed {r['device_minutes_streamed']} of "
              f"{r['device_minutes']} device minutes (the ball's log is in the JSON above)", file=sys.stderr)
        return 1
