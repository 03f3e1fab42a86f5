"""Cues you can hear while lying on the ball: spoken with espeak-ng when it is
installed, distinct tone patterns otherwise. Every cue is rendered to a WAV
file once at start, so raising one is a single non-blocking process start."""
import os
import shutil
import subprocess
import tempfile
import wave

import numpy as np

from ..pipeline import Sink

RATE = 22050
# cue -> (spoken words, tone pattern [(Hz, seconds)], 0 Hz = silence)
CUES = {
    "ease_off": ("Ease off.", [(880, 0.12), (0, 0.06), (880, 0.12), (0, 0.06), (880, 0.12)]),
    "hold_still": ("Stop rolling. Hold still.", [(440, 0.2), (660, 0.2), (440, 0.2)]),
    "resettle": ("Slipped. Re-settle the ball.", [(660, 0.15), (495, 0.15), (330, 0.3)]),
    "breaths_done": ("Breaths done. Now the knee drops.", [(523, 0.2), (659, 0.35)]),
    "move_ball": ("Move the ball one spot.", [(392, 0.15), (523, 0.15), (659, 0.3)]),
    "other_side": ("Well done. Now the other side.", [(523, 0.2), (392, 0.2), (523, 0.3)]),
    "done": ("Session complete.", [(523, 0.15), (659, 0.15), (784, 0.4)]),
    "safety": ("If the pain is sharp, travels into your belly or side, or down a leg, stop.",
               [(330, 0.5)]),
}
ALERT_CUES = {"pressure_high": "ease_off", "rolling": "hold_still", "slip": "resettle"}
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


def render(folder, speech=True):
    """Every cue to folder/CUE.wav: speech if espeak-ng is here, else tones."""
    espeak = shutil.which("espeak-ng") if speech else None
    out = {}
    for cue, (words, pattern) in CUES.items():
        path = os.path.join(folder, cue + ".wav")
        if espeak and subprocess.run([espeak, "-s", "150", "-w", path, words],
                                     capture_output=True).returncode == 0:
            out[cue] = path
            continue
        write_wav(path, tones(pattern))
        out[cue] = path
    return out


def player():
    for cmd in PLAYERS:
        if shutil.which(cmd[0]):
            return cmd
    return None


class Sound(Sink):
    def __init__(self, quiet=False):
        self.quiet = quiet
        self.files = {}
        self.cmd = None
        self.proc = None
        self.played = []  # (cue, monotonic time the player started)
        self._cue_n = 0

    def start(self, view):
        if self.quiet:
            return
        self.dir = tempfile.mkdtemp(prefix="ballsense-cues-")
        self.files = render(self.dir)
        self.cmd = player()

    def cue(self, name):
        if self.quiet:
            return
        import time
        if self.cmd and name in self.files:
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()  # the newest cue matters most
            self.proc = subprocess.Popen(self.cmd + [self.files[name]], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        else:
            print("\a", end="", flush=True)  # no audio player: the terminal bell
        self.played.append((name, time.monotonic()))

    def on_batch(self, view, events):
        for e in events:
            if e.kind == "alert" and e.alert in ALERT_CUES:
                self.cue(ALERT_CUES[e.alert])
        if view.cue_n != self._cue_n:
            self._cue_n = view.cue_n
            self.cue(view.cue)

    def stop(self, view):
        if self.files:
            shutil.rmtree(self.dir, ignore_errors=True)
