import json


def register(sub):
    e = sub.add_parser("evaluate", help="detection quality on labelled emulated sessions and real breathing, "
                                        "beside the NeuroKit2 peer, against the targets")
    e.add_argument("--seeds", type=int, default=20, help="scenarios of each kind (session, hold, rolling)")
    e.add_argument("--held-out", action="store_true",
                   help="use the held-out seeds (evaluate.HELD_OUT), which the rules were not tuned on; "
                        "the default is the tuning seeds (evaluate.TUNING)")
    e.add_argument("--first-seed", type=int, default=None,
                   help="start at this seed instead (within the tuning or held-out range)")
    e.add_argument("--rate", type=int, default=100, metavar="HZ",
                   help="sample the scenarios at this rate, as a ball configured for it would "
                        "(10, 20, 25, 40, 50, 100 or 200; default 100)")
    e.add_argument("--real", action="store_true",
                   help="also the real recordings' one-minute holds (fetched from PyPI with pip on first use)")
    e.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    e.set_defaults(fn=run)


def run(a):
    from ..errors import UserError
    from ..evaluate import (HELD_OUT, LEARNT_TARGETS, RATES, TARGETS, TUNING, evaluate, evaluate_learnt,
                            evaluate_real, meets, peer_missing)

    if a.rate not in RATES:
        raise UserError(f"--rate {a.rate}: the scenarios are made at 200 Hz and sampled exactly; "
                        f"give one of {', '.join(map(str, RATES))}")
    pool = HELD_OUT if a.held_out else TUNING
    first = pool.start if a.first_seed is None else a.first_seed
    if a.seeds < 1 or not (pool.start <= first and first + a.seeds <= pool.stop):
        raise UserError(f"--seeds {a.seeds} from --first-seed {first}: the {'held-out' if a.held_out else 'tuning'} "
                        f"seeds are {pool.start}-{pool.stop - 1}")
    seeds = range(first, first + a.seeds)
    figs = evaluate(seeds, rate=a.rate)
    learnt = evaluate_learnt(seeds, a.rate)
    real = evaluate_real(a.rate)[0] if a.real else None
    peer = peer_missing()
    if a.json:
        print(json.dumps({"seeds": [seeds.start, seeds.stop - 1], "held_out": a.held_out, "figures": figs,
                          "learnt": learnt, "real": real, "peer": peer or "neurokit2", "targets": TARGETS,
                          "misses": meets(figs, learnt)}))
        return
    print(f"seeds {seeds.start}-{seeds.stop - 1} ({'held out' if a.held_out else 'tuning'}), {a.rate} Hz")
    keys = list(next(iter(figs.values())))
    print(f"{'':30}" + "".join(f"{m:>12}" for m in figs) + "   target")
    for k in keys:
        print(f"{k:30}" + "".join(f"{str(f[k]):>12}" for f in figs.values()) + f"   {TARGETS.get(k, '')}")
    print("\nthe gentle maximum learnt (none given), force only")
    for k, v in learnt.items():
        print(f"{k:30}{str(v):>12}   {LEARNT_TARGETS.get(k, '')}")
    if real:
        print(f"\nreal one-minute holds {'':8}{'holds':>8}{'ballsense':>12}{'neurokit2':>12}")
        for name, r in real.items():
            print(f"{name:30}{r['holds']:>8}{str(r['breaths_ok']):>12}{str(r['breaths_ok_neurokit2']):>12}")
    if peer:
        print("peer:", peer)
    for miss in meets(figs, learnt):
        print("below target:", miss)
