# A board module says where things are wired (PINS) and hands out the
# machine-level objects (ADC, Pin, I2C, clock). Everything above them is the
# same code on every board, the emulated one included.


def load(name):
    if name == "sim":
        from . import sim as b
    elif name == "xiao_esp32c3":
        from . import xiao_esp32c3 as b
    elif name == "pico_w":
        from . import pico_w as b
    else:
        raise ValueError("unknown board %r (sim, xiao_esp32c3, pico_w)" % name)
    return b


from ..sensors import SensorError


def make_sensor(board, cfg):
    """The force sensor named in the config, on this board's pins."""
    p = board.PINS
    if cfg["sensor"] == "hx711":
        from ..sensors.hx711 import HX711
        s = HX711(board.Pin(p["hx711_dout"], "in"), board.Pin(p["hx711_sck"], "out"),
                  board.clock, sps=board.HX711_SPS, shift=cfg["hx711_shift"])
        try:
            s.tare()
        except SensorError:
            pass  # the ball still boots: every read retries and status reports the fault
        return s
    from ..sensors.fsr import FSR
    return FSR(board.ADC(p["fsr_adc"]), board.VREF_UV)


def make_imu(board):
    from ..sensors.imu import MPU6050
    p = board.PINS
    return MPU6050(board.I2C(p["i2c_sda"], p["i2c_scl"]))
