# Raspberry Pi Pico W. Pin numbers are GPIOs (GPn). The Pico W measures VSYS/3
# on ADC3 (GPIO29), shared with the radio's SPI clock: read it only with the
# radio idle, which machine.ADC(29) handles on current MicroPython.
import time as clock

NAME = "pico_w"
BOARD_ID = 2
PINS = {
    "fsr_adc": 26,      # GP26, ADC0
    "battery_adc": 29,  # ADC3: VSYS / 3
    "hx711_dout": 16,
    "hx711_sck": 17,
    "i2c_sda": 4,       # I2C0
    "i2c_scl": 5,
    "motor": 15,
    "led": 14,
}
VREF_UV = 3300000
FSR_DIVIDER_OHMS = 330
BATTERY_DIVIDER = 3
HX711_SPS = 80


def ADC(pin):
    import machine
    return machine.ADC(pin)  # no read_uv on the RP2040 port: read_u16 is used


def Pin(pin, mode):
    import machine
    return machine.Pin(pin, machine.Pin.IN if mode == "in" else machine.Pin.OUT)


def I2C(sda, scl):
    import machine
    return machine.I2C(0, sda=machine.Pin(sda), scl=machine.Pin(scl), freq=400000)


def battery_pct():
    from .xiao_esp32c3 import lipo_pct
    v = ADC(PINS["battery_adc"]).read_u16() * VREF_UV // 65535 * BATTERY_DIVIDER
    return lipo_pct(v)
