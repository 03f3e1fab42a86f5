class SensorError(Exception):
    """The sensor did not answer; the firmware reports it and keeps the link up."""
