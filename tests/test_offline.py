"""Nothing in the project talks to a network: the only sockets are the
emulation's own, bound to and connecting to the loopback address, a
socket:// source the user names, and the phone view's server (--web), which
listens on loopback unless the user names another address. Checked on the
source (every import and every address literal), so a new dependency on the
network fails here."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = sorted((ROOT / "host").rglob("*.py")) + sorted((ROOT / "firmware").rglob("*.py"))
NETWORK_MODULES = {"http", "urllib.request", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib",
                   "xmlrpc", "websockets", "paho", "network", "urequests", "socketserver"}
# the emulation's sockets: the ball's stand-in radio and the pty-to-TCP device bridge
SOCKET_USERS = {"host/ballsense/emulation/radio/bluetooth.py", "host/ballsense/emulation/device.py"}
# the one server: answers requests, makes none (aiohttp's server side only)
SERVER = "host/ballsense/sinks/web.py"
SERVER_MODULES = {"aiohttp", "socket"}


def _imports(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_module_imports_a_network_client():
    assert len(CODE) > 40
    bad = [(p.relative_to(ROOT).as_posix(), m) for p in CODE for m in _imports(p)
           if m in NETWORK_MODULES or m.split(".")[0] in NETWORK_MODULES - {"urllib"}]
    assert bad == [(SERVER, "aiohttp")]
    text = (ROOT / SERVER).read_text()
    assert "ClientSession" not in text and "aiohttp.client" not in text  # serves, never fetches
    assert re.search(r'^DEFAULT_HOST = "127\.0\.0\.1"$', text, re.M)  # loopback unless the user says otherwise


def test_sockets_only_in_the_emulation_and_only_on_loopback():
    users = {p.relative_to(ROOT).as_posix() for p in CODE if "socket" in set(_imports(p))}
    assert users == SOCKET_USERS | {SERVER}
    for rel in SOCKET_USERS:
        text = (ROOT / rel).read_text()
        hosts = set(re.findall(r'"(\d+\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|)"\s*,\s*(?:port|0|\d)', text))
        assert hosts <= {"127.0.0.1"}, (rel, hosts)
    for p in CODE:  # no address literal other than loopback anywhere
        ips = set(re.findall(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", p.read_text()))
        # the server's route probe: a documentation address, looked up, never sent to
        allowed = {"127.0.0.1"} | ({"192.0.2.1"} if p.relative_to(ROOT).as_posix() == SERVER else set())
        assert ips <= allowed, (p, ips)
