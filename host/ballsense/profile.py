"""The person on the ball: name, body mass and the gentle maximum they or
their physio set, in newtons or as a percentage of body weight. Kept in the
user's config folder (profiles.json), one profile per person, one active.

Research on ball self-massage found 15-25 % of body weight as effective as
45-55 %, so a gentle maximum of about a fifth of body weight is a sound start.
The stored file is only ever replaced whole (written aside, then renamed), and
a damaged one is reported, never overwritten."""
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

from .errors import LIMITS, UserError, check_number

G = 9.80665  # N per kg
FILE = "profiles.json"


@dataclass
class Profile:
    name: str = ""
    body_mass_kg: float = None
    gentle_max_n: float = None    # set in newtons ...
    gentle_max_pct: float = None  # ... or as % of body weight (one or the other)

    def gentle_max(self):
        """The gentle maximum in newtons, or None (then it is learnt)."""
        if self.gentle_max_n is not None:
            return float(self.gentle_max_n)
        if self.gentle_max_pct is not None and self.body_mass_kg:
            return round(self.gentle_max_pct / 100 * self.body_mass_kg * G, 1)
        return None

    def pct_of_body(self, newtons):
        """A force as % of body weight, or None without a body mass."""
        if not self.body_mass_kg or newtons is None:
            return None
        return 100.0 * newtons / (self.body_mass_kg * G)

    def meta(self):
        """What a recording keeps of the profile (its meta "profile")."""
        d = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        if self.gentle_max() is not None:
            d["gentle_max_n"] = self.gentle_max()
        return d

    def describe(self):
        gm = self.gentle_max()
        if gm is None:
            how = "learnt from your first settled hold (a quarter above the level you settle to)"
        elif self.gentle_max_pct is not None:
            how = f"{gm:.0f} N ({self.gentle_max_pct:g} % of body weight)"
        else:
            pct = self.pct_of_body(gm)
            how = f"{gm:.0f} N" + (f" ({pct:.0f} % of body weight)" if pct is not None else "")
        mass = f"{self.body_mass_kg:g} kg" if self.body_mass_kg else "not given"
        return [f"name: {self.name or '(none)'}", f"body mass: {mass}", f"gentle maximum: {how}"]


def from_meta(d):
    """The profile a recording was made with (its meta "profile"), or an empty one."""
    d = d if isinstance(d, dict) else {}
    p = Profile(str(d.get("name", "")), _num(d.get("body_mass_kg")), _num(d.get("gentle_max_n")),
                _num(d.get("gentle_max_pct")))
    if p.gentle_max_pct is not None and p.gentle_max_n is not None:
        p.gentle_max_pct = None  # the newtons it came to are what was used
    return p


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def path():
    return Path(platformdirs.user_config_dir("ballsense")) / FILE


def _read():
    p = path()
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        return {"active": "", "people": {}}
    except (ValueError, OSError, UnicodeDecodeError):
        raise UserError(f"{p}: the profile file is damaged: fix it or delete it (ballsense profile then "
                        "starts afresh)") from None
    if not isinstance(data, dict) or not isinstance(data.get("people"), dict):
        raise UserError(f"{p}: the profile file is not in the expected form: fix it or delete it")
    return data


def load(name=None):
    """The active profile (or the one named); an empty Profile when there is none."""
    data = _read()
    name = data.get("active", "") if name is None else name
    d = data["people"].get(name)
    if d is None:
        return Profile()
    return Profile(name, _num(d.get("body_mass_kg")), _num(d.get("gentle_max_n")), _num(d.get("gentle_max_pct")))


def gentle_max_n():
    """The active profile's gentle maximum in newtons (converted from % of body
    weight), or None: one input of the rule that chooses the gentle maximum."""
    return load().gentle_max()


def names():
    return sorted(_read()["people"])


def parse_gentle_max(text, body_mass_kg):
    """'120', '120N', '20%' -> (newtons or None, percent or None); 'none' clears."""
    s = str(text).strip().lower().replace(" ", "")
    if s in ("none", "learn", "learnt", ""):
        return None, None
    if s.endswith("%"):
        _, lo, hi, what = LIMITS["gentle_max_pct"]
        try:
            pct = float(s[:-1])
        except ValueError:
            pct = float("nan")
        if not lo <= pct <= hi:
            raise UserError(f"--gentle-max {text}: give {what} from {lo} to {hi}, e.g. 20%")
        if not body_mass_kg:
            raise UserError(f"--gentle-max {text}: a percentage needs your body mass: give --body-mass KG too")
        return None, pct
    return check_number("gentle_max", s[:-1] if s.endswith("n") else s, "--gentle-max"), None


def save(name, body_mass_kg=None, gentle_max=None):
    """Create or update the profile `name` and make it the active one;
    `gentle_max` is the text given ('120', '20%', 'none'), None to keep it."""
    name = (name or "").strip()
    if not name or len(name) > 40 or any(c in name for c in "\n\r\t"):
        raise UserError(f"--name {name!r}: give a name of 1 to 40 characters on one line")
    data = _read()
    old = data["people"].get(name, {})
    mass = body_mass_kg if body_mass_kg is not None else _num(old.get("body_mass_kg"))
    n, pct = _num(old.get("gentle_max_n")), _num(old.get("gentle_max_pct"))
    if gentle_max is not None:
        n, pct = parse_gentle_max(gentle_max, mass)
    entry = {k: v for k, v in (("body_mass_kg", mass), ("gentle_max_n", n), ("gentle_max_pct", pct))
             if v is not None}
    data["people"][name] = entry
    data["active"] = name
    _write(data)
    return load(name)


def _write(data):
    p = path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = p.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it names a person
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, p)
    except OSError as e:
        raise UserError(f"{p}: cannot save the profile ({e.strerror}): check the folder's permissions") from None
