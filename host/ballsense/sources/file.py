"""file://PATH or PATH.rec: a recording played back as a source, as fast as
it is read, with the decisions of time its live session made (a reboot's
place in the session). It takes no commands: every frame there is is in it."""
from ..errors import UserError, warn
from ..recording import Decisions, Recording
from . import Source


class FileSource(Source):
    link = "file"
    commands = False

    def __init__(self, path):
        super().__init__()
        if path.lower().endswith(".csv"):
            raise UserError(f"{path}: a CSV holds forces, not the ball's frames, so it cannot be replayed as a "
                            "ball: give a .rec recording (for a CSV use ballsense analyze or report)")
        self.rec = Recording(path)
        p = self.rec.problems()
        if p:
            warn(path, p)
        d = Decisions.of(self.rec.notes())
        self.decisions = Decisions(epochs=d.epochs, calibration=d.calibration)

    @property
    def notes(self):
        return self.rec.notes()

    async def frames(self):
        for f in self.rec.frames():
            yield f

    async def send(self, frame):
        return None  # a recording cannot take commands


SOURCE = FileSource
