"""The user cases of issue 15, as a user meets them: a session on the
emulated ball (real firmware under MicroPython, a pty or emulated BLE), then
analyze, report and history of its recording. What the live session said
is what they all say. The host side runs in-process (cli.main); the ball is
its own process, as a ball is."""
import asyncio
import csv
import json
import re

import pytest

from ballsense import cli
from ballsense.pipeline import Headless, Pipeline
from ballsense.protocol import C_SET_RATE, decode, encode_command
from ballsense.recording import Recorder, Recording, RecWriter
from ballsense.sources import open_source
from ballsense.stream import Stream

pytestmark = pytest.mark.usefixtures("micropython")
MISTAKES = {"pressure_high": "pressed past the gentle range", "rolling": "rolled instead of holding",
            "slip": "the ball slipped"}


def ballsense(capsys, *args):
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out


def live_alerts(lines):
    """(t_s, kind) of each alert the live session printed (headless)."""
    out = []
    for line in lines.splitlines():
        m = re.match(r"\s*([\d.]+) alert (\w+) ", line)
        if m:
            out.append((float(m[1]), m[2]))
    return out


def offline(capsys, rec, tmp_path):
    """What analyze, report and history say about a recording's alerts."""
    js = json.loads(ballsense(capsys, "analyze", rec).out)
    analyzed = [(a["t_s"], a["kind"]) for a in js["alerts"]]
    ballsense(capsys, "report", rec, "-o", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    report = {k: int(m[1]) for k, w in MISTAKES.items() if (m := re.search(rf"(\d+) x {w}", page))}
    report_lines = len(re.findall(r"<li>\d+:\d\d", page))  # an alert in words each
    ballsense(capsys, "history", rec, "--all", "-o", tmp_path / "h.csv")  # --all: the emulated ball's too
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    history = {k: sum(int(r[f"alerts_{k}"] or 0) for r in rows) for k in MISTAKES}
    return js, analyzed, (report, report_lines), {k: n for k, n in history.items() if n}


def agree(live, analyzed, report, history):
    assert live == analyzed  # the same alerts at the same times, to the 10 ms shown
    counts = {}
    for _, k in live:
        counts[k] = counts.get(k, 0) + 1
    assert report == (counts, len(live)) and history == counts


def test_a_given_gentle_max_is_the_one_every_command_uses(capsys, tmp_path):
    rec = tmp_path / "s.rec"
    out = ballsense(capsys, "demo", "--gentle-max", 70, "--record", rec, "--headless", "--seconds", 40,
                    "--speed", 4, "--quiet")
    live = live_alerts(out.out)
    # 70 N passed, as the user asked: at 7.65 s in the scenario (the emulated ball reads its trace as
    # time passes, so its samples, and the crossing, can fall one sample either way)
    assert live and live[0][1] == "pressure_high" and abs(live[0][0] - 7.65) <= 0.015, live
    js, analyzed, report, history = offline(capsys, rec, tmp_path)
    agree(live, analyzed, report, history)
    assert js["gentle_max"] == {"newtons": 70.0, "source": "given", "what_if": False}
    # another gentle maximum offline is a what-if, and says so
    err = capsys.readouterr().err
    code = cli.main(["analyze", str(rec), "--gentle-max", "143"])
    out = capsys.readouterr()
    assert code == 0 and json.loads(out.out)["gentle_max"]["what_if"] is True
    assert "what-if: gentle maximum 143.0 N given here; the live session used 70.0 N (given)" in out.err, err


def test_ble_link_drops_backfilled_alerts_once_in_order_and_the_same_offline(capsys, tmp_path):
    rec = tmp_path / "b.rec"
    out = ballsense(capsys, "demo", "--transport", "ble", "--disconnect-every", 7, "--record", rec, "--headless",
                    "--seconds", 45, "--speed", 3, "--quiet", "--summary-json")
    lines = out.out.splitlines()
    summary = json.loads(lines[-1])
    assert summary["reconnects"] >= 2 and summary["missing"] == 0 and summary["duplicates"] == 0
    live = live_alerts(out.out)
    assert len(live) == len(set(live)) >= 1  # none raised twice
    events = [(float(l.split()[0]), l.split()[1]) for l in lines[:-1] if re.match(r"\s*[\d.]+ \w", l)]
    clears = [t for t, k in events if k == "alert_clear"]
    alerts = [t for t, k in events if k == "alert"]
    assert all(any(a < c for a in alerts) for c in clears)  # no clear before the alert it clears
    js, analyzed, report, history = offline(capsys, rec, tmp_path)
    agree(live, analyzed, report, history)
    notes = Recording(str(rec)).notes()
    assert sum(n.get("link") == "lost" for n in notes) >= 2


async def _live_with_a_rate_change(url, rec, seconds, change_at, hz):
    """A live session (as `ballsense live` runs it) in which the ball's rate
    is changed mid-way, as a settings tool would: -> the headless lines."""
    import io
    shown = io.StringIO()
    src = open_source(url)
    r = Recorder(str(rec), {"source": url, "tool": "test"})
    async with src:
        stream = Stream(src, r)
        pipe = Pipeline(stream, None, [Headless(shown), r])

        async def change():
            while pipe.view.t_s < change_at:
                await asyncio.sleep(0.05)
            await src.send(encode_command(C_SET_RATE, 5, hz))
        task = asyncio.create_task(change())
        await pipe.run(seconds)
        task.cancel()
        stream.close()
    r.close()
    return shown.getvalue()


def test_a_rate_change_loses_no_sample_and_every_command_agrees(capsys, tmp_path):
    rec = tmp_path / "r.rec"
    shown = asyncio.run(_live_with_a_rate_change("sim://demo?seed=1&speed=4", rec, 40, 15.0, 50))
    frames = [decode(f) for f in Recording(str(rec)).frames()]
    data = [f for f in frames if f["type"] == "data"]
    by_epoch = {}
    for f in data:
        by_epoch.setdefault(f["epoch"], set()).update(range(f["seq"], f["seq"] + len(f["force"])))
    assert len(by_epoch) == 2  # the rate change began a new epoch ...
    old, new = (sorted(by_epoch[e]) for e in sorted(by_epoch, key=lambda e: min(by_epoch[e])))
    assert new[0] == old[-1] + 1  # ... and the count went on: not one sample dropped
    assert new == list(range(new[0], new[-1] + 1)) and old == list(range(old[0], old[-1] + 1))
    statuses = [f for f in frames if f["type"] == "status"]
    assert {s["rate_hz"] for s in statuses} == {100, 50}
    # replies carry the command's token (1 status, 2 threshold, 5 set_rate); the periodic ones 0
    assert {s["token"] for s in statuses} <= {0, 1, 2, 5} and sum(s["token"] == 0 for s in statuses) >= 10
    live = live_alerts(shown)
    assert live  # the demo's spike comes before the change, its rolling and slip after
    js, analyzed, report, history = offline(capsys, rec, tmp_path)
    agree(live, analyzed, report, history)


def test_exporting_a_recording_with_one_lost_frame_reports_that_frame(capsys, tmp_path):
    whole = tmp_path / "whole.rec"
    ballsense(capsys, "record", "sim://hold?seed=1", "--seconds", 3, "-o", whole)
    rec = Recording(str(whole))
    data = [i for i, (k, _, p) in enumerate(rec.records) if k == 1 and decode(p)["type"] == "data"]
    lost = rec.records[data[len(data) // 2]]
    cut = tmp_path / "cut.rec"
    w = RecWriter(str(cut), rec.meta)
    for k, _, p in rec.records:
        if (k, p) != lost[::2]:
            (w.frame(p) if k == 1 else w.note(**json.loads(p)))
    w.close()
    n = len(decode(lost[2])["force"])
    err = ballsense(capsys, "record", cut, "-o", tmp_path / "cut.csv").err
    assert f"missing {n} (1 gap), duplicates 0" in err, err
    rows = list(csv.reader(open(tmp_path / "cut.csv")))[1:]
    total = sum(len(decode(p)["force"]) for k, _, p in rec.records if k == 1 and decode(p)["type"] == "data")
    assert len(rows) == total - n
