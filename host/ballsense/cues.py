"""Every cue a person on the floor hears or reads, written once: its name (as
the guide, the recording and `analyze --guide` call it), the words spoken, the
words on screen, and the tones played where no speech engine is installed.
Short and spoken, one at a time; none asks for more pressure."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    name: str
    spoken: str
    text: str
    tones: tuple              # ((Hz, seconds), ...), 0 Hz = silence
    alert: bool = False       # an alert's cue cuts in; a guide cue waits until alerts are over


SAFETY = "Gentle pressure only. Sharp pain, pain into the belly or side, or down a leg: stop."

CUES = {c.name: c for c in (
    # the alerts (detect.py raises them; sinks sound them at once)
    Cue("ease_off", "Ease off.", "Ease off: above your gentle range",
        ((880, 0.12), (0, 0.06), (880, 0.12), (0, 0.06), (880, 0.12)), alert=True),
    Cue("hold_still", "Stop rolling. Hold still.", "Stop rolling: hold still and let the ball sink in",
        ((440, 0.2), (660, 0.2), (440, 0.2)), alert=True),
    Cue("slipped", "Slipped. Re-settle the ball.", "The ball slipped: settle it back in place",
        ((660, 0.15), (495, 0.15), (330, 0.3)), alert=True),
    # the link (stream.NO_SIGNAL_S of silence, then its return)
    Cue("no_signal", "No signal from the ball.", "No signal from the ball: is it on and near?",
        ((330, 0.3), (0, 0.1), (330, 0.3)), alert=True),
    Cue("signal_back", "The ball is back.", "The ball is back", ((330, 0.15), (440, 0.2))),
    # the guide
    Cue("safety", "Gentle pressure only. If the pain is sharp, or goes into your belly, side or leg, stop.",
        SAFETY, ((330, 0.5),)),
    Cue("settle", "Roll onto the ball until it takes some weight.",
        "Lie on your back, knees bent. Roll onto the ball until it takes some weight, then let it sink in.",
        ((392, 0.25),)),
    Cue("breathe", "Hold still. Breathe slowly.",
        "Hold still and take 5 to 10 slow breaths. Let each exhale sink you a little further.", ((440, 0.3),)),
    Cue("resettle", "Let it settle again. Breathe slowly.",
        "Let the ball settle again, then breathe slowly. The breath count starts over.", ((440, 0.15), (523, 0.25))),
    Cue("breaths_done", "Breaths done. Now the knee drops.",
        "Breaths done. Let the top knee drop out a few centimetres and back, slowly, about 5 times.",
        ((523, 0.2), (659, 0.35))),
    Cue("knee_count", "", "Knee drops: slowly out and back.", ((1047, 0.05),)),  # spoken: the count
    Cue("move_ball", "Lift off. Move the ball one spot.",
        "Lift off and move the ball about 2.5 cm (one inch) toward the rib or the hip.",
        ((392, 0.15), (523, 0.15), (659, 0.3))),
    Cue("other_side", "Well done. Now the other side.", "Well done. Now the other side: settle the ball there.",
        ((523, 0.2), (392, 0.2), (523, 0.3))),
    Cue("done", "Session complete.", "Session complete. Once a day for about two weeks.",
        ((523, 0.15), (659, 0.15), (784, 0.4))),
)}

NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def spoken(name, count=0):
    """The words for a cue; the knee count says its number."""
    if name == "knee_count":
        return NUMBERS[count - 1] if 1 <= count <= len(NUMBERS) else ""
    return CUES[name].spoken


def text(name, count=0):
    """The words on screen, with the count where the cue has one."""
    t = CUES[name].text
    return f"Knee drop {count}. " + t if name == "knee_count" and count else t
