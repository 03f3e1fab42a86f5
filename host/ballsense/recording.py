"""The native recording format (.rec): append-only and crash-safe.

    b"BSREC\\x01\\n"  then one JSON line of metadata, then records.
    record = COBS(kind u8 | host_ms u32 LE | payload | CRC-16 LE) + 0x00
    kind 1: a wire frame exactly as received; kind 2: a host note (JSON).

Every record is flushed as written, so a killed recorder loses at most the
record being written; the reader stops at the last complete record and says
how much was cut off.

The notes hold everything the live session used and decided, so that offline
commands replay it instead of deciding again (see Decisions):
  {"calibration": {...}}            the calibration chosen (sensor kind included)
  {"epoch": {n, wire, rate_hz, boot, start, offset_s, dev0_ms}}   each rate, from
                                    power-on or a rate change (docs/protocol.md); noted
                                    again when the first sample sets session time 0
  {"gap": {epoch, start, end, t_s}} samples the detector went on without
  {"lost": {epoch, start, end}}     samples a reboot took before they were sent
  {"settings": {...}}               the detector's settings (settings.Settings)
  {"gentle_max": N, "t_s", "source"}  the gentle maximum learnt, and when
  {"event": {t_s, kind, ...}}       every event the live session raised
  {"cue": NAME, "t_s", "side", "spot"}, {"spot", "side", "t_s"}   the guide: each cue, each spot's side
  {"link": STATE, ...}              link changes
  {"signal": "none"|"back", ...}    nothing heard from the ball for stream.NO_SIGNAL_S, and its return
  {"end": {epoch, seq, t_s}}        the last sample the live detector saw"""
import json
import logging
import os
import struct
import time
from dataclasses import dataclass, field

from ballsense_fw import protocol as P
from ballsense_fw.decode import cobs_decode

from .errors import UserError

log = logging.getLogger(__name__)
MAGIC = b"BSREC\x01\n"
K_FRAME = 1
K_NOTE = 2


class RecWriter:
    def __init__(self, path, meta=None):
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # user-only
        self.f = os.fdopen(fd, "wb")
        self.t0 = time.monotonic()
        self.last_sync = self.t0
        meta = dict({"started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, **(meta or {}))  # a given start kept
        self.f.write(MAGIC + json.dumps(meta).encode() + b"\n")
        self.f.flush()

    def _write(self, kind, payload):
        now = time.monotonic()
        body = struct.pack("<BI", kind, int((now - self.t0) * 1000) & 0xFFFFFFFF) + payload
        c = P.crc16(body)
        self.f.write(P.cobs_encode(body + bytes((c & 0xFF, c >> 8))))
        self.f.flush()
        if now - self.last_sync > 1.0:  # survive power loss too, once a second
            os.fsync(self.f.fileno())
            self.last_sync = now

    def frame(self, frame):
        self._write(K_FRAME, frame)

    def note(self, **fields):
        self._write(K_NOTE, json.dumps(fields).encode())

    def close(self):
        if not self.f.closed:
            self.f.flush()
            os.fsync(self.f.fileno())
            self.f.close()


class Recording:
    """A .rec file read back: meta, records [(kind, host_ms, payload)], and what
    was wrong with it (cut-off tail, corrupt records skipped)."""

    def __init__(self, path):
        self.path = path
        data = _read(path)
        if not data:
            raise UserError(f"{path} is empty: the recorder wrote nothing; record the session again")
        if not data.startswith(MAGIC):
            raise UserError(f"{path} is not a ballsense recording (.rec): it does not start with the "
                            "recording header; give a .rec written by ballsense record or live")
        nl = data.find(b"\n", len(MAGIC))
        if nl < 0:
            raise UserError(f"{path}: recording cut off inside its header: nothing to read; record again")
        try:
            self.meta = json.loads(data[len(MAGIC):nl])
        except ValueError:
            self.meta = None
        if not isinstance(self.meta, dict):
            raise UserError(f"{path}: the recording's header is corrupt: nothing can be trusted; record again")
        self.records = []
        self.corrupt = 0
        body = data[nl + 1:]
        end = body.rfind(0)
        self.truncated_bytes = len(body) - end - 1
        for pkt in body[:end + 1].split(b"\0")[:-1]:
            rec = self._record(pkt)
            if rec is None:
                self.corrupt += 1
            else:
                self.records.append(rec)

    @staticmethod
    def _record(pkt):
        """One record, or None when it is damaged (COBS or CRC)."""
        try:
            raw = cobs_decode(pkt)
        except P.FrameError:
            return None
        if len(raw) < 7 or P.crc16(raw[:-2]) != raw[-2] | (raw[-1] << 8):
            return None
        kind, ms = struct.unpack_from("<BI", raw)
        return kind, ms, raw[5:-2]

    def frames(self):
        return [p for k, _, p in self.records if k == K_FRAME]

    def notes(self):
        return [dict(json.loads(p), host_ms=ms) for k, ms, p in self.records if k == K_NOTE]

    def problems(self):
        """One line about damage, or '' when the file is whole."""
        parts = []
        if self.truncated_bytes:
            parts.append(f"cut off mid-write: read up to the last complete record "
                         f"({len(self.records)} records; {self.truncated_bytes} bytes at the end ignored)")
        if self.corrupt:
            parts.append(f"{self.corrupt} corrupt records skipped")
        return "; ".join(parts)


@dataclass
class Decisions:
    """What a live session decided, read back from its notes."""
    epochs: dict = field(default_factory=dict)   # n -> the epoch's note
    gaps: list = field(default_factory=list)     # (epoch, start, end) given up
    calibration: dict = None
    settings: dict = None
    events: list = None                          # the live events (dicts), None before they were kept
    end: dict = None                             # {epoch, seq}: where the live detector stopped

    @classmethod
    def of(cls, notes):
        d = cls()
        for n in notes:
            if "epoch" in n and isinstance(n["epoch"], dict):
                d.epochs[n["epoch"]["n"]] = n["epoch"]
            elif "gap" in n:
                g = n["gap"]
                d.gaps.append((g["epoch"], g["start"], g["end"]))
            elif "calibration" in n and d.calibration is None:
                d.calibration = n["calibration"]
            elif "settings" in n:
                d.settings = n["settings"]
            elif "event" in n:
                d.events = (d.events or []) + [n["event"]]
            elif "end" in n:
                d.end = n["end"]
        if d.settings is not None and d.events is None:
            d.events = []  # a live session that raised nothing
        return d


class Recorder:
    """The recording as a sink: the Stream hands it every wire frame as
    received and every decision as a note; as a pipeline sink (start,
    on_batch, stop) it notes the events (the Pipeline notes the guide's cues
    and the side of each spot, as the guide decides them).
    A failing disk (full, gone) stops the recording with one warning: the
    session matters more than the file."""

    def __init__(self, path=None, meta=None, writer=None):
        self.w = writer if writer is not None else RecWriter(path, meta)
        self.path = self.w.path
        self.error = ""

    def _do(self, fn, *args, **kw):
        if self.w is None:
            return
        try:
            fn(*args, **kw)
        except OSError as e:
            self.error = f"recording stopped: {e.strerror or e} ({self.path}); the session goes on"
            log.warning(self.error)
            self.w = None

    def frame(self, raw):
        if self.w is not None:
            self._do(self.w.frame, raw)

    def note(self, **fields):
        if self.w is not None:
            self._do(self.w.note, **fields)

    def start(self, view):
        pass

    def on_batch(self, view, events):
        for e in events:
            self.note(event=dict(e.to_dict(), late=True) if e.late else e.to_dict())

    def on_link(self, view):
        pass  # the Stream notes link changes itself

    def stop(self, view):
        pass  # closed by whoever opened it, after the link's last backfill

    def close(self):
        if self.w is not None:
            self._do(self.w.close)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UserError(f"{path}: no such recording: check the path") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a recording: give a .rec file") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror}): check its permissions") from None
