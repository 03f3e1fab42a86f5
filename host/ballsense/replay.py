"""Where a session's events are decided, live and offline: the one Decider.

The live pipeline feeds it the Stream's batches as they come; `analyze`,
`report`, `history` and `evaluate` feed it the same samples (a recording
replayed by traces.from_rec, in the same order, with the same gaps) and the
same settings (the recording's), so they get the same events. The detector
is chunk-invariant, so batch sizes do not matter."""
import numpy as np

from . import sensors
from .analysis import rate_of
from .detect import Detector, Event, ordered
from .settings import Settings, gentle_max as choose_gentle_max

CHUNK_S = 60.0  # any chunking gives the same answer; big chunks are faster


class Decider:
    """Samples in order -> events. One detector per epoch rate: a rate
    change starts a new one, which keeps the gentle maximum."""

    def __init__(self, settings=Settings()):
        self.settings = settings
        self.gentle_max = settings.gentle.newtons
        self.gentle = settings.gentle
        self.det = None
        self.rate = None
        self.new_segment = False  # the last feed started a new detector
        self.last_force = np.zeros(0)

    def feed(self, t, force, gyro, rate_hz):
        self.new_segment = self.det is None or rate_hz != self.rate
        if self.new_segment:
            old, self.rate = self.det, rate_hz
            self.det = Detector(rate_hz, self.gentle_max, creep=self.settings.creep,
                                params=self.settings.detector_params())
            if old is not None:  # an alarm on goes on: not raised twice, cleared once
                self.det.pressure.active = old.pressure.active
        events = self.det.feed(t, force, gyro)
        self.last_force = self.det.last_force
        for e in events:
            if e.kind == "gentle_max":
                self.gentle_max = e.value
        return events


def settings_of(trace, gentle_max=None, creep=None, profile=None):
    """The settings a trace replays with: its recording's, `gentle_max` given
    here a what-if over them (settings.gentle_max); `profile` (newtons) counts
    only for a trace that recorded none (a CSV); `creep` False: none."""
    st = Settings.of_note(trace.settings) if trace.settings else Settings(creep=sensors.model(trace.sensor).CREEP)
    recorded = st.gentle if trace.settings else None
    gentle = choose_gentle_max(gentle_max, profile=profile, recorded=recorded)
    return Settings(gentle, st.creep if creep is None else creep, st.params)


def run(trace, gentle_max=None, creep=None, profile=None):
    """A trace (traces.load) through the Decider with its recording's
    settings; `gentle_max` given here overrides them as a what-if (the
    returned decider's .gentle says so); `creep` False turns the FSR creep
    compensation off. -> (events, compensated force, decider)."""
    st = settings_of(trace, gentle_max, creep, profile)
    return _run(trace.t, trace.force, trace.gyro, trace.segments or [(0, None, trace.gyro is not None)], st)


def run_arrays(t, force, gyro=None, rate=None, gentle_max=None, creep=True):
    """Arrays of one rate (a CSV, a scenario) -> (events, compensated force, decider)."""
    return _run(np.asarray(t, float), np.asarray(force, float), gyro, [(0, rate, gyro is not None)],
                Settings(choose_gentle_max(gentle_max), creep))


def _run(t, force, gyro, segments, settings):
    """`segments`: [(first index, rate_hz or None (from t), has gyro)]."""
    dec = Decider(settings)
    events, comp = [], []
    bounds = [s[0] for s in segments[1:]] + [len(t)]
    for (i0, rate, imu), i1 in zip(segments, bounds):
        rate = rate or rate_of(t[i0:i1])
        n = max(1, int(CHUNK_S * rate))
        for i in range(i0, i1, n):
            j = min(i + n, i1)
            events += dec.feed(t[i:j], force[i:j], gyro[i:j] if imu else None, rate)
            comp.append(dec.last_force)
    return ordered(events), np.concatenate(comp) if comp else np.zeros(0), dec


def same_events(live, replayed):
    """Live events (as the recording noted them) and replayed ones, compared
    as the recording keeps them: kinds, states, alerts and times to the ms.
    -> '' when they agree, else where they first differ."""
    a = [_key(e) for e in ordered([_event(d) for d in live])]
    b = [_key(e) for e in ordered([_event(e.to_dict()) for e in replayed])]
    if a == b:
        return ""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"{len(a)} live events, {len(b)} replayed; first difference at #{i}: "
            f"live {a[i] if i < len(a) else None}, replayed {b[i] if i < len(b) else None}")


def _event(d):
    return Event(round(d["t_s"], 3), d["kind"], d.get("value", 0.0), d.get("state", ""), d.get("alert", ""))


def _key(e):
    return (e.t_s, e.kind, e.state, e.alert)
