"""Wiring diagram of the ball, drawn from the firmware's board file.

The GPIO numbers and divider values are imported from
firmware/ballsense_fw/boards/<board>.py (PINS, FSR_DIVIDER_OHMS,
BATTERY_DIVIDER): the firmware is the one source of truth, this only draws it.
Nets are joined by name (a GPIO label on the board block and the same label on
the part), as on any schematic.

Run: .venv/bin/python hardware/draw_wiring.py      (writes hardware/*.svg)
"""
import importlib
import sys
from pathlib import Path

import schemdraw
import schemdraw.elements as elm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "firmware"))

# Silk-screen names of the GPIOs each board breaks out (from the boards'
# pinout sheets); used only for the label next to the GPIO number.
SILK = {
    "xiao_esp32c3": {2: "D0", 3: "D1", 4: "D2", 5: "D3", 6: "D4", 7: "D5", 21: "D6", 20: "D7"},
    "pico_w": {26: "GP26", 29: "ADC3", 16: "GP16", 17: "GP17", 4: "GP4", 5: "GP5", 15: "GP15", 14: "GP14"},
}
# The board's power pins: (pin name on the block, net it joins).
POWER_PINS = {
    "xiao_esp32c3": (("BAT+ (pad)", "BAT+"), ("BAT- (pad)", "GND"), ("3V3", "3V3"), ("GND", "GND")),
    "pico_w": (("VSYS (39)", "VSYS"), ("GND (38)", "GND"), ("3V3_OUT (36)", "3V3"), ("GND", "GND")),
}
SIGNALS = ("fsr_adc", "battery_adc", "hx711_dout", "hx711_sck", "i2c_sda", "i2c_scl", "motor", "led")


def board(name):
    return importlib.import_module(f"ballsense_fw.boards.{name}")


def net(pins, signal):
    return f"GPIO{pins[signal]}"


def ohms(r):
    return f"{r / 1000:g}k" if r >= 1000 else f"{r:g}"


def tag(d, at, text, left=False):
    """A net label: a stub ending in the net's name."""
    line = elm.Line().at(at).length(2.2 if left else 1.2)
    d += (line.left() if left else line.right()).label(
        text, loc="end", halign="right" if left else "left", fontsize=11, color="blue")


def mcu_block(d, name, b):
    silk = SILK.get(name, {})
    pins = [elm.IcPin(name=f"{net(b.PINS, s)} ({silk.get(b.PINS[s], '?')})  {s}", side="right", anchorname=s)
            for s in reversed(SIGNALS)]  # Ic lists a side bottom-up: first signal on top
    power = POWER_PINS[name]
    pins += [elm.IcPin(name=n, side="left", anchorname=f"p{i}") for i, (n, _) in reversed(list(enumerate(power)))]
    ic = elm.Ic(pins=pins, size=(11, 13), pinspacing=1.5)
    ic.label(name.replace("_", " ").upper(), loc="top", fontsize=14)
    d += ic.at((0, -12)).right()
    for s in SIGNALS:
        tag(d, ic.absanchors[s], net(b.PINS, s))
    for i, (_, netname) in enumerate(power):
        tag(d, ic.absanchors[f"p{i}"], netname, left=True)


def fsr_divider(d, x, y, b):
    d += elm.Vdd().at((x, y)).label("3V3")
    fsr = elm.ResistorVar().down().label("FSR 402\n(in the ball)", loc="bottom")
    d += fsr
    d += elm.Dot()
    tag(d, fsr.end, net(b.PINS, "fsr_adc") + "  fsr_adc")
    d += elm.Resistor().down().label(f"R_m {ohms(b.FSR_DIVIDER_OHMS)} Ω", loc="bottom")
    d += elm.Ground()
    d += elm.Label().at((x - 1, y + 1.2)).label("Force sensor (FSR build)", fontsize=12, halign="left")


def battery(d, x, y, name, b):
    d += elm.Label().at((x - 1, y + 1.2)).label("LiPo, switch, battery sense", fontsize=12, halign="left")
    d += elm.Battery().at((x, y - 6)).up().label("LiPo 3.7 V\n150-300 mAh\n(protected)", loc="bottom")
    d += elm.Line().up().length(0.5)
    d += elm.Switch().right().label("power switch\n(or reed switch)")
    top = d.here
    d += elm.Dot()
    d += elm.Line().at((x, y - 6)).down().length(0.5)
    d += elm.Ground()
    if name == "pico_w":
        # No charger on the Pico W, and its VSYS/3 divider to GPIO29 is on the board.
        tag(d, top, "to a LiPo charger board, then VSYS (Schottky OR with VBUS)")
        d += elm.Label().at((x, y - 8.5)).label(
            f"GPIO{b.PINS['battery_adc']} reads VSYS/{b.BATTERY_DIVIDER} through the Pico W's own divider",
            fontsize=10, halign="left")
        return
    tag(d, top, "BAT+")
    d += elm.Line().at(top).down().length(0.5)
    r1 = elm.Resistor().down().label("220k", loc="bottom")
    d += r1
    d += elm.Dot()
    tag(d, r1.end, net(b.PINS, "battery_adc") + f"  battery_adc (V/{b.BATTERY_DIVIDER})")
    d += elm.Resistor().down().label("220k", loc="bottom")
    d += elm.Ground()


def module(d, x, y, title, left, right):
    """A breakout board: labelled pins, each with a net tag."""
    pins = [elm.IcPin(name=n, side="left") for n, _ in reversed(left)] + \
        [elm.IcPin(name=n, side="right") for n in reversed(right)]
    ic = elm.Ic(pins=pins, size=(3.5, 1.2 * max(len(left), len(right)) + 0.6), pinspacing=1.2)
    ic.label(title, loc="top", fontsize=12)
    d += ic.at((x, y)).right()  # blocks follow the drawing's last direction otherwise
    for n, netname in left:
        tag(d, ic.absanchors[n], netname, left=True)


def motor_driver(d, x, y, b):
    d += elm.Label().at((x - 3, y + 1.2)).label("Vibration motor driver", fontsize=12, halign="left")
    d += elm.Vdd().at((x, y)).label("3V3")
    d += elm.Line().down().length(0.8)
    top = d.here
    d += elm.Dot()
    m = elm.Motor().down().label("coin motor\n3 V ~70 mA", loc="bottom")
    d += m
    d += elm.Dot()
    # flyback diode across the motor, cathode to the supply
    d += elm.Line().at(top).right().length(3)
    d += elm.Diode().down().reverse().label("1N4148\nflyback", loc="bottom")
    d += elm.Line().left().length(3)
    d += elm.Line().at(m.end).down().length(1)
    q = elm.BjtNpn(circle=True).right().anchor("collector").label("2N3904", loc="right")
    d += q
    d += elm.Ground().at(q.emitter)
    d += elm.Line().at(q.base).left().length(0.5)
    d += elm.Resistor().left().label("1k")
    base_in = d.here
    d += elm.Dot()
    tag(d, base_in, net(b.PINS, "motor") + "  motor", left=True)
    d += elm.Resistor().at(base_in).down().label("100k", loc="bottom")
    d += elm.Ground()


def led(d, x, y, b):
    d += elm.Label().at((x - 3, y + 1.2)).label("Status LED", fontsize=12, halign="left")
    tag(d, (x, y), net(b.PINS, "led") + "  led", left=True)
    d += elm.Resistor().at((x, y)).right().label("1k")
    d += elm.LED().down().label("LED", loc="bottom")
    d += elm.Ground()


def draw(name="xiao_esp32c3"):
    b = board(name)
    with schemdraw.Drawing(show=False) as d:
        d.config(fontsize=10, unit=2.5)
        mcu_block(d, name, b)
        fsr_divider(d, 20, 2, b)
        battery(d, 33, 2, name, b)
        module(d, 19, -18, "HX711 board (load-cell build)",
               [("VCC", "3V3"), ("GND", "GND"), ("DT", net(b.PINS, "hx711_dout")),
                ("SCK", net(b.PINS, "hx711_sck"))], ["E+", "E-", "A-", "A+"])
        d += elm.Label().at((19, -25)).label("E+ red, E- black, A- white, A+ green:\nthe load cell's usual colours",
                                            fontsize=10, halign="left")
        module(d, 34, -18, "MPU-6050 breakout (optional, I2C 0x68)",
               [("VCC", "3V3"), ("GND", "GND"), ("SDA", net(b.PINS, "i2c_sda")),
                ("SCL", net(b.PINS, "i2c_scl"))], ["AD0 (GND)"])
        motor_driver(d, 50, 2, b)
        led(d, 52, -16, b)
        d += elm.Label().at((0, -27)).label(
            f"Pins from firmware/ballsense_fw/boards/{name}.py; redraw with hardware/draw_wiring.py. "
            "Nets with the same blue name are connected.", fontsize=10, halign="left")
    return d


def main(names=("xiao_esp32c3", "pico_w")):
    schemdraw.use("svg")
    for n in names:
        out = HERE / f"wiring_{n}.svg"
        out.write_bytes(draw(n).get_imagedata("svg"))
        print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1:] or ("xiao_esp32c3", "pico_w"))
