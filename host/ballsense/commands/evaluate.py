import json


def register(sub):
    e = sub.add_parser("evaluate", help="detection quality on labelled emulated sessions, against the targets")
    e.add_argument("--seeds", type=int, default=20, help="scenarios of each kind (session, hold, rolling)")
    e.add_argument("--first-seed", type=int, default=0,
                   help="seed of the first scenario (check on seeds the detector was not tuned on)")
    e.add_argument("--rate", type=int, default=100, metavar="HZ",
                   help="sample the scenarios at this rate, as a ball configured for it would "
                        "(10, 20, 25, 40, 50, 100 or 200; default 100)")
    e.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    e.set_defaults(fn=run)


def run(a):
    from ..errors import UserError
    from ..evaluate import evaluate, meets, TARGETS, RATES

    if a.rate not in RATES:
        raise UserError(f"--rate {a.rate}: the scenarios are made at 200 Hz and sampled exactly; "
                        f"give one of {', '.join(map(str, RATES))}")
    figs = evaluate(range(a.first_seed, a.first_seed + a.seeds), rate=a.rate)
    if a.json:
        print(json.dumps({"figures": figs, "targets": TARGETS, "misses": meets(figs)}))
        return
    keys = list(next(iter(figs.values())))
    print(f"{'':28}" + "".join(f"{m:>12}" for m in figs) + "   target")
    for k in keys:
        print(f"{k:28}" + "".join(f"{str(f[k]):>12}" for f in figs.values()) + f"   {TARGETS.get(k, '')}")
    for miss in meets(figs):
        print("below target:", miss)
