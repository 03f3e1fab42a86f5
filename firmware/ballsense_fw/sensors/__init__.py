# A sensor kind is one module here, named in protocol.SENSORS (its wire code),
# with make(board, cfg) -> a driver whose read() gives counts 0..65535, and
# counts_at(board, cfg, newtons) -> the counts of a force on its nominal curve.


class SensorError(Exception):
    """The sensor did not answer; the firmware reports it and keeps the link up."""


def module(kind):
    """The module of a sensor kind (a name in protocol.SENSORS), imported on
    first use: a ball loads only the driver it has."""
    return __import__(__name__ + "." + kind, None, None, ("make",))
