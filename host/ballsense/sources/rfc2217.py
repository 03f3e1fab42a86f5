"""rfc2217://HOST:PORT: a ball behind a TCP bridge (pyserial's rfc2217:// handler)."""
from .serial import BridgeSource as SOURCE  # noqa: F401
