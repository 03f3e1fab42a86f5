# The pairing window (three squeezes) and the bond store, under MicroPython.
from ballsense_fw import protocol as P
from ballsense_fw import decode as D
from ballsense_fw.pairing import Pairing, WINDOW_MS, GESTURE_MS
from ballsense_fw.bonds import Bonds, MAX_ENTRIES
from fakes import VirtualClock, ListLink, fresh_app

FIRM, RELEASE = 1000, 200


def _play(p, clock, segments):
    """segments: (counts, ms) held at 100 Hz; -> ms at which the window opened, or None."""
    t = 0
    opened = None
    for counts, ms in segments:
        for _ in range(ms // 10):
            if p.feed(counts) and opened is None:
                opened = t
            clock.sleep_us(10000)
            t += 10
    return opened


def _squeezes(n, press_ms, gap_ms, level=1500):
    out = [(0, 500)]
    for _ in range(n):
        out += [(level, press_ms), (50, gap_ms)]
    return out


def test_three_quick_squeezes_open_the_window_for_a_minute():
    c = VirtualClock()
    p = Pairing(c, FIRM, RELEASE)
    opened = _play(p, c, _squeezes(3, 300, 300))
    assert opened == 500 + 300 + 300 + 300 + 300 + 300, opened  # at the third release
    assert p.is_open()
    c.sleep_us((WINDOW_MS - 3000) * 1000)
    assert p.is_open()
    c.sleep_us(4000 * 1000)
    assert not p.is_open()


def test_two_squeezes_or_slow_ones_do_not_open_it():
    c = VirtualClock()
    p = Pairing(c, FIRM, RELEASE)
    assert _play(p, c, _squeezes(2, 300, 300)) is None
    p = Pairing(c, FIRM, RELEASE)
    gap = GESTURE_MS // 2  # three releases span 2 x (gap + press) > 3 s
    assert _play(p, c, _squeezes(3, 300, gap)) is None
    assert not p.is_open()


def test_soft_presses_and_lying_on_the_ball_do_not_open_it():
    c = VirtualClock()
    p = Pairing(c, FIRM, RELEASE)
    assert _play(p, c, _squeezes(5, 300, 300, level=FIRM - 1)) is None  # not firm
    # a session: heavy load with breaths and knee drops, never back to rest
    session = [(0, 500)]
    for _ in range(20):
        session += [(4000, 400), (900, 300), (3000, 400)]
    assert _play(p, c, session) is None


def test_close_ends_the_window_at_once():
    c = VirtualClock()
    p = Pairing(c, FIRM, RELEASE)
    _play(p, c, _squeezes(3, 200, 200))
    assert p.is_open()
    p.close()
    assert not p.is_open()


def test_bonds_survive_a_reboot_and_are_capped():
    import os
    path = "bonds_check.json"
    b = Bonds(path)
    b.forget_all()
    b.set(2, b"\x00peer01", b"K" * 16)
    b.set(1, b"\x00peer01", b"L" * 16)
    b.save()
    b2 = Bonds(path)
    assert b2.get(2, 0, b"\x00peer01") == b"K" * 16
    assert b2.get(1, 0, None) == b"L" * 16          # by index
    assert b2.get(2, 0, b"\x00other1") is None
    b2.set(2, b"\x00peer01", None)                    # the stack deletes a key
    assert b2.get(2, 0, b"\x00peer01") is None and b2.count() == 1
    for i in range(MAX_ENTRIES + 5):
        b2.set(3, bytes([i]), b"v")
    assert b2.count() == MAX_ENTRIES and b2.get(3, 0, bytes([MAX_ENTRIES + 4])) == b"v"
    os.remove(path)


def test_corrupt_bond_file_means_no_bonds_not_a_crash():
    import os
    with open("bonds_bad.json", "w") as f:
        f.write("[[2, \"zz\"")
    assert Bonds("bonds_bad.json").count() == 0
    os.remove("bonds_bad.json")


class _BleLikeLink(ListLink):
    """What the App needs of a BLE link besides a list link's: trust and bonding."""
    name = "ble-like"
    trusted = False
    bondable = False
    bonded_now = False

    def set_bondable(self, on):
        self.bondable = on


def _statuses(link):
    return [D.decode(f) for f in link.sent if D.decode(f)["type"] == "status"]


def test_untrusted_link_may_listen_but_not_command():
    app, usb = fresh_app()
    app.enable_pairing()
    ble = _BleLikeLink()
    app.links.append(ble)
    ble.inbox = [P.encode_command(P.C_RENAME, 4, "stranger"), P.encode_command(P.C_SET_THRESHOLD, 5, 9000, 8000)]
    app.service()
    st = _statuses(ble)
    assert [(s["token"], s["error"]) for s in st] == [(4, P.E_NOT_PAIRED), (5, P.E_NOT_PAIRED)]
    assert app.cfg["name"] == "ballsense" and app.cfg["threshold"] == 0
    ble.trusted = True  # bonded
    ble.inbox = [P.encode_command(P.C_RENAME, 6, "mine")]
    app.service()
    assert (_statuses(ble)[-1]["token"], _statuses(ble)[-1]["error"]) == (6, P.E_OK)
    assert app.cfg["name"] == "mine"
    usb.inbox = [P.encode_command(P.C_SET_RATE, 7, 50)]  # the cable is physical access
    app.service()
    assert _statuses(usb)[-1]["error"] == P.E_OK


def test_squeezes_open_bonding_and_a_new_bond_closes_it():
    app, usb = fresh_app()
    app.enable_pairing()
    ble = _BleLikeLink()
    app.links.append(ble)
    firm, release = app.pairing.firm, app.pairing.release
    assert 0 < release < firm
    t = 0
    for v in [0] * 50 + ([firm + 500] * 25 + [0] * 25) * 3:
        app.ring.push(v, t, 10000)
        app.service_pairing()
        app.clock.sleep_us(10000)
        t += 10000
    assert ble.bondable and app.pairing.is_open()
    assert app.status() and D.decode(app.status())["flags"] & P.F_PAIRING
    ble.bonded_now = True  # the stack stored a new host's keys
    app.service_pairing()
    assert not ble.bondable and not app.pairing.is_open()
    assert not D.decode(app.status())["flags"] & P.F_PAIRING


def test_forget_pairings_keeps_only_the_host_asking():
    app, usb = fresh_app()
    app.enable_pairing()
    ble = _BleLikeLink()
    ble.trusted = True
    ble.peer_key = b"\x00mine01"
    app.links.append(ble)
    app.bonds.forget_all()
    for k in (b"\x00mine01", b"\x00lost01", b"\x00lost02"):
        app.bonds.set(2, k, b"K" * 16)
    ble.inbox = [P.encode_command(P.C_FORGET_PAIRINGS, 8)]
    app.service()
    assert _statuses(ble)[-1]["error"] == P.E_OK
    assert [e[1] for e in app.bonds.entries] == [b"\x00mine01"]
    usb.inbox = [P.encode_command(P.C_FORGET_PAIRINGS, 9)]  # over the cable: all of them
    app.service()
    assert app.bonds.count() == 0
