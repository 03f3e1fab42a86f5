"""Cues you can hear: rendered once, played through PortAudio (sounddevice)
where it has an output, else a command-line player; one at a time, alerts
first. PortAudio and aplay play into ALSA's null device here (the machine has
no sound card), which is real ALSA output with nothing listening."""
import os
import shutil
import subprocess
import sys
import wave

import numpy as np
import pytest

from ballsense import cues
from ballsense.alerts import ALERTS
from ballsense.detect import Event
from ballsense.pipeline import View
from ballsense.sinks import sound

CI = os.environ.get("CI") == "true"


def _dominant_hz(samples, rate):
    spec = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spec)]


def test_tone_cues_have_their_length_and_pitch(tmp_path):
    files = sound.render(str(tmp_path), speech=False)
    assert set(cues.CUES) - {"knee_count"} <= set(files) and "knee_count_5" in files
    for key, path in files.items():
        pattern = cues.CUES[key if key in cues.CUES else "knee_count"].tones
        with wave.open(path) as w:
            rate, n = w.getframerate(), w.getnframes()
            x = np.frombuffer(w.readframes(n), "<i2").astype(float)
        assert abs(n / rate - sum(s for _, s in pattern)) < 0.01
        hz, sec = pattern[0]
        assert abs(_dominant_hz(x[: int(sec * rate)], rate) - hz) < 1.5 / sec + 2
    starts = {cues.CUES[a.cue].tones[0][0] for a in ALERTS.values()}
    assert len(starts) == 3  # the three alerts sound different from each other


def test_no_cue_asks_for_more_pressure():
    words = " ".join(c.spoken + " " + c.text for c in cues.CUES.values()).lower()
    for bad in ("harder", "more pressure", "press more", "push"):
        assert bad not in words
    assert "stop" in cues.CUES["safety"].spoken.lower()


class Recorder:
    """A backend that keeps what it was asked to play; busy for `busy_for` calls."""
    name = "recorder"

    def __init__(self):
        self.played, self.busy_for = [], 0

    def play(self, key):
        self.played.append(key)

    def busy(self):
        self.busy_for -= 1
        return self.busy_for >= 0


def _sink():
    s = sound.Sound()
    s.out = Recorder()
    return s


def _cue(v, name, count=0):
    v.cue, v.cue_count = name, count
    v.cue_n += 1


def test_each_alert_sounds_once_and_at_once():
    s, v = _sink(), View()
    s.on_batch(v, [Event(1.0, "alert", 150, alert="pressure_high"), Event(1.1, "breath")])
    s.on_batch(v, [Event(2.0, "alert", 0, alert="rolling"), Event(3.0, "alert_clear", 0, alert="pressure_high")])
    s.on_batch(v, [Event(4.0, "alert", 0, alert="slip")])
    assert s.out.played == ["ease_off", "hold_still", "slipped"]


def test_a_guide_cue_waits_for_the_alert_and_only_the_newest_plays():
    s, v = _sink(), View()
    v.alert = "pressure_high"
    s.on_batch(v, [Event(1.0, "alert", 150, alert="pressure_high")])
    _cue(v, "breaths_done")
    s.on_batch(v, [])
    _cue(v, "knee_count", 1)
    s.on_batch(v, [])
    assert s.out.played == ["ease_off"]  # nothing over the alert
    v.alert = ""
    s.out.busy_for = 1                    # the alert's words are still sounding
    s.on_batch(v, [])
    assert s.out.played == ["ease_off"]
    s.on_batch(v, [])
    assert s.out.played == ["ease_off", "knee_count_1"]  # the newest waiting cue, once
    s.on_batch(v, [])
    assert s.out.played == ["ease_off", "knee_count_1"]


def test_guide_cues_never_cut_each_other_off():
    s, v = _sink(), View()
    _cue(v, "move_ball")
    s.on_batch(v, [])
    s.out.busy_for = 2
    _cue(v, "breathe")
    s.on_batch(v, [])
    assert s.out.played == ["move_ball"]
    s.on_batch(v, [])
    s.on_batch(v, [])
    assert s.out.played == ["move_ball", "breathe"]


def _null_alsa(tmp_path):
    """A HOME whose ALSA default output is the null device."""
    (tmp_path / ".asoundrc").write_text("pcm.!default { type null }\nctl.!default { type hw card 0 }\n")
    return dict(os.environ, HOME=str(tmp_path))


PLAY = """
import sys, time
from ballsense.sinks import sound
from ballsense.pipeline import View
from ballsense.detect import Event
s = sound.Sound()
s.start(View())
s.on_batch(View(), [Event(1.0, "alert", 150, alert="pressure_high")])
print(s.out.name, s.out.busy(), [k for k, _ in s.played])
s.stop(View())
"""


def _need(what, ok):
    if not ok:
        (pytest.fail if CI else pytest.skip)(f"{what} is needed here (apt-get install libportaudio2 alsa-utils)")


def test_cues_play_through_portaudio(tmp_path):
    try:
        import sounddevice  # noqa: F401
    except OSError:
        _need("PortAudio (libportaudio2)", False)
    r = subprocess.run([sys.executable, "-c", PLAY], env=_null_alsa(tmp_path), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["portaudio", "True", "['ease_off']"]


def test_without_portaudio_a_player_plays_the_cue(tmp_path):
    _need("aplay (alsa-utils)", shutil.which("aplay"))
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    env = _null_alsa(tmp_path)
    env["PYTHONPATH"] = str(hide)
    env["PATH"] = os.path.dirname(shutil.which("aplay")) + os.pathsep + os.path.dirname(sys.executable)
    r = subprocess.run([sys.executable, "-c", PLAY], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    name, busy, played = r.stdout.split()
    assert name in [c[0] for c in sound.PLAYERS] and played == "['ease_off']"
