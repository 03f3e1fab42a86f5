"""Where sessions are recorded by default (the user's data folder), and what
a recording's meta says about where it came from: a ball, the emulated ball
(sim://, sim+ble://, the demo) or a replay of another recording. Only a ball
is practice; history leaves the others out unless asked."""
import time
from pathlib import Path

import platformdirs

EMULATED_SCHEMES = ("sim", "sim+ble")


def folder():
    p = Path(platformdirs.user_data_dir("ballsense")) / "sessions"
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    return p


def new_path():
    return folder() / time.strftime("%Y-%m-%d_%H-%M-%S.rec")


def origin(url):
    """'emulated', 'replay' or 'ball', from a source URL."""
    from .sources import parse
    scheme = parse(str(url))[0] if url else ""
    return "emulated" if scheme in EMULATED_SCHEMES else "replay" if scheme == "file" else "ball"


def meta(url, tool, **extra):
    """A recording's meta: its source, the tool, and whether it is emulated
    or a replay (then it is not practice), plus `extra` (profile, gentle_max)."""
    kind = origin(url)
    return dict({"source": url, "tool": tool, "emulated": kind == "emulated", "replay": kind == "replay"},
                **extra)


def is_practice(m):
    """Made on a ball by a person; a recording from before these flags is
    judged by its source."""
    if "emulated" in m or "replay" in m:
        return not (m.get("emulated") or m.get("replay"))
    from .errors import UserError
    try:
        return origin(m.get("source", "")) == "ball"
    except UserError:  # an odd source in an old header: not ours to judge
        return True
