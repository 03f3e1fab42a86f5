"""socket://HOST:PORT: a ball behind a TCP bridge (pyserial's socket:// handler)."""
from .serial import BridgeSource as SOURCE  # noqa: F401
