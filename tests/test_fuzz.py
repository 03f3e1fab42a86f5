"""Property tests for the host's frame decoding: garbage never crashes it,
never yields a sample from a corrupt frame, and the stream is in step again
within one frame."""
from hypothesis import given, settings, strategies as st

from ballsense import protocol as P


def _frames(seed, n):
    import random
    rng = random.Random(seed)
    out, v = [], 20000
    for k in range(n):
        vals = []
        for _ in range(rng.randint(1, 7)):
            v = max(0, min(65535, v + rng.randint(-2000, 2000)))
            vals.append(v)
        out.append(P.encode_data(k * 7 & 0xFFFF, k * 70 & 0xFFFF, vals))
    return out


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_decode_only_ever_raises_frame_error(data):
    try:
        P.decode(data)
    except P.FrameError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=80), min_size=1, max_size=12), st.integers(0, 2 ** 16),
       st.lists(st.integers(1, 60), min_size=1, max_size=8))
def test_deframer_survives_garbage_and_resyncs(garbage, seed, cuts):
    good = _frames(seed, len(garbage) + 1)
    wire = bytearray()
    hit = set()  # frames that garbage may have run into
    for i, g in enumerate(garbage):
        wire += g
        hit.add(i)
        wire += P.cobs_encode(good[i])
    wire += P.cobs_encode(good[-1])
    d = P.Deframer()
    got, i, k = [], 0, 0
    while i < len(wire):  # arbitrary read sizes
        n = cuts[k % len(cuts)]
        got += d.feed(bytes(wire[i:i + n]))
        i, k = i + n, k + 1
    # nothing but the true frames comes out, in order, each at most once
    it = iter(good)
    assert all(any(f == g for g in it) for f in got)
    # every frame no garbage ran into arrives: in step again within one frame
    assert all(good[j] in got for j in range(len(good)) if j not in hit)
    for f in got:
        P.decode(f)  # and each decodes


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(P.encode_data(1, 2, [1, 2, 3, 4, 5, 6, 7])) * 8 - 1))
def test_any_single_bit_flip_is_caught(bit):
    f = bytearray(P.encode_data(1, 2, [100, 2000, 50, 4000, 4001, 3000, 3000]))
    f[bit // 8] ^= 1 << (bit % 8)
    try:
        P.decode(bytes(f))
        raise AssertionError("a corrupt frame was accepted")
    except P.FrameError:
        pass
