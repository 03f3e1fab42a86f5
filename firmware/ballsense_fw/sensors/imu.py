# MPU-6050 gyro over I2C (register map rev 4.2). Only rotation is used: a
# rolling ball turns, a held one does not.
from . import SensorError

ADDR = 0x68
WHO_AM_I = 0x75
PWR_MGMT_1 = 0x6B
GYRO_CONFIG = 0x1B
GYRO_XOUT_H = 0x43
LSB_PER_DPS = 65.5  # +-500 dps full scale


class MPU6050:
    def __init__(self, i2c, addr=ADDR):
        self.i2c = i2c
        self.addr = addr
        self.start()

    def start(self):
        try:
            who = self.i2c.readfrom_mem(self.addr, WHO_AM_I, 1)[0]
            if who != 0x68:
                raise SensorError("I2C device at 0x%02x is not an MPU-6050 (WHO_AM_I 0x%02x)" % (self.addr, who))
            self.i2c.writeto_mem(self.addr, PWR_MGMT_1, b"\x00")   # wake, internal clock
            self.i2c.writeto_mem(self.addr, GYRO_CONFIG, b"\x08")  # +-500 dps
        except OSError as e:
            raise SensorError("MPU-6050 not answering on I2C (%s): check SDA/SCL and power" % e)

    def gyro_dps(self):
        try:
            b = self.i2c.readfrom_mem(self.addr, GYRO_XOUT_H, 6)
        except OSError as e:
            raise SensorError("MPU-6050 stopped answering (%s)" % e)
        out = []
        for i in (0, 2, 4):
            v = (b[i] << 8) | b[i + 1]
            if v & 0x8000:
                v -= 0x10000
            out.append(v / LSB_PER_DPS)
        return out
