"""Replays a .rec recording as a source, as fast as it is read."""
from ..errors import UserError, warn
from ..recording import Recording


class FileSource:
    link = "file"

    def __init__(self, path, **_):
        if path.lower().endswith(".csv"):
            raise UserError(f"{path}: a CSV holds forces, not the ball's frames, so it cannot be replayed as a "
                            "ball: give a .rec recording (for a CSV use ballsense analyze or report)")
        self.rec = Recording(path)
        p = self.rec.problems()
        if p:
            warn(path, p)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def frames(self):
        for f in self.rec.frames():
            yield f

    async def send(self, frame):
        return None  # a recording cannot take commands
