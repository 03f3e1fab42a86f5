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


from .. import sensors


def make_sensor(board, cfg):
    """The force sensor named in the config, on this board's pins."""
    return sensors.module(cfg["sensor"]).make(board, cfg)


def make_imu(board):
    from ..sensors.imu import MPU6050
    p = board.PINS
    return MPU6050(board.I2C(p["i2c_sda"], p["i2c_scl"]))
