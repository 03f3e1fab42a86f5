"""The emulated BlueZ against a client nobody here wrote: BlueZ's own
bluetoothctl (and busctl), in one session with the firmware's ball, as a
person at the prompt would use them. bluetoothd is never started: bluetoothctl
finds the emulated BlueZ on the private bus DBUS_SYSTEM_BUS_ADDRESS names."""
import os
import re
import subprocess
import threading
import time

import pytest

from ballsense.protocol import C_RENAME, decode, encode_command
from test_ble import debian_tool, emulated

pytestmark = pytest.mark.usefixtures("micropython")
BALL = "C0:FF:EE:BA:11:01"
DEV = "/org/bluez/hci0/dev_" + BALL.replace(":", "_")
_NOISE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x01\x02\r]")
_HEX = re.compile(r"^\s+((?:[0-9a-f]{2} )+)\s")
_PROMPT = re.compile(r"^\[[^\]]*\]# ?$")


class Bluetoothctl:
    """bluetoothctl fed one command at a time, waiting for what it prints."""

    def __init__(self):
        self.proc = subprocess.Popen([debian_tool("bluetoothctl"), "--timeout", "120"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = []
        self.mark = 0
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(_NOISE.sub("", line).rstrip("\n"))
                self.cond.notify_all()

    def do(self, command, expect, timeout=10):
        """Type `command`; -> what was printed after it, once a line matches `expect`."""
        with self.cond:
            self.mark = len(self.lines)
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.wait(expect, timeout, command)

    def wait(self, expect, timeout=10, command="(waiting)", times=1):
        """Until `times` lines printed since the last command match `expect`."""
        rx = re.compile(expect)
        end = time.monotonic() + timeout
        with self.cond:
            while sum(1 for line in self.lines[self.mark:] if rx.search(line)) < times:
                left = end - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.lines[self.mark:][-40:])
                    raise AssertionError(f"bluetoothctl printed no {expect!r} after {command!r}:\n{tail}")
                self.cond.wait(left)
            return "\n".join(self.lines[self.mark:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()


def _attributes(listing):
    """list-attributes output -> [(kind, path, uuid)]."""
    rows = re.findall(r"^(Primary Service|Characteristic|Descriptor) \(Handle 0x[0-9a-f]+\)\n\t(\S+)\n\t(\S+)",
                      listing, re.M)
    return [(k, p, u) for k, p, u in rows]


def _values(out, path):
    """The values bluetoothctl printed for an attribute: [bytes]."""
    vals, cur = [], None
    for line in out.splitlines():
        if f"Attribute {path} Value:" in line:
            cur = bytearray()
            vals.append(cur)
        elif cur is not None and _HEX.match(line):
            cur.extend(bytes.fromhex(_HEX.match(line).group(1)))
        elif not _PROMPT.match(line):
            cur = None
    return [bytes(v) for v in vals]


def _busctl(address, *args):
    r = subprocess.run([debian_tool("busctl", "systemd"), f"--address={address}", *args],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _introspection(address):
    """busctl's view of the tree while the ball is connected."""
    end = time.monotonic() + 5
    while "org.bluez.Battery1" not in (device := _busctl(address, "introspect", "org.bluez", DEV)):
        assert time.monotonic() < end, "no Battery1 on the device: " + device
        time.sleep(0.1)  # the battery plugin reads and subscribes after the connection, as in BlueZ
    tree = _busctl(address, "tree", "org.bluez")
    root = _busctl(address, "introspect", "org.bluez", "/")
    manager = _busctl(address, "introspect", "org.bluez", "/org/bluez")
    adapter = _busctl(address, "introspect", "org.bluez", "/org/bluez/hci0")
    return tree, root, manager, device, adapter


def _flags(introspection, member):
    m = re.search(rf"^\.{member}\s+\S+\s+\S+\s+.*$", introspection, re.M)
    assert m, member
    return m.group(0)


def test_bluetoothctl_session_against_the_emulated_bluez():
    with emulated(scenario="idle", paired=False) as world:
        bt = Bluetoothctl()
        try:
            _session(bt, world)
        finally:
            bt.close()


def _session(bt, world):
    address = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
    bt.mark = 0
    bt.wait("Agent registered")                                   # AgentManager1.RegisterAgent at start
    bt.do("default-agent", "Default agent request successful")
    bt.do("power off", "Changing power off succeeded")            # Adapter1.Powered is writable
    assert "Failed to start discovery: org.bluez.Error.NotReady" in bt.do("scan on", "Failed to start discovery")
    bt.do("power on", "Changing power on succeeded")
    bt.do("system-alias test-host", r"Controller .* Alias: test-host")

    # live discovery: the device appears while scanning (InterfacesAdded from /)
    bt.do("scan on", rf"\[NEW\] Device {BALL} ballsense-sim")
    assert "RSSI is nil" in bt.do("scan off", "Discovery stopped")  # RSSI exists only while discovering

    out = bt.do(f"connect {BALL}", "Connection successful|Failed to connect")
    assert "Connection successful" in out
    new = re.findall(r"\[NEW\] Primary Service.*\n\t\S+\n\t(\S+)", out)
    assert sorted(new) == ["00001801-0000-1000-8000-00805f9b34fb", "0000180a-0000-1000-8000-00805f9b34fb",
                           "0000180f-0000-1000-8000-00805f9b34fb", "b5e1a000-5c3a-4f7e-9d1b-6a0c2f8e4b71"]
    _check_tree(*_introspection(address))

    info = bt.do(f"info {BALL}", "Battery Percentage")
    assert "Paired: no" in info and "Connected: yes" in info
    assert "Battery Percentage: 0x57 (87)" in info                # Battery1, read and subscribed as BlueZ's plugin does
    bt.do("trust", rf"Device {BALL} Trusted: yes")                # Device1.Trusted, Alias writable
    bt.do("set-alias living-room-ball", rf"Device {BALL} Alias: living-room-ball")

    bt.do("menu gatt", "Menu gatt")
    attrs = _attributes(bt.do(f"list-attributes {BALL}", r"service0017/char0018/desc001a"))
    kinds = [k for k, _, _ in attrs]
    assert (kinds.count("Primary Service"), kinds.count("Characteristic"), kinds.count("Descriptor")) == (4, 7, 3)
    assert all(u == "00002902-0000-1000-8000-00805f9b34fb" for k, _, u in attrs if k == "Descriptor")
    path = {u[4:8]: p for k, p, u in attrs if k == "Characteristic"}

    # read, with an offset; a read-only characteristic refuses writes both ways
    bt.do(f"select-attribute {path['2a29']}", "char0011")
    assert "ballsense projec" in bt.do("read", r"^\s+74\s")
    assert re.search(r"^\s+70 72 6f 6a 65 63 74\s+project", bt.do("read 10", r"^\s+70 72"), re.M)
    assert "org.bluez.Error.NotSupported" in bt.do("write 0x41", "Failed to write")          # nothing sent
    assert "org.bluez.Error.NotPermitted" in bt.do("write 0x41 0 request", "Failed to write")  # the ball said no
    assert "ballsense projec" in bt.do("read", r"^\s+74\s")        # unchanged: the write never landed

    # notifications from the ball's data characteristic, after the CCCD is written
    data = path["a001"]
    bt.do(f"select-attribute {data}", "char000b")
    bt.do("notify on", "Notify started")
    out = bt.wait(rf"Attribute {data} Value:", 10, times=5)
    frames = [decode(v) for v in _values(out, data)[:-1]]          # whole frames, CRC and all (the last may
    assert len(frames) >= 4 and "data" in {f["type"] for f in frames}  # still be printing)
    bt.do("notify off", "Notify stopped")
    bt.do("back", "Menu main")
    out = bt.do(f"disconnect {BALL}", "Successful disconnected")
    assert re.search(rf"\[DEL\] Primary Service", out)           # InterfacesRemoved from / too

    # pair a disconnected ball (BlueZ connects first) while its pairing window is open (three squeezes)
    world.squeeze()
    for attempt in range(20):
        out = bt.do(f"pair {BALL}", "Pairing successful|Failed to pair")
        if attempt == 0:
            assert re.search(rf"Device {BALL} Connected: yes", out) and "Pairing successful" in out
        if re.search(rf"Device {BALL} Bonded: yes", out):
            break
        time.sleep(0.5)  # the window is not open yet: the ball paired without bonding
    assert re.search(rf"Device {BALL} Bonded: yes", out) and "Pairing successful" in out
    bt.do("menu gatt", "Menu gatt")
    bt.do(f"select-attribute {path['a002']}", "char000e")
    frame = " ".join(f"0x{b:02x}" for b in encode_command(C_RENAME, 9, "btctl-renamed"))
    out = bt.do(f'write "{frame}"', "Attempting to write")
    time.sleep(0.5)
    assert "Failed to write" not in "\n".join(bt.lines[bt.mark:])
    bt.do("back", "Menu main")

    bt.do(f"disconnect {BALL}", "Successful disconnected")
    bt.do("scan on", rf"Device {BALL} Name: btctl-renamed")       # the ball obeyed, and advertises its new name
    bt.do("scan off", "Discovery stopped")
    bt.do(f"block {BALL}", "block succeeded")
    assert "org.bluez.Error.Failed" in bt.do(f"connect {BALL}", "Failed to connect")
    bt.do(f"unblock {BALL}", "unblock succeeded")
    out = bt.do(f"remove {BALL}", "Device has been removed")
    bt.wait(rf"\[DEL\] Device {BALL}")
    assert DEV not in _busctl(address, "tree", "org.bluez")        # nothing of the device is left
    bt.do("agent off", "Agent unregistered")                      # AgentManager1.UnregisterAgent


def _check_tree(tree, root, manager, device, adapter):
    for node in ("/org/bluez/hci0", DEV, f"{DEV}/service000a/char000b/desc000d", f"{DEV}/service0006/char0007"):
        assert node in tree
    assert "service0001" not in tree                              # the GAP service is BlueZ's own, not exported
    assert "org.freedesktop.DBus.ObjectManager" in root and ".GetManagedObjects" in root
    assert ".InterfacesAdded" in root and ".InterfacesRemoved" in root
    for method in ("RegisterAgent", "RequestDefaultAgent", "UnregisterAgent"):
        assert f".{method}" in manager
    for prop in ("Alias", "Trusted", "Blocked", "WakeAllowed"):
        assert "writable" in _flags(device, prop), prop
    for prop in ("Name", "Address", "Paired", "Connected"):
        assert "writable" not in _flags(device, prop), prop
    assert "org.bluez.Battery1" in device and ".Percentage" in device
    for prop in ("Alias", "Powered", "Discoverable", "Pairable", "DiscoverableTimeout", "PairableTimeout"):
        assert "writable" in _flags(adapter, prop), prop
