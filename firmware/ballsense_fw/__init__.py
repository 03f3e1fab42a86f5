# ballsense firmware. Everything here runs unchanged on a real ball, on the
# MicroPython Unix port (with boards/sim.py standing in for the sensor), and on
# CPython where no MicroPython build exists.
VERSION = (0, 1, 0)
