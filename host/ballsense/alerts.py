"""Every alert, written once: the name the detector raises it by (Event.alert),
the words shown huge on screen and on the phone, the cue sounded (cues.py),
the report's mark and the mistake it stands for, in words. A new alert is one
entry here, plus the rule in detect.py that raises it."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    name: str
    head: str            # huge, on the screen and the phone
    sub: str             # ... under it
    cue: str             # the sound: a name in cues.CUES
    mark: tuple          # the report's plot: (matplotlib marker, colour)
    mistake: str         # what went wrong, for the report and the history
    cleared: bool        # the detector clears it (alert_clear); else it shows for SHOW_S


SHOW_S = 3.0  # an alert the detector does not clear stays on screen this long

ALERTS = {a.name: a for a in (
    Alert("pressure_high", "EASE OFF", "Pressure above your gentle range", "ease_off", ("v", "red"),
          "pressed past the gentle range", cleared=True),
    Alert("rolling", "HOLD STILL", "Stop rolling: let the ball sink in", "hold_still", ("s", "darkorange"),
          "rolled instead of holding", cleared=False),
    Alert("slip", "RE-SETTLE", "The ball slipped: settle it back in place", "slipped", ("x", "purple"),
          "the ball slipped", cleared=False),
)}
KINDS = tuple(ALERTS)
