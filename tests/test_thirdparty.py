"""Code nobody here wrote, against the emulation: micropython-lib's aioble
(pinned, unmodified, tests/thirdparty/aioble) and MicroPython's own
tests/multi_bluetooth (pinned, tests/thirdparty/multi_bluetooth), their
peripheral halves under the real `micropython` on the stand-in `bluetooth`,
read by centrals written with bleak (centrals.py) through the emulated BlueZ.
Each run's output is compared with the test's .exp file."""
import asyncio
import os
import re
import struct

import pytest

import centrals
import multitests
from ballsense.emulation.device import micropython_path
from test_ble import emulated

pytestmark = pytest.mark.usefixtures("micropython")

AIOBLE_TESTS = ["ble_characteristic", "ble_notify", "ble_descriptor", "ble_write_order", "ble_advertise_services"]
MP_TESTS = ["ble_gap_connect", "ble_characteristic", "ble_gap_device_name", "ble_subscribe", "ble_gatt_data_transfer",
            "ble_gap_pair", "ble_gap_pair_bond", "ble_gattc_discover_services", "ble_irq_calls"]


@pytest.fixture(scope="module")
def air():
    """The private bus and the emulated BlueZ, with no ball: each test brings its
    peripheral. The link runs at the interval BlueZ connects with, so no
    connection update comes (as the tests expect of their central)."""
    with emulated(ball=False, scenario="none", paired=False, interval_ms=30) as world:
        yield world


def _run(test_file, air, central):
    async def go():
        try:
            return await multitests.run(test_file, air.radio_port, central)
        finally:
            await centrals.remove_devices()
    return asyncio.run(go())


def _check(name, out, exp):
    assert out[0] == exp[0], f"peripheral half of {name}"
    want = centrals.DIFFERS.get(name, list)(exp[1])
    keep = centrals.CENTRAL_LINES.get(name)
    if keep:
        want = [line for line in want if keep(line)]
    assert out[1] == want, f"central half of {name}"


@pytest.mark.parametrize("name", AIOBLE_TESTS)
def test_aioble_multitest_peripheral_half(name, air):
    test_file = multitests.AIOBLE / "multitests" / f"{name}.py"
    out = _run(test_file, air, getattr(centrals, f"aioble_{name}"))
    _check(name, out, multitests.expected(test_file))


@pytest.mark.parametrize("name", MP_TESTS)
def test_micropython_multi_bluetooth_peripheral_half(name, air):
    test_file = multitests.MULTI / f"{name}.py"
    out = _run(test_file, air, getattr(centrals, name))
    _check(name, out, multitests.expected(test_file))


def test_aioble_temp_sensor_example_read_by_bleak(air):
    """examples/temp_sensor.py as shipped: found by name and service, read, notifying every second."""
    from bleak import BleakClient, BleakScanner

    env = dict(os.environ, BALLSENSE_RADIO_PORT=str(air.radio_port))
    script = (f"import sys\nsys.path.insert(0, {str(multitests.RADIO_DIR)!r})\n"
              f"sys.path.insert(0, {str(multitests.AIOBLE)!r})\n"
              + (multitests.AIOBLE / "examples" / "temp_sensor.py").read_text())

    async def go():
        proc = await asyncio.create_subprocess_exec(micropython_path(), "-c", script, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            dev = await BleakScanner.find_device_by_filter(
                lambda d, a: a.local_name == "mpy-temp" and "0000181a-0000-1000-8000-00805f9b34fb" in a.service_uuids,
                timeout=10)
            assert dev is not None, "the sensor was not heard"
            got = []
            async with BleakClient(dev) as c:
                first = struct.unpack("<h", await c.read_gatt_char("00002a6e-0000-1000-8000-00805f9b34fb"))[0]
                done = asyncio.Event()

                def notified(_ch, data):
                    got.append(struct.unpack("<h", data)[0])
                    if len(got) == 2:
                        done.set()
                await c.start_notify("00002a6e-0000-1000-8000-00805f9b34fb", notified)
                await asyncio.wait_for(done.wait(), 5)
            return first, got
        finally:
            proc.kill()
            out = (await proc.communicate())[0].decode()
            await centrals.remove_devices()
            assert "Traceback" not in out, out

    first, got = asyncio.run(go())
    for t in [first] + got:  # hundredths of a degree, a random walk from 24.5 C
        assert 1500 < t < 3500
    assert len(got) == 2


def test_stand_in_follows_the_documented_api(air):
    """The parts of bluetooth.rst a test above does not reach: config keys, the
    buffer protocol, descriptors' handles, append buffers, a denied read, ATT
    permissions (a write to a read-only value refused before the handler; a
    write-encrypted one landing only once BlueZ has paired), and a
    non-connectable advertisement that a central hears but cannot connect to."""
    from bleak import BleakClient, BleakScanner
    from bleak.exc import BleakError

    checks = r'''
import sys
sys.path.insert(0, RADIO)
import bluetooth, struct, time
ble = bluetooth.BLE()
ble.config(bond=True, mitm=False, io=3, le_secure=True, addr_mode=1, rxbuf=256, mtu=100, gap_name=b"standin")
ble.active(True)
print("config", ble.config("mac")[0], ble.config("rxbuf"), ble.config("mtu"), ble.config("gap_name"))
for k in ("bond", "mitm", "io", "le_secure", "addr_mode"):
    try:
        ble.config(k)
        print("readable", k)
    except ValueError:
        pass
u = bluetooth.UUID("6E400001-B5A3-F393-E0A9-E50E24DCCA9E")
print("uuid", len(bytes(u)), bytes(memoryview(bluetooth.UUID(0x2902))), bluetooth.UUID(bytes(u)) == u, u)
svc = (u, ((bluetooth.UUID(0x2A01), bluetooth.FLAG_READ, ((bluetooth.UUID(0x2901), bluetooth.FLAG_READ),)),
           (bluetooth.UUID(0x2A37), bluetooth.FLAG_WRITE | bluetooth.FLAG_NOTIFY),
           (bluetooth.UUID(0x2A38), bluetooth.FLAG_WRITE | bluetooth.FLAG_WRITE_ENCRYPTED)))
((h1, d1, h2, h3),) = ble.gatts_register_services((svc,))
print("handles", h1, d1, h2, h3)
ble.gatts_write(h1, "deny me")
ble.gatts_write(d1, bytearray(b"user description"))
ble.gatts_set_buffer(h2, 64, True)
def irq(event, data):
    if event == 4 and data[1] == h1:
        return 0x0E  # an application error: deny
    if event == 3:
        print("written", data[1], ble.gatts_read(data[1]))
    if event == 28:
        print("encrypted", data[1:4])
ble.irq(irq)
ble.gap_advertise(100_000, "\x02\x01\x06\x08\x09standin", connectable=False)
print("NEXT")
sys.stdin.readline()
ble.gap_advertise(100_000, "\x02\x01\x06\x08\x09standin")
for _ in range(3000):
    time.sleep_ms(10)  # scheduled IRQs run between the sleeps
'''.replace("RADIO", repr(str(multitests.RADIO_DIR)))
    env = dict(os.environ, BALLSENSE_RADIO_PORT=str(air.radio_port))

    async def go():
        proc = await asyncio.create_subprocess_exec(micropython_path(), "-c", checks, env=env,
                                                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        lines = []
        try:
            while (line := (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()) != "NEXT":
                assert line, "the peripheral ended early: " + "\n".join(lines)
                lines.append(line)
            dev = await BleakScanner.find_device_by_name("standin", timeout=5)
            assert dev is not None, "a non-connectable advertisement is still heard"
            with pytest.raises((BleakError, asyncio.TimeoutError)):
                async with BleakClient(dev, timeout=4):
                    pass
            proc.stdin.write(b"go\n")
            await asyncio.sleep(0.3)
            async with BleakClient(dev) as c:
                with pytest.raises(BleakError, match="Unlikely Error"):  # bleak parsed BlueZ's "ATT error: 0x0e"
                    await c.read_gatt_char("00002a01-0000-1000-8000-00805f9b34fb")
                desc = c.services.get_characteristic("00002a01-0000-1000-8000-00805f9b34fb").descriptors[0]
                user = bytes(await c.read_gatt_descriptor(desc))
                with pytest.raises(BleakError, match="Write Not Permitted"):  # BlueZ's NotPermitted, from ATT 0x03
                    await c.write_gatt_char("00002a01-0000-1000-8000-00805f9b34fb", b"x", response=True)
                for part in (b"ab", b"cd"):
                    await c.write_gatt_char("00002a37-0000-1000-8000-00805f9b34fb", part, response=True)
                await c.write_gatt_char("00002a38-0000-1000-8000-00805f9b34fb", b"secret", response=True)
                paired = await centrals.device_property(dev.address, "Paired")
                await asyncio.sleep(0.3)
            return lines, user, paired
        finally:
            proc.kill()
            lines += (await proc.communicate())[0].decode().splitlines()
            await centrals.remove_devices()

    lines, user, paired = asyncio.run(go())
    text = "\n".join(lines)
    assert "Traceback" not in text, text
    assert "config 1 256 100 b'standin'" in lines
    assert "readable" not in text                                  # as modbluetooth.c: set-only keys
    assert "uuid 16 b'\\x02)' True UUID('6e400001-b5a3-f393-e0a9-e50e24dcca9e')" in lines
    assert "handles 12 13 15 18" in lines                           # value, its descriptor; 15's CCCD at 16
    assert user == b"user description"
    # appended, a read empties the buffer; the refused write never reached the handler; the encrypted
    # one came after BlueZ had paired (insufficient authentication, then pairing, then the write again)
    assert re.findall(r"^(written .*|encrypted .*)$", text, re.M) == [
        "written 15 b'ab'", "written 15 b'cd'", "encrypted (1, 0, 1)", "written 18 b'secret'"]
    assert paired is True


def test_stand_in_irqs_reach_a_program_that_notifies_flat_out(air):
    """A scheduled IRQ runs between any two bytecodes of the main thread, also
    inside the stand-in's own locked sections while gatts_notify sends. Over
    six connections every write and every disconnect still reach the
    handler, and every write is answered. Before the fix the main thread
    deadlocked on its own lock in most runs: a ball that never advertised
    again after a drop."""
    from bleak import BleakClient, BleakScanner

    script = r'''
import sys
sys.path.insert(0, RADIO)
import bluetooth, time
ble = bluetooth.BLE()
ble.active(True)
((tx, rx),) = ble.gatts_register_services(((bluetooth.UUID("6E400001-B5A3-F393-E0A9-E50E24DCCA9E"),
    ((bluetooth.UUID(0x2A37), bluetooth.FLAG_NOTIFY), (bluetooth.UUID(0x2A38), bluetooth.FLAG_WRITE))),))
state = {"conn": None, "writes": 0, "gone": 0, "advertise": True}
def irq(event, data):
    if event == 1:
        state["conn"] = data[0]
    elif event == 2:
        state["conn"], state["advertise"] = None, True
        state["gone"] += 1
    elif event == 3:
        state["writes"] += 1
ble.irq(irq)
sent, t0 = 0, time.ticks_ms()
while state["gone"] < CYCLES and time.ticks_diff(time.ticks_ms(), t0) < 30_000:
    if state["advertise"]:
        state["advertise"] = False
        ble.gap_advertise(100_000, "\x02\x01\x06\x08\x09flatout")
    c = state["conn"]
    if c is not None:
        try:
            ble.gatts_notify(c, tx, b"x" * 20)
            sent += 1
        except OSError:
            pass  # out of buffers: at once again
print("writes", state["writes"], "gone", state["gone"], "sent", sent > 100)
'''.replace("RADIO", repr(str(multitests.RADIO_DIR)))
    cycles, writes = 6, 50
    script = script.replace("CYCLES", str(cycles))
    env = dict(os.environ, BALLSENSE_RADIO_PORT=str(air.radio_port))

    async def go():
        proc = await asyncio.create_subprocess_exec(micropython_path(), "-c", script, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        answered = 0
        try:
            for k in range(cycles):
                dev = await BleakScanner.find_device_by_name("flatout", timeout=5)
                assert dev is not None, f"the peripheral did not advertise again (connection {k + 1})"
                async with BleakClient(dev) as c:
                    await c.start_notify("00002a37-0000-1000-8000-00805f9b34fb", lambda _ch, _d: None)
                    for i in range(writes):
                        await asyncio.wait_for(c.write_gatt_char("00002a38-0000-1000-8000-00805f9b34fb",
                                                                 bytes([i]), response=True), 5)
                        answered += 1
            out = (await asyncio.wait_for(proc.communicate(), 10))[0].decode()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.communicate()
            await centrals.remove_devices()
        return answered, out

    answered, out = asyncio.run(go())
    assert answered == cycles * writes
    assert f"writes {cycles * writes} gone {cycles} sent True" in out, out
