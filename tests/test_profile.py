"""A profile per person (issue 18): name, body mass, a gentle maximum in N or
as % of body weight, kept in the config folder; live, analyze and history
use it and recordings keep it."""
import json

import numpy as np
import pytest

from ballsense import cli, profile
from ballsense.recording import Recording


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_percent_of_body_weight_is_converted(home, capsys):
    assert profile.gentle_max_n() is None and profile.load().name == ""
    assert cli.main(["profile", "--name", "Ann", "--body-mass", "68", "--gentle-max", "20%"]) == 0
    assert profile.gentle_max_n() == pytest.approx(0.20 * 68 * 9.80665, abs=0.05)
    out = capsys.readouterr().out
    assert "gentle maximum: 133 N (20 % of body weight)" in out
    assert cli.main(["profile", "--body-mass", "80"]) == 0  # the active one, the percentage kept
    assert profile.gentle_max_n() == pytest.approx(0.20 * 80 * 9.80665, abs=0.05)
    assert cli.main(["profile", "--gentle-max", "120N"]) == 0
    assert profile.gentle_max_n() == 120.0 and profile.load().pct_of_body(120) == pytest.approx(15.3, abs=0.05)
    assert cli.main(["profile", "--gentle-max", "none"]) == 0
    assert profile.gentle_max_n() is None


def test_one_profile_per_person(home, capsys):
    profile.save("Ann", 68, "20%")
    profile.save("Bob", 95, "150")
    assert profile.load().name == "Bob" and profile.gentle_max_n() == 150
    assert profile.names() == ["Ann", "Bob"]
    assert cli.main(["profile", "--name", "Ann"]) == 0  # switches, changes nothing else
    assert profile.load().name == "Ann" and profile.load().gentle_max_pct == 20
    assert "other profiles: Bob" in capsys.readouterr().out
    assert json.loads(profile.path().read_text())["active"] == "Ann"
    assert profile.path().stat().st_mode & 0o077 == 0  # it names a person: the user's alone


def test_gentle_is_noted(home, capsys):
    assert cli.main(["profile", "--name", "Cy", "--body-mass", "70", "--gentle-max", "50%"]) == 0
    assert "15-25 % was found as effective as 45-55 %" in capsys.readouterr().out


@pytest.mark.parametrize("args,want", [
    (["--name", "Ann", "--body-mass", "500"], "--body-mass 500 is out of range: give kilograms from 20 to 300"),
    (["--name", "Ann", "--body-mass", "heavy"], "--body-mass heavy is not a number: give kilograms"),
    (["--name", "Ann", "--gentle-max", "20%"], "--gentle-max 20%: a percentage needs your body mass: give --body-mass"),
    (["--name", "Ann", "--body-mass", "70", "--gentle-max", "120%"], "--gentle-max 120%: give percent of body weight"),
    (["--name", "Ann", "--gentle-max", "lots"], "--gentle-max lots is not a number: give newtons from 1 to 2000"),
    (["--name", "Ann", "--gentle-max", "0.5"], "--gentle-max 0.5 is out of range"),
    (["--name", ""], "--name '': give a name of 1 to 40 characters"),
    (["--gentle-max", "100"], "no profile yet: give --name NAME"),
])
def test_bad_values_are_one_line(home, capsys, args, want):
    assert cli.main(["profile"] + args) == 2
    err = capsys.readouterr().err
    assert want in err and len(err.strip().splitlines()) == 1 and err.startswith("ballsense: error: ")
    assert not profile.path().exists()  # nothing half-saved


def test_damaged_file_is_said_and_kept(home, capsys):
    profile.path().parent.mkdir(parents=True)
    profile.path().write_text('{"active": "Ann", "people": {"Ann": ')
    assert cli.main(["profile", "--name", "Bob", "--body-mass", "70"]) == 2
    assert "the profile file is damaged: fix it or delete it" in capsys.readouterr().err
    assert profile.path().read_text() == '{"active": "Ann", "people": {"Ann": '  # nothing lost


def test_analyze_of_a_csv_uses_the_profile(home, capsys):
    t = np.arange(0, 60, 0.01)
    f = np.where((t > 5) & (t < 55), 100 + 3 * np.sin(2 * np.pi * t / 8), 0.0)
    p = home / "hold.csv"
    np.savetxt(p, np.column_stack([t, f]), delimiter=",", header="t_s,force_n", comments="", fmt="%.3f")
    assert cli.main(["analyze", str(p)]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []  # learnt from the hold
    profile.save("Ann", 60, "15%")  # 88 N: the hold is above it
    assert cli.main(["analyze", str(p)]) == 0
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert [a["kind"] for a in alerts] == ["pressure_high"] and 5 < alerts[0]["t_s"] < 7


def test_live_uses_the_profile_and_the_recording_keeps_it(home, capsys):
    """The emulated ball, 10x faster: the profile's gentle maximum is the one
    live alerts on, and it is written into the recording with the profile and
    the mark that the session was emulated."""
    p = profile.save("Ann", 50, "10%")  # 49 N: any hold of 60 N or more passes it
    rec = home / "s.rec"
    assert cli.main(["live", "sim://hold?seed=4&speed=10", "--headless", "--quiet", "--seconds", "15",
                     "--side", "right", "--record", str(rec)]) == 0
    out = capsys.readouterr().out
    assert " alert pressure_high " in out and "gentle_max" not in out  # given, not learnt
    r = Recording(str(rec))
    assert r.meta["profile"] == p.meta() == {"name": "Ann", "body_mass_kg": 50.0, "gentle_max_pct": 10.0,
                                             "gentle_max_n": p.gentle_max()}
    assert r.meta["gentle_max"] == p.gentle_max() and r.meta["emulated"] is True and r.meta["replay"] is False
    assert [n["side"] for n in r.notes() if "side" in n] == ["right"]
    # offline, the recording is replayed with what it was made with, whatever the profile says now
    profile.save("Ann", 50, "none")
    assert cli.main(["analyze", str(rec)]) == 0
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert alerts and alerts[0]["kind"] == "pressure_high"


def test_every_help_text_formats():
    """argparse %-formats help texts: a bare % (as in "% of body weight")
    breaks --help; every command's is checked here."""
    import argparse
    p = cli.build_parser()
    assert "profile" in p.format_help()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        assert parser.format_help(), name
