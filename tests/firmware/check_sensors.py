# Drivers against the emulated parts (boards/sim.py), which follow the
# datasheets' wire-level behaviour.
from ballsense_fw.boards import sim
from ballsense_fw.sensors import SensorError
from ballsense_fw.sensors.fsr import FSR
from ballsense_fw.sensors.hx711 import HX711
from ballsense_fw.sensors.imu import MPU6050
from fakes import raises


class _Row:
    def __init__(self, f, g=0.0):
        self.row = (f, g, 0.0, -g)

    def now(self):
        return self.row


def test_fsr_counts_rise_with_force():
    adc = sim.ADC(sim.PINS["fsr_adc"])
    fsr = FSR(adc, sim.VREF_UV)
    got = []
    for f in (0.0, 20.0, 60.0, 120.0, 300.0):
        sim.trace = _Row(f)
        got.append(fsr.read())
    assert got[0] < 200 and all(a < b for a, b in zip(got, got[1:])), got


def test_hx711_reads_force_and_tares():
    sim.trace = _Row(0.0)
    hx = HX711(sim.Pin(sim.PINS["hx711_dout"], "in"), sim.Pin(sim.PINS["hx711_sck"], "out"), sim.clock, shift=6)
    hx.tare()
    sim.trace = _Row(100.0)
    sim.clock.sleep_us(20000)
    c = hx.read()
    expect = 512 + 100 * 2825 // 64
    assert abs(c - expect) < 30, (c, expect)


def test_hx711_dead_is_a_clear_error():
    sim._FAULT = "hx711_dead"
    try:
        hx = HX711(sim.Pin(sim.PINS["hx711_dout"], "in"), sim.Pin(sim.PINS["hx711_sck"], "out"), sim.clock)
        e = raises(SensorError, hx.tare)
        hx.last_ok = sim.clock.ticks_ms() - 10000
        e = raises(SensorError, hx.read)
        assert "DOUT" in str(e)
    finally:
        sim._FAULT = ""


def test_imu_rotation_and_absence():
    sim.trace = _Row(50.0, 90.0)
    imu = MPU6050(sim.I2C(4, 5))
    g = imu.gyro_dps()
    assert abs(g[0] - 90) < 0.1 and abs(g[2] + 90) < 0.1, g
    sim._FAULT = "imu_gone"
    try:
        raises(SensorError, imu.gyro_dps)
        raises(SensorError, MPU6050, sim.I2C(4, 5))
    finally:
        sim._FAULT = ""


def test_trace_keeps_time_past_the_ticks_wrap():
    # ticks differences are valid only within 2^29 us (~9 min): the trace must
    # count its rows step by step, not from its start time
    import struct
    from fakes import VirtualClock
    with open("t.bsim", "wb") as f:
        f.write(sim.trace_header(10, 1))
        for i in range(20000):  # 2000 s at 10 rows a second
            f.write(struct.pack("<f", float(i)))
    old = sim.clock
    sim.clock = VirtualClock()
    try:
        tr = sim._Trace("t.bsim")
        for _ in range(1200):  # 1200 s in 1 s steps
            sim.clock.sleep_us(1000000)
            tr.now()
        assert tr.now()[0] == 12000.0
        for _ in range(900):  # past the end: the last row holds
            sim.clock.sleep_us(1000000)
            tr.now()
        assert tr.now()[0] == 19990.0  # the last row it reached (1 s steps skip rows)
    finally:
        sim.clock = old
