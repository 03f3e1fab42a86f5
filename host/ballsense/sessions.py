"""Where sessions are recorded by default: the user's data folder."""
import time
from pathlib import Path

import platformdirs


def folder():
    p = Path(platformdirs.user_data_dir("ballsense")) / "sessions"
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    return p


def new_path():
    return folder() / time.strftime("%Y-%m-%d_%H-%M-%S.rec")
