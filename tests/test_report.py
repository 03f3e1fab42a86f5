"""The session report (issue 18): per spot and phase, the alerts in words,
readable on paper, and its HTML (and the programme's) standing alone in a
real browser: headless Chromium, driven by Playwright, with no network
request."""
import datetime as dt
import os
import re

import numpy as np
import pytest

import recs
from ballsense import cli, history, report, scenarios
from ballsense.alerts import ALERTS

PERSON = {"name": "Ann", "body_mass_kg": 70.0}
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory):
    d = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(d / "data"))
        mp.setenv("XDG_CONFIG_HOME", str(d / "config"))
        yield d


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's three spots on the left (a spike, a roll, a slip), then a
    calm session on the right, as the guide records them."""
    path = tmp_path_factory.mktemp("rec") / "s.rec"
    left = scenarios.demo(1)
    right = next(sc for sc in (scenarios.session(s, spots=2, mistakes=False) for s in range(100, 200))
                 if 0.9 * left.load_n < sc.load_n < left.load_n)
    recs.write(path, [("left", left), ("right", right)], "2024-05-03T07:45:00+0200", {"profile": PERSON})
    return path, left, right


@pytest.fixture(scope="module")
def session(demo):
    return report.load(demo[0])


def test_spots_have_their_sides_and_phases(demo, session):
    _, left, right = demo
    spots = session.spots
    assert [sp["spot"] for sp in spots] == list(range(1, len(spots) + 1))
    boundary = left.duration_s
    for sp in spots:
        assert sp["side"] == ("left" if sp["start_s"] < boundary else "right")
        assert sp["phases"] and sp["held_s"] == pytest.approx(sum(p["end_s"] - p["start_s"] for p in sp["phases"]))
        m = (session.trace.t >= sp["start_s"]) & (session.trace.t < sp["end_s"])
        assert sp["peak_force_n"] == pytest.approx(session.comp[m].max(), abs=0.01)
    assert sum(sp["knee_drops"] for sp in spots if sp["side"] == "left") == 15  # 5 at each of 3 spots
    assert sum(sp["knee_drops"] for sp in spots if sp["side"] == "right") == 10
    rows = report.rows(session)
    assert len(rows) == len(spots) and {r[1] for r in rows} == {"left", "right"}


def test_peak_is_a_press_not_a_sensor_glitch(session):
    """The scenario puts a 5-30 ms glitch of 40-90 % of the load in every 20 s;
    the report's peaks leave them out (the detector ignores them too)."""
    calm = [sp for sp in session.spots if sp["side"] == "right"]
    for sp in calm:
        assert sp["peak_force_n"] < 1.2 * sp["mean_force_n"], sp
    raw = session.trace.force
    assert any(raw[(session.trace.t >= sp["start_s"]) & (session.trace.t < sp["end_s"])].max()
               > 1.3 * sp["mean_force_n"] for sp in calm)  # there were glitches to leave out


def test_spots_from_the_detectors_phases():
    """The summary's shape once the detector reports phases (issue 14):
    grouped by spot, rolling not counted as time held."""
    summary = {"holds": [], "alerts": [], "states": [], "phases": [
        {"kind": "settle", "start_s": 2.0, "end_s": 5.0, "breaths": 0, "knee_drops": 0, "spot": 1},
        {"kind": "breathe", "start_s": 5.0, "end_s": 50.0, "breaths": 6, "knee_drops": 0, "spot": 1},
        {"kind": "rolling", "start_s": 50.0, "end_s": 58.0, "breaths": 0, "knee_drops": 0, "spot": 1},
        {"kind": "knee_drops", "start_s": 58.0, "end_s": 80.0, "breaths": 0, "knee_drops": 5, "spot": 1},
        {"kind": "settle", "start_s": 90.0, "end_s": 93.0, "breaths": 0, "knee_drops": 0, "spot": 2},
        {"kind": "breathe", "start_s": 93.0, "end_s": 140.0, "breaths": 7, "knee_drops": 0, "spot": 2}]}
    t = np.arange(0, 150, 0.01)
    comp = np.where((t > 2) & (t < 140), 100.0, 0.0)
    sp = report.spots(summary, t, comp, [{"side": "right", "t_s": 0.0}])
    assert [(s["spot"], s["side"], s["start_s"], s["end_s"], s["held_s"], s["breaths"], s["knee_drops"])
            for s in sp] == [(1, "right", 2.0, 80.0, 70.0, 6, 5), (2, "right", 90.0, 140.0, 50.0, 7, 0)]
    assert [p["kind"] for p in sp[0]["phases"]] == ["settle", "breathe", "rolling", "knee_drops"]
    assert sp[1]["mean_force_n"] == pytest.approx(100.0, abs=0.1)


def test_alerts_in_words(demo, session):
    lines = report.alert_lines(session)
    assert len(lines) == len(session.summary["alerts"]) >= 3
    gm = session.summary["gentle_max_n"]
    kinds = [a["kind"] for a in session.summary["alerts"]]
    for line, a in zip(lines, session.alerts()):
        assert re.match(r"\d+:\d\d \((spot \d+|while rolling|between spots), (left|right) side\): ", line), line
        assert ALERTS[a["kind"]].mistake in line
        if a["kind"] == "pressure_high":
            pct = 100 * a["force_n"] / (70 * 9.80665)
            assert f"{a['force_n']:.0f} N against a gentle maximum of {gm:.0f} N ({pct:.0f} % of body weight)" in line
    assert {"pressure_high", "rolling", "slip"} <= set(kinds)
    assert all(a["side"] == "left" for a in session.alerts())  # the right side was calm


def test_axes_are_sensible(session):
    plt = report._plt()
    fig, ax = plt.subplots(figsize=(11, 4))
    report.draw_trace(ax, session)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(re.fullmatch(r"\d+:\d\d", x) for x in labels) and len(labels) >= 5
    lo, hi = ax.get_ylim()
    assert lo == 0 and session.comp.max() < hi < 1.4 * max(session.comp.max(), session.summary["gentle_max_n"])
    assert all(float(v).is_integer() for v in ax.get_yticks())
    assert ax.get_xlim() == (session.trace.t[0], session.trace.t[-1])
    plt.close(fig)


def test_png_is_one_page_without_an_empty_half(session, tmp_path):
    import matplotlib.image as mpimg
    out = tmp_path / "r.png"
    report.write_png(session, out)
    img = mpimg.imread(out)[..., :3]
    h, w = img.shape[:2]
    assert w >= 1200 and 0.5 < h / w < 0.9  # landscape, about A4
    blank = np.all(img > 0.97, axis=(1, 2))
    runs, n = [], 0
    for b in blank:
        n = n + 1 if b else 0
        runs.append(n)
    assert max(runs) < 0.08 * h  # no band of empty page taller than a few lines


def test_report_cli_what_if_gentle_max(demo, session, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert cli.main(["report", str(demo[0]), "-o", str(out), "--gentle-max", "90"]) == 0
    page = out.read_text()
    assert "gentle maximum 90 N (given for this report)" in page
    assert f"gentle maximum {session.summary['gentle_max_n']:.0f} N (learnt)" in report.heading(session)[1]
    what_if = re.findall(r"(\d+):(\d\d) \([^)]*\): pressed past the gentle range: \d+ N against a gentle maximum of "
                         r"(\d+) N", page)
    learnt = [a["t_s"] for a in session.summary["alerts"] if a["kind"] == "pressure_high"]
    assert {m[2] for m in what_if} == {"90"} and len(what_if) >= len(learnt)
    assert int(what_if[0][0]) * 60 + int(what_if[0][1]) < learnt[0] - 5  # 90 N is passed on settling already


# ---- a real browser ----------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    missing = None
    if not os.path.exists(CHROMIUM):
        missing = "chromium is not installed: apt-get install chromium (.ci/run does)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "playwright is not installed: pip install -e '.[test]'"
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_alone(browser, path):
    """Open a page from disk with every network request refused and noted:
    -> (page, requests other than the page itself, printed PDF pages)."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    asked = []
    ctx.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: (asked.append(route.request.url), route.abort()))
    page = ctx.new_page()
    page.on("request", lambda r: None if r.url in (path.as_uri(),) or r.url.startswith("data:")
            else asked.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    pdf = page.pdf(format="A4", landscape=True)
    return page, asked, len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)), ctx


def _images_drawn(page):
    return page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")


def test_report_html_stands_alone_in_chromium(browser, session, tmp_path):
    out = tmp_path / "report.html"
    report.write_html(session, out)
    page, asked, pages, ctx = open_alone(browser, out)
    assert asked == []
    assert page.evaluate("performance.getEntriesByType('resource').filter(e => !e.name.startsWith('data:'))"
                         ".length") == 0
    assert _images_drawn(page) == [True]
    text = page.inner_text("body")
    assert "Spots and phases" in text and all(line in text for line in report.alert_lines(session))
    assert page.locator("table tr").count() == 1 + len(report.rows(session))
    assert pages <= 2
    ctx.close()


def test_programme_html_stands_alone_in_chromium(browser, demo, tmp_path):
    paths = []
    for day in (0, 1, 3):
        p = tmp_path / f"{day}.rec"
        recs.write(p, [("left", scenarios.hold(day)), ("right", scenarios.hold(day))],
                   f"2024-05-{day + 1:02d}T08:00:00+0200", {"profile": PERSON})
        paths.append(str(p))
    sessions, left_out = history.collect(paths)
    prog = history.build(sessions, today=dt.date(2024, 6, 1), left_out=left_out)
    out = tmp_path / "programme.html"
    history.write_html(prog, out)
    page, asked, pages, ctx = open_alone(browser, out)
    assert asked == [] and _images_drawn(page) == [True]
    text = page.inner_text("body")
    assert "done on 3 of 14 days (left 3, right 3); missed 11" in text
    assert page.locator("tr.missed").count() == 11
    assert pages <= 2
    ctx.close()
