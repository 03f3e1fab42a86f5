"""Replays a .rec recording as a source, as fast as it is read."""
import sys

from ..recording import Recording


class FileSource:
    link = "file"

    def __init__(self, path, **_):
        self.rec = Recording(path)
        p = self.rec.problems()
        if p:
            print(f"ballsense: note: {path}: {p}", file=sys.stderr)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def frames(self):
        for f in self.rec.frames():
            yield f

    async def send(self, frame):
        return None  # a recording cannot take commands
