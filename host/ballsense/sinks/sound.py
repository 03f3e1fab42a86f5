"""Cues you can hear while lying on the ball (cues.py says what each one is).

Each cue is rendered once at start: spoken by espeak-ng when it is installed,
else its tone pattern. Playing goes through PortAudio (sounddevice) where it
is installed and has an output, which starts in milliseconds on Linux, macOS
and Windows; else through the first command-line player found; else the
terminal bell. One cue at a time: an alert cuts in at once; a guide cue waits
until nothing is sounding and no alert is showing, and of the guide cues
waiting only the newest plays."""
import os
import shutil
import subprocess
import tempfile
import time
import wave

import numpy as np

from ..alerts import ALERTS
from ..cues import CUES, NUMBERS, spoken
from ..pipeline import Sink

RATE = 22050
PLAYERS = (["pw-play"], ["paplay"], ["aplay", "-q"], ["play", "-q"], ["afplay"])


def tones(pattern, rate=RATE):
    """A tone pattern as 16-bit samples, with 5 ms ramps so it does not click."""
    parts = []
    ramp = int(0.005 * rate)
    for hz, sec in pattern:
        n = int(sec * rate)
        x = np.zeros(n) if hz == 0 else 0.5 * np.sin(2 * np.pi * hz * np.arange(n) / rate)
        if hz and n > 2 * ramp:
            env = np.ones(n)
            env[:ramp] = np.linspace(0, 1, ramp)
            env[-ramp:] = np.linspace(1, 0, ramp)
            x *= env
        parts.append(x)
    return (np.concatenate(parts) * 32767).astype("<i2")


def write_wav(path, samples, rate=RATE):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def read_wav(path):
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()


def sounds():
    """-> {key: (spoken words, tone pattern)}; the knee count has one per number."""
    out = {name: (spoken(name), c.tones) for name, c in CUES.items() if name != "knee_count"}
    for n in range(1, len(NUMBERS) + 1):
        out[f"knee_count_{n}"] = (spoken("knee_count", n), CUES["knee_count"].tones)
    return out


def key(cue, count=0):
    """The sound a cue plays: the knee count's says its number."""
    return f"knee_count_{count}" if cue == "knee_count" else cue


def render(folder, speech=True):
    """Every sound to folder/KEY.wav: speech if espeak-ng is here, else tones."""
    espeak = shutil.which("espeak-ng") if speech else None
    out = {}
    for k, (words, pattern) in sounds().items():
        path = os.path.join(folder, k + ".wav")
        if not (espeak and subprocess.run([espeak, "-s", "150", "-w", path, words],
                                          capture_output=True).returncode == 0):
            write_wav(path, tones(pattern))
        out[k] = path
    return out


class PortAudio:
    """sounddevice: the samples are in memory, so a cue starts at once."""
    name = "portaudio"

    def __init__(self, sounddevice, files):
        sounddevice.query_devices(kind="output")  # raises when there is none
        self.sd = sounddevice
        self.clips = {k: read_wav(p) for k, p in files.items()}
        self.until = 0.0

    def play(self, k):
        x, rate = self.clips[k]
        self.sd.play(x, rate)  # stops whatever was playing
        self.until = time.monotonic() + len(x) / rate

    def busy(self):
        return time.monotonic() < self.until


class Process:
    """A command-line player per cue (PipeWire, PulseAudio, ALSA, sox, macOS)."""

    def __init__(self, files, cmd):
        self.files, self.cmd, self.proc = files, cmd, None
        self.name = cmd[0]

    def play(self, k):
        if self.busy():
            self.proc.terminate()
        self.proc = subprocess.Popen(self.cmd + [self.files[k]], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def busy(self):
        return self.proc is not None and self.proc.poll() is None


class Bell:
    name = "bell"

    def play(self, k):
        print("\a", end="", flush=True)

    def busy(self):
        return False


def _portaudio(files):
    try:
        import sounddevice
    except (ImportError, OSError):  # not installed, or no PortAudio library under it
        return None
    try:
        return PortAudio(sounddevice, files)
    except (sounddevice.PortAudioError, ValueError):  # no output device
        return None


def backend(files):
    """The best way to play that works here."""
    out = _portaudio(files)
    if out:
        return out
    for cmd in PLAYERS:
        if shutil.which(cmd[0]):
            return Process(files, cmd)
    return Bell()


class Sound(Sink):
    def __init__(self, quiet=False):
        self.quiet = quiet
        self.out = None
        self.dir = None
        self.waiting = None   # the newest guide cue not yet played
        self.played = []      # (key, monotonic time it started)
        self._cue_n = 0
        self._no_signal = False

    def start(self, view):
        if self.quiet:
            return
        self.dir = tempfile.mkdtemp(prefix="ballsense-cues-")
        self.out = backend(render(self.dir))

    def _play(self, k):
        if self.out is not None:
            self.out.play(k)
        self.played.append((k, time.monotonic()))

    def on_batch(self, view, events):
        alerts = [ALERTS[e.alert].cue for e in events if e.kind == "alert" and e.alert in ALERTS]
        if alerts:
            self._play(alerts[-1])  # the newest alert matters most, and it cuts in
        if view.cue_n != self._cue_n:
            self._cue_n = view.cue_n
            self.waiting = key(view.cue, view.cue_count)
        if self.waiting and not view.alert and not (self.out and self.out.busy()):
            if self.waiting in _KEYS:
                self._play(self.waiting)
            self.waiting = None

    def on_link(self, view):
        if view.no_signal != self._no_signal:
            self._no_signal = view.no_signal
            self._play("no_signal" if view.no_signal else "signal_back")  # cuts in, as an alert does

    def stop(self, view):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


_KEYS = set(sounds())
