"""Squeeze-to-pair, end to end: the real firmware under MicroPython, the
emulated radio and BlueZ, bleak unmodified. A host that has not bonded may
listen but not command; bonding needs the ball's pairing window, which only
three squeezes on the ball open; a bond survives reconnects and reboots."""
import asyncio
import json
import os

import pytest

from ballsense.commands.pair import pair, pair_open, _statuses, _until
from ballsense.errors import UserError
from ballsense.protocol import encode_command, C_RENAME, C_STATUS, E_OK, E_NOT_PAIRED, F_PAIRING
from ballsense.sources import open_source
from ballsense.stream import Stream, collect

pytestmark = pytest.mark.usefixtures("micropython")
UNPAIRED = "sim+ble://none?paired=0"


async def ask(src, frames, cmd, token, *args, timeout=10):
    """Send a command (again while the link is down), return the status frame answering it."""
    async def answer():
        while not await src.send(encode_command(cmd, token, *args)):
            await asyncio.sleep(0.2)
        return await _until(frames, lambda f: f["token"] == token)
    return await asyncio.wait_for(answer(), timeout)


def test_a_stranger_may_listen_but_not_rename_the_ball():
    async def go():
        async with open_source(UNPAIRED) as src:
            frames = _statuses(src)
            st = await ask(src, frames, C_RENAME, 41, "hijacked")
            st2 = await ask(src, frames, C_STATUS, 42)
            return st, st2, src.world.dir
    st, st2, _ = asyncio.run(go())
    assert (st["error"], st2["error"]) == (E_NOT_PAIRED, E_NOT_PAIRED)
    assert not st["flags"] & F_PAIRING


def test_pairing_needs_the_squeezes():
    async def go():
        src = open_source(UNPAIRED)
        src.world.squeeze = lambda: None  # nobody touches the ball
        await pair(src, 4)
    with pytest.raises(UserError, match="pairing window did not open"):
        asyncio.run(go())


def test_squeeze_pair_then_command_and_the_bond_survives_a_reboot():
    async def go():
        async with open_source(UNPAIRED) as src:
            frames = _statuses(src)
            name = await pair_open(src, frames, 20)  # the emulation squeezes; bonds; checks the ball obeys
            world = src.world
            with open(os.path.join(world.dir, "bonds.json")) as f:
                bonds = json.load(f)
            world.kill_ball()   # a reboot: same flash (directory), same BlueZ
            world.start_ball()  # the source reconnects by itself
            st = await ask(src, frames, C_RENAME, 43, "mine", timeout=30)
            st2 = await ask(src, frames, C_STATUS, 44)
            return name, bonds, st, st2
    name, bonds, st, st2 = asyncio.run(go())
    assert name == "ballsense-sim"
    assert len(bonds) == 1 and bonds[0][0] == 2 and len(bytes.fromhex(bonds[0][2])) == 16
    assert st["error"] == E_OK and not st2["flags"] & F_PAIRING  # the new bond closed the window


def test_without_a_bond_drops_are_not_repaired_and_with_one_they_are():
    async def go(url):
        async with open_source(url) as src:
            st = Stream(src)
            await collect(st, 12, 60)
            await st.drain(8)
            return st.asm.missing_count(), src.reconnects
    lost_unpaired, r1 = asyncio.run(go("sim+ble://idle?paired=0&disconnect_every=3&speed=2"))
    lost_paired, r2 = asyncio.run(go("sim+ble://idle?paired=1&disconnect_every=3&speed=2"))
    assert r1 >= 1 and r2 >= 1
    assert lost_unpaired > 20   # backfill refused: what the drop swallowed stays missing
    assert lost_paired == 0
