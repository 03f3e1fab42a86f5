"""What a session decides with: the one rule for the gentle maximum, used by
every command, and the detector's settings as a recording keeps them.

The gentle maximum, highest precedence first:
  1. given on the command line (--gentle-max); offline that is a what-if
  2. what the live session used (offline: the recording's settings)
  3. the person's profile (live only)
  4. learnt from the first settled hold (detect.Params.gentle_from_level)"""
from dataclasses import asdict, dataclass, fields

GIVEN, PROFILE, LEARNT = "given", "profile", "learnt"


@dataclass(frozen=True)
class GentleMax:
    newtons: float = None     # None: learnt from the first settled hold
    source: str = LEARNT      # given, profile or learnt
    what_if: bool = False     # offline: given here, not what the live session used
    live: "GentleMax" = None  # with a what-if: what the live session used

    def words(self):
        """One line for the user about a what-if, else ''."""
        if not self.what_if:
            return ""
        used = ("learnt from the first settled hold" if self.live.newtons is None
                else f"{self.live.newtons:.1f} N ({self.live.source})")
        return (f"what-if: gentle maximum {self.newtons:.1f} N given here; the live session used {used}, "
                "so these alerts are not the ones it raised")


def gentle_max(given=None, profile=None, recorded=None):
    """The one rule (see the module's doc). `recorded`: the live session's
    GentleMax, offline; `profile`: newtons from the person's profile."""
    if given is not None:
        what_if = recorded is not None and recorded.newtons != float(given)
        return GentleMax(float(given), GIVEN, what_if, recorded if what_if else None)
    if recorded is not None:
        return recorded
    if profile is not None:
        return GentleMax(float(profile), PROFILE)
    return GentleMax()


@dataclass(frozen=True)
class Settings:
    """Everything the detector decides with. Recorded as a note when the live
    detector starts; offline commands replay with it."""
    gentle: GentleMax = GentleMax()
    creep: bool = True        # FSR creep compensation (an FSR; a load cell has none)
    params: dict = None       # detect.Params as recorded; None: this version's

    def note(self):
        from .detect import Params
        return {"gentle_max_n": self.gentle.newtons, "gentle_max_source": self.gentle.source,
                "creep": self.creep, "params": self.params or asdict(Params())}

    @classmethod
    def of_note(cls, d):
        return cls(GentleMax(d.get("gentle_max_n"), d.get("gentle_max_source", LEARNT)),
                   bool(d.get("creep", True)), d.get("params"))

    def detector_params(self):
        """detect.Params from the recorded values this version still has."""
        from .detect import Params
        if not self.params:
            return Params()
        known = {f.name for f in fields(Params)}
        return Params(**{k: v for k, v in self.params.items() if k in known})
