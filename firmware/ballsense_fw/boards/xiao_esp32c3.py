# Seeed Studio XIAO ESP32-C3, the reference board. Pin numbers are GPIOs; the
# XIAO's silk-screen label is in the comment. hardware/ draws from this table.
# The FSR and the battery sense sit on ADC1 (GPIO0-4): ADC2 (GPIO5) cannot be
# read while the radio is on. The FSR divider (330 ohm to ground) would hold
# a strapping pin low at reset, so it is not on GPIO2.
import time as clock

NAME = "xiao_esp32c3"
BOARD_ID = 1
PINS = {
    "fsr_adc": 4,      # D2, ADC1_CH4: FSR divider midpoint
    "battery_adc": 3,  # D1, ADC1_CH3: LiPo through a 2 x 220k divider
    "hx711_dout": 2,   # D0: a strapping pin that must read high at reset; the
                       # HX711 idles its DOUT high, plus a 10k pull-up
    "hx711_sck": 5,    # D3 (digital use only; it is ADC2)
    "i2c_sda": 6,      # D4
    "i2c_scl": 7,      # D5
    "motor": 20,       # D7 (RX): vibration motor driver transistor
    "led": 21,         # D6 (TX): boot messages flicker the LED, not the motor
}
VREF_UV = 3300000
FSR_DIVIDER_OHMS = 330
BATTERY_DIVIDER = 2
HX711_SPS = 80


def ADC(pin):
    import machine
    a = machine.ADC(machine.Pin(pin))
    a.atten(machine.ADC.ATTN_11DB)  # full 0-3.3 V span
    return a


def Pin(pin, mode):
    import machine
    return machine.Pin(pin, machine.Pin.IN if mode == "in" else machine.Pin.OUT)


def I2C(sda, scl):
    import machine
    return machine.I2C(0, sda=machine.Pin(sda), scl=machine.Pin(scl), freq=400000)


def battery_pct():
    uv = ADC(PINS["battery_adc"]).read_uv() * BATTERY_DIVIDER
    return lipo_pct(uv)


def lipo_pct(uv):
    # Linear between 3.3 V (empty under load) and 4.15 V (full): coarse on purpose.
    pct = (uv - 3300000) * 100 // 850000
    return 0 if pct < 0 else (100 if pct > 100 else pct)
