"""The two-week programme (issue 18): a history built from recordings made on
several days, every number checked against the sessions it was made from.

The recordings are scenarios written through the recorder as the ball's own
frames (tests/recs.py), each with its start time in its meta and, to be sure
the day comes from there, a file clock set years away; each keeps the
settings a live session notes, with the gentle maximum the physio set in the
profile (a quarter above the person's load: scenarios.gentle_max_for, the one
`evaluate` measures the detector with). The expected numbers are the
scenarios' own ground truth (Scenario.phases and .events, the true force),
with the tolerances the detector's measured quality gives
(docs/algorithms.md)."""
import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recs
from ballsense import cli, history, profile, report, scenarios
from ballsense.evaluate import NEAR
from ballsense.phases import BREATHING
from ballsense.settings import GentleMax, PROFILE, Settings
from ballsense.traces import from_rec

START = dt.date(2024, 5, 1)
BODY_KG = 72.0
PERSON = {"name": "Ann", "body_mass_kg": BODY_KG}
G = 9.80665
KINDS = ("pressure_high", "rolling", "slip")
# (day, time, [(side, seed, mistakes)]): days 3, 6, 9 and 11 missed; day 2 in
# two recordings (left in the morning, right in the evening); day 4 left only;
# the mistakes die out over the two weeks.
PLAN = [
    (0, "08:30", [("left", 11, ["spike", "rolling", "slip"]), ("right", 40, ["spike", "slip"])]),
    (1, "08:10", [("left", 12, ["rolling", "spike"]), ("right", 41, ["slip"])]),
    (2, "07:50", [("left", 13, ["spike"])]),
    (2, "19:05", [("right", 14, ["rolling"])]),
    (4, "08:00", [("left", 15, ["slip"])]),
    (5, "08:20", [("left", 17, []), ("right", 42, ["spike"])]),
    (7, "09:00", [("left", 18, []), ("right", 43, [])]),
    (8, "08:45", [("left", 19, []), ("right", 44, [])]),
    (10, "08:15", [("left", 20, []), ("right", 45, [])]),
    (12, "08:40", [("left", 21, []), ("right", 46, [])]),
    (13, "08:05", [("left", 22, []), ("right", 47, [])]),
]
MISSED = {3, 6, 9, 11}


def scenario(seed, mistakes, near=None, used=None):
    """A two-spot session; with `near`, the next seed not in `used` whose
    load is within 4 % of it (the same person on the other side)."""
    used = set() if used is None else used
    while True:
        sc = scenarios.session(seed, spots=2, mistakes=bool(mistakes), order=mistakes or None)
        if seed not in used and (near is None or abs(sc.load_n - near) < 0.04 * near):
            used.add(seed)
            return sc
        seed += 1


def stamp(day, hhmm):
    return f"{START + dt.timedelta(day)}T{hhmm}:00+0200"


@pytest.fixture(scope="module", autouse=True)
def home(fresh_home):  # a fresh user's folders (conftest)
    return fresh_home


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The programme's recordings, plus three that must stay out: an emulated
    one, another person's, and one from a month before."""
    d = tmp_path_factory.mktemp("sessions")
    made, used = [], set()
    for i, (day, hhmm, parts) in enumerate(PLAN):
        scs, load = [], None
        for side, seed, mistakes in parts:
            sc = scenario(seed, mistakes, load, used)
            load = load or sc.load_n
            scs.append((side, sc))
        path = d / f"{i:02d}.rec"
        gm = scenarios.gentle_max_for(load)
        recs.write(path, scs, stamp(day, hhmm), {"profile": dict(PERSON, gentle_max_n=gm)},
                   settings=Settings(GentleMax(gm, PROFILE)))
        made.append((path, day, scs, gm))
    recs.write(d / "demo.rec", [("left", scenarios.demo(1))], stamp(3, "10:00"),
               {"source": "sim://demo?seed=1", "emulated": True, "profile": PERSON})
    recs.write(d / "bob.rec", [("left", scenario(30, []))], stamp(6, "10:00"),
               {"profile": {"name": "Bob", "body_mass_kg": 90.0}})
    recs.write(d / "april.rec", [("left", scenario(31, []))], "2024-04-02T08:00:00+0200", {"profile": PERSON})
    years_away = dt.datetime(2031, 7, 9).timestamp()
    for p in d.iterdir():
        os.utime(p, (years_away, years_away))  # the file clock says nothing
    return d, made


def expected(made):
    """Per (day, side), from the scenarios alone: spots, time held (HELD
    phases), the true force over it, the mistakes, and how many pressure
    alerts the rolling bouts' swings may raise: at least the swings that
    passed the gentle maximum by more than the sensor's 2 % for 0.1 s, at
    most those that came within 2 % of it (evaluate.NEAR)."""
    out = {}
    for path, day, scs, gm in made:
        true = recs.true_force(scs)
        t = np.arange(len(true)) / recs.RATE
        clear = [s for s, e in recs.excursions(scs, (2 - NEAR) * gm) if e - s >= 0.1]
        near = [s for s, _ in recs.excursions(scs, NEAR * gm)]
        for tr in recs.truth(scs):
            e = out.setdefault((day, tr["side"]), dict(
                held=0.0, spots=0, rolls=0, wsum=0.0, peak=0.0, alerts=dict.fromkeys(KINDS, 0), swings=[0, 0],
                recs=set()))
            held = np.zeros(len(t), bool)
            for a, b, kind, _ in tr["phases"]:
                held |= (t >= a) & (t < b) & (kind in report.HELD)
                if kind == "rolling":
                    e["swings"][0] += sum(1 for x in clear if a <= x <= b)
                    e["swings"][1] += sum(1 for x in near if a - report.ROLL_FOUND_S <= x <= b)
            e["held"] += held.sum() / recs.RATE
            e["wsum"] += true[held].sum() / recs.RATE
            e["peak"] = max(e["peak"], true[(t >= tr["start_s"]) & (t < tr["end_s"])].max())
            e["spots"] += 1
            e["rolls"] += tr["rolling"]
            for kind, key in (("pressure_high", "spike"), ("rolling", "rolling"), ("slip", "slip")):
                e["alerts"][kind] += tr[key]
            e["recs"].add(path)
    return out


@pytest.fixture(scope="module")
def programme(folder):
    d, _ = folder
    sessions, left_out = history.collect(sorted(str(p) for p in d.glob("*.rec")), person="Ann")
    return history.build(sessions, today=dt.date(2024, 6, 1), person=profile.Profile("Ann", BODY_KG),
                         left_out=left_out)


def test_every_number_of_the_fourteen_days(folder, programme):
    """Every number of every day and side against the scripts: the spots, the
    time held within 1 s a spot (contact is seen at 10 N, a little into the
    script's settling) and 1.5 s more a rolling bout (it is over after 1.5 s
    of calm), the mean and peak force within 3 % of the true force (the FSR's
    creep varies +-40 % between sensors and the detector divides out the
    nominal one: docs/algorithms.md), the mistakes exactly (a rolling bout is
    one, its swings past the gentle maximum counted apart), the trend; the
    breaths and knee drops are the spots' (checked against the scripts in the
    next test)."""
    _, made = folder
    want = expected(made)
    prog = programme
    assert prog.days == [START + dt.timedelta(i) for i in range(14)]
    assert prog.sides == ["left", "right"]
    assert len(prog.rows) == 28
    for r in prog.rows:
        day = (r.day - START).days
        e = want.get((day, r.side))
        if e is None:
            assert r.status == "missed" and r.spots == 0 and r.held_s == 0 and r.mean_force_n is None, r
            assert sum(r.alerts.values()) == 0 and r.rolling_swings == 0
            continue
        where = (r.day, r.side)
        assert r.status == "done", r
        assert r.sessions == len(e["recs"]) and r.spots == e["spots"], where
        assert abs(r.held_s - e["held"]) <= 1.0 * e["spots"] + 1.5 * e["rolls"], where
        assert r.mean_force_n == pytest.approx(e["wsum"] / e["held"], rel=0.03), where
        assert r.peak_force_n == pytest.approx(e["peak"], rel=0.03), where
        assert r.mean_pct == pytest.approx(100 * r.mean_force_n / (BODY_KG * G), abs=1e-6)
        assert r.peak_pct == pytest.approx(100 * r.peak_force_n / (BODY_KG * G), abs=1e-6)
        assert r.alerts == e["alerts"], where
        assert e["swings"][0] <= r.rolling_swings <= e["swings"][1], where
        spots = [sp for s in prog.sessions if s.started.date() == r.day for sp in s.spots if sp["side"] == r.side]
        assert (r.breaths, r.knee_drops) == (sum(sp["breaths"] for sp in spots), sum(sp["knee_drops"] for sp in spots))
    done_days = {day for day, _ in want}
    assert done_days == set(range(14)) - MISSED
    assert [d for d in prog.days if prog.day_status(d) == "missed"] == [START + dt.timedelta(i) for i in sorted(MISSED)]
    assert prog.row(START + dt.timedelta(4), "right").status == "missed"  # left only that day
    day2 = START + dt.timedelta(2)  # two recordings, one day, a side each
    assert prog.row(day2, "left").sessions == 1 == prog.row(day2, "right").sessions
    assert sum(r.rolling_swings for r in prog.rows) >= 3  # the rolling days did press past it

    # the trend: least squares over the days done, mistakes a day, per week
    days = sorted(done_days)
    per_day = [sum(sum(want[(d, s)]["alerts"].values()) for s in ("left", "right") if (d, s) in want) for d in days]
    assert per_day[:3] == [5, 3, 2]  # the plan's mistakes, dying out
    slope = np.polyfit(days, per_day, 1)[0] * 7
    assert prog.trend["slope_per_week"] == pytest.approx(slope, abs=1e-9)
    assert prog.trend["first"] == per_day[0] and prog.trend["last"] == per_day[-1] == 0
    assert slope < -history.TREND_STEADY and prog.trend["word"] == "down"

    # the three that stay out, each said
    assert prog.left_out == {"emulated or replayed (--all includes them)": 1,
                             "another person's (--person NAME shows theirs)": 1,
                             "before this window (--start 2024-04-02 shows them)": 1}


def _spot_pairs(folder, programme):
    """(analysed spot, the script's spot), recording by recording."""
    _, made = folder
    by_path = {s.path: s for s in programme.sessions}
    pairs = []
    for path, _, scs, _ in made:
        s, truth = by_path[str(path)], recs.truth(scs)
        assert len(s.spots) == len(truth), path  # spots: exact
        pairs += list(zip(s.spots, truth))
    return pairs


def test_the_sessions_match_their_scenarios(folder, programme):
    """Spot by spot against the scripts. The spots and their sides are
    exact. Knee drops: exact on at least 90 % of the spots that have them and
    never off by more than one; breaths: within one (or 10 %) of the script's
    per breathing phase on at least 90 % of the spots. The detector measures
    96 % and 98 % per phase on tuning and held-out seeds (its targets 90 %
    and 95 %, docs/algorithms.md); a spot fails both when the detector starts
    its knee drops on a deep breath, which takes the breaths after it too."""
    pairs = _spot_pairs(folder, programme)
    assert len(pairs) == 39
    assert all(sp["side"] == tr["side"] for sp, tr in pairs)
    knees = [(sp["knee_drops"], tr["knee_drops"]) for sp, tr in pairs if tr["knee_drops"]]
    assert all(abs(got - want) <= 1 for got, want in knees), knees
    assert sum(got == want for got, want in knees) >= 0.9 * len(knees), knees
    assert all(sp["knee_drops"] == 0 for sp, tr in pairs if not tr["knee_drops"])

    def breaths_within(sp, tr):
        phases = [n for _, _, kind, n in tr["phases"] if kind in BREATHING]
        return abs(sp["breaths"] - tr["breaths"]) <= sum(max(1, 0.1 * n) for n in phases)  # evaluate.breaths_ok

    ok = [breaths_within(sp, tr) for sp, tr in pairs]
    assert sum(ok) >= 0.9 * len(ok), [(sp["breaths"], tr["breaths"]) for sp, tr in pairs]


def test_the_learnt_gentle_maximum_keeps_the_knee_drops(tmp_path):
    """Day 10 of the plan, calm on both sides, recorded as a first session
    is (no gentle maximum set: it is learnt): every spot's knee drops as the
    script did them. With the maximum learnt at 1.25 x the first hold the
    right side's two spots reported 4 of 6 and 0 of 4, after three pressure
    alerts on knee drops that came within 2 % of it."""
    left = scenario(20, [])
    scs = [("left", left), ("right", scenario(58, [], left.load_n))]  # as the folder has them
    path = tmp_path / "learnt.rec"
    recs.write(path, scs, stamp(10, "08:15"), {"profile": PERSON}, settings=Settings())
    s = report.load(path)
    assert s.summary["gentle_max_from"] == "learnt"
    assert [sp["knee_drops"] for sp in s.spots] == [tr["knee_drops"] for tr in recs.truth(scs)]


def test_csv_has_the_same_numbers(programme, tmp_path):
    out = tmp_path / "programme.csv"
    history.write_csv(programme, out)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == history.COLUMNS and len(rows) == 28
    for row, r in zip(rows, programme.rows):
        assert (row["date"], row["side"], row["status"]) == (r.day.isoformat(), r.side, r.status)
        if r.status != "done":
            assert row["held_min"] == row["spots"] == row["mean_force_n"] == ""
            continue
        assert float(row["held_min"]) == pytest.approx(r.held_s / 60, abs=0.005)
        assert int(row["spots"]) == r.spots and int(row["sessions"]) == r.sessions
        assert float(row["breaths_per_spot"]) == pytest.approx(r.breaths / r.spots, abs=0.05)
        assert float(row["knee_drops_per_spot"]) == pytest.approx(r.knee_drops / r.spots, abs=0.05)
        assert float(row["mean_force_n"]) == pytest.approx(r.mean_force_n, abs=0.05)
        assert float(row["peak_pct_body_weight"]) == pytest.approx(r.peak_pct, abs=0.05)
        assert [int(row[f"alerts_{k}"]) for k in KINDS] == [r.alerts[k] for k in KINDS]
        assert int(row["alerts_pressure_high_while_rolling"]) == r.rolling_swings


def test_terminal_table_one_line_per_day_and_side(folder, monkeypatch, capsys):
    d, _ = folder
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["history", "--person", "Ann"] + sorted(str(p) for p in d.glob("*.rec"))) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80
    for i in range(14):
        label = (START + dt.timedelta(i)).strftime("%a %d")
        [line] = [x for x in lines if x.startswith(label)]
        assert ("missed" in line) == (i in MISSED), line
    assert "done on 10 of 14 days (left 10, right 9); missed 4" in out
    assert "trend down" in out and "left out: 1 recording emulated or replayed" in out


def test_all_brings_the_emulated_session_in(folder, programme):
    d, _ = folder
    demo, left_out = history.collect([str(d / "demo.rec")], include_all=True)
    prog = history.build(programme.sessions + demo, today=dt.date(2024, 6, 1), left_out=left_out)
    assert prog.row(START + dt.timedelta(3), "left").status == "done"
    assert sum(1 for dd in prog.days if prog.day_status(dd) == "done") == 11


def test_window_follows_the_programme():
    days = {START + dt.timedelta(i) for i in (0, 1, 2)}
    assert history.window(days)[0] == START and len(history.window(days)) == 14  # under way: days to come
    late = days | {START + dt.timedelta(40)}
    assert history.window(late)[0] == START + dt.timedelta(40)  # a new programme started
    assert history.window(days, 7, start=START + dt.timedelta(1)) == [START + dt.timedelta(i) for i in range(1, 8)]


def test_days_to_come_are_not_missed(folder):
    d, made = folder
    first_days = [p for p, day, _, _ in made if day <= 2]
    sessions, _ = history.collect([str(p) for p in first_days])
    prog = history.build(sessions, today=START + dt.timedelta(2))
    assert [prog.day_status(x) for x in prog.days] == ["done"] * 3 + ["to come"] * 11
    assert "done on 3 of 14 days (left 3, right 3); missed 0; 11 to come" in history.summary_lines(prog)[0]


def test_png_is_a_strip_of_the_days(programme, tmp_path):
    import matplotlib.image as mpimg
    out = tmp_path / "programme.png"
    history.write_png(programme, out)
    img = mpimg.imread(out)[..., :3]
    assert img.shape[1] >= 1000 and img.shape[0] >= 600
    is_colour = lambda hexc: np.all(np.abs(img - np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)]) / 255) < 0.02,
                                    axis=2)
    missed, done = is_colour("#f3d0d0"), is_colour("#5fae5f") | is_colour("#b9e0b9")
    # a cell per day and side: 9 missed (4 days, and the right side of day 4), 19 done
    assert done.sum() > 0 and 9 / 28 * 0.9 < missed.sum() / (missed.sum() + done.sum()) < 9 / 28 * 1.1


def test_bad_window_options_are_one_line(tmp_path, capsys):
    assert cli.main(["history", "--start", "May 1"]) == 2
    assert "--start May 1: give a date as YYYY-MM-DD" in capsys.readouterr().err
    assert cli.main(["history", "--days", "0"]) == 2
    assert "--days 0 is out of range" in capsys.readouterr().err
    assert cli.main(["history", "-o", str(tmp_path / "p.pdf")]) == 2
    assert "must end in .png or .html or .csv" in capsys.readouterr().err


def _venv():
    return Path(sys.executable).parent.parent


def test_make_demo_leaves_history_empty(tmp_path, monkeypatch, capsys):
    """`make demo` on a fresh machine (empty data and config folders), cut
    short; then `ballsense history` has nothing to show, and --all shows the
    demo."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    stamp = _venv() / ".installed"
    r = subprocess.run(["make", "-s", "-C", str(root), "-o", str(stamp), f"VENV={_venv()}", "demo",
                        "ARGS=--headless --quiet --seconds 20 --speed 10"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    recorded = list((tmp_path / "data" / "ballsense" / "sessions").glob("*.rec"))
    assert len(recorded) == 1 and "recorded to" in r.stderr
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    monkeypatch.setenv("XDG_CONFIG_HOME", env["XDG_CONFIG_HOME"])
    assert cli.main(["history"]) == 2
    err = capsys.readouterr().err
    assert "no recordings to summarise" in err and "1 emulated or replayed (--all includes them)" in err
    assert cli.main(["history", "--all"]) == 0
    assert "done on 1 of 14 days" in capsys.readouterr().out


def test_cli_writes_every_output_and_skips_what_it_cannot_read(folder, tmp_path, capsys):
    d, made = folder
    junk = tmp_path / "junk.rec"
    junk.write_bytes(b"not a recording")
    outs = [tmp_path / f"programme.{x}" for x in ("html", "png", "csv")]
    args = ["history", "--person", "Ann", "--start", "2024-05-01", "--days", "7", str(made[0][0]), str(junk)]
    assert cli.main(args + sum((["-o", str(o)] for o in outs), [])) == 0
    out = capsys.readouterr().out
    assert f"skipped {junk}" in out and "not a ballsense recording" in out
    assert "done on 1 of 7 days (left 1, right 1); missed 6" in out
    assert all(o.stat().st_size > 1000 for o in outs[:2]) and len(outs[2].read_text().splitlines()) == 1 + 14
    assert outs[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(o.stat().st_mode & 0o077 == 0 for o in outs)  # about a person's health: the owner's alone


def test_nothing_usable_says_why(folder, capsys):
    d, _ = folder
    assert cli.main(["history", str(d / "demo.rec")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("ballsense: error: no recordings to summarise: record a session first (ballsense live or "
                   "session); left out: 1 emulated or replayed (--all includes them)")


def test_a_csv_has_no_day(folder, tmp_path, capsys):
    d, made = folder
    csv_path = tmp_path / "s.csv"
    tr = from_rec(str(made[0][0]))
    np.savetxt(csv_path, np.column_stack([tr.t, tr.force]), delimiter=",", header="t_s,force_n", comments="",
               fmt="%.3f")
    assert cli.main(["history", str(csv_path), str(made[1][0])]) == 0
    assert "left out: 1 recording without a start time (a CSV" in capsys.readouterr().out
