"""Writes frames.json: wire frames with their meaning, built here byte by byte
from docs/protocol.md with struct (not with the codec under test), so both the
firmware under MicroPython and the host under CPython are checked against an
independent reading of the spec. Run: python tests/vectors/make_vectors.py"""
import binascii
import json
import struct
from pathlib import Path


def crc(body):
    c = binascii.crc_hqx(body, 0xFFFF)
    return body + struct.pack("<H", c)


def s12(d):
    return d & 0xFFF


def data(seq, t_ms, forces, epoch=0, version=2):
    head = struct.pack("<BBHH", version << 4 | 1, len(forces), seq, t_ms)
    b = head + (bytes((epoch,)) if version == 2 else b"") + struct.pack("<H", forces[0])
    deltas = [forces[i] - forces[i - 1] for i in range(1, len(forces))]
    if len(deltas) % 2:
        deltas.append(0)
    for d1, d2 in zip(deltas[::2], deltas[1::2]):
        x = s12(d1) | (s12(d2) << 12)  # 24 bits, little-endian
        b += bytes((x & 0xFF, (x >> 8) & 0xFF, x >> 16))
    return crc(b)


V = []


def add(name, frame, meaning):
    V.append({"name": name, "hex": frame.hex(), "decoded": meaning})


f = [1000, 1005, 990, 3000, 3001, 1000, 1000]
add("data, 7 samples, deltas of both signs", data(7, 1234, f, epoch=3),
    {"type": "data", "seq": 7, "t_ms": 1234, "epoch": 3, "force": f})
add("data, 1 sample", data(65535, 65535, [65535], epoch=255),
    {"type": "data", "seq": 65535, "t_ms": 65535, "epoch": 255, "force": [65535]})
add("data, 2 samples, largest deltas", data(0, 0, [0, 2047]),
    {"type": "data", "seq": 0, "t_ms": 0, "epoch": 0, "force": [0, 2047]})
add("data, 4 samples, largest negative delta", data(40000, 9, [5000, 2953, 2953, 4000], epoch=7),
    {"type": "data", "seq": 40000, "t_ms": 9, "epoch": 7, "force": [5000, 2953, 2953, 4000]})
g = [[1, -2, 3], [-128, 127, 0], [0, 0, -1]]
add("imu, 3 gyro readings every 4th sample",
    crc(struct.pack("<BBHHBB", 0x22, 3, 100, 2000, 3, 4) + bytes(v & 0xFF for r in g for v in r)),
    {"type": "imu", "seq": 100, "t_ms": 2000, "epoch": 3, "step": 4, "gyro": g})
st = dict(fw_major=0, fw_minor=1, fw_patch=2, board=1, sensor=1, flags=5 | 16, rate_hz=100, battery_pct=87,
          error=2, token=9, next_seq=12345, threshold=40000, epoch=3, epoch_seq=12000)
add("status", crc(struct.pack("<BBBBBBBBBBBHHBH", 0x23, *st.values())), dict(type="status", **st))
stats = dict(jitter_p99_us=500, jitter_max_us=1750, overruns=0, min_free_heap=40960, samples=123456, lost=3)
add("stats", crc(struct.pack("<BHHHIII", 0x26, *stats.values())), dict(type="stats", **stats))
add("command stats", crc(bytes((0x24, 6, 9))), {"type": "command", "cmd": 6, "token": 9, "args": []})
add("info (name)", crc(bytes((0x25, 4)) + b"ball"), {"type": "info", "name": "ball"})
add("command tare", crc(bytes((0x24, 1, 3))), {"type": "command", "cmd": 1, "token": 3, "args": []})
add("command set_rate 50 Hz", crc(bytes((0x24, 2, 4)) + struct.pack("<H", 50)),
    {"type": "command", "cmd": 2, "token": 4, "args": [50]})
add("command set_threshold", crc(bytes((0x24, 3, 5)) + struct.pack("<HH", 30000, 28000)),
    {"type": "command", "cmd": 3, "token": 5, "args": [30000, 28000]})
add("command backfill", crc(bytes((0x24, 4, 6)) + struct.pack("<HH", 65530, 20)),
    {"type": "command", "cmd": 4, "token": 6, "args": [65530, 20]})
add("command rename", crc(bytes((0x24, 5, 7)) + "Kugel ü".encode()),
    {"type": "command", "cmd": 5, "token": 7, "args": ["Kugel ü"]})
add("command status", crc(bytes((0x24, 0, 8))), {"type": "command", "cmd": 0, "token": 8, "args": []})
add("command forget_pairings", crc(bytes((0x24, 7, 11))), {"type": "command", "cmd": 7, "token": 11, "args": []})

# Version 1 frames (recordings made before epochs): the host reads them as epoch 0.
LEGACY = []
st1 = {k: v for k, v in st.items() if k not in ("epoch", "epoch_seq")}
for name, frame, meaning in [
        ("v1 data", data(7, 1234, f, version=1), {"type": "data", "seq": 7, "t_ms": 1234, "epoch": 0, "force": f}),
        ("v1 imu", crc(struct.pack("<BBHHB", 0x12, 3, 100, 2000, 4) + bytes(v & 0xFF for r in g for v in r)),
         {"type": "imu", "seq": 100, "t_ms": 2000, "epoch": 0, "step": 4, "gyro": g}),
        ("v1 status", crc(struct.pack("<BBBBBBBBBBBHH", 0x13, *st1.values())),
         dict(type="status", **st1, epoch=0, epoch_seq=0)),
        ("v1 info", crc(bytes((0x15, 4)) + b"ball"), {"type": "info", "name": "ball"})]:
    LEGACY.append({"name": name, "hex": frame.hex(), "decoded": meaning})

good = data(7, 1234, f)
bad = [
    ("CRC wrong", good[:-1] + bytes((good[-1] ^ 1,))),
    ("payload bit flipped", good[:5] + bytes((good[5] ^ 0x10,)) + good[6:]),
    ("version 3", crc(bytes((0x31,)) + good[1:-2])),
    ("unknown type 9", crc(bytes((0x29,)) + good[1:-2])),
    ("count says 9, bytes hold 7", crc(bytes((0x21, 9)) + good[2:-2])),
    ("count 0", crc(bytes((0x21, 0)) + good[2:-2])),
    ("truncated to 2 bytes", good[:2]),
    ("empty", b""),
    ("status one byte short", crc(struct.pack("<BBBBBBBBBBBHHB", 0x23, *list(st.values())[:-1]))),
    ("v1 status size in a v2 frame", crc(struct.pack("<BBBBBBBBBBBHH", 0x23, *st1.values()))),
    ("force below zero", crc(struct.pack("<BBHHBH", 0x21, 2, 0, 0, 0, 0) + bytes((0xFF, 0x0F, 0)))),
]
cobs = [  # from the COBS paper's examples
    ("00", "010100"), ("0000", "01010100"), ("11220033", "0311220233" + "00"),
    ("11223344", "051122334400"), ("11000000", "021101010100"), ("", "0100"),
    ("01" * 254, "ff" + "01" * 254 + "0100"),
]
out = {
    "spec": "docs/protocol.md",
    "frames": V,
    "legacy": LEGACY,
    "invalid": [{"name": n, "hex": b.hex()} for n, b in bad],
    "cobs": [{"raw": r, "encoded": e} for r, e in cobs],
}
Path(__file__).with_name("frames.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
