def register(sub):
    f = sub.add_parser("flash", help="install the firmware on a ball (verified, atomic)")
    f.add_argument("port", help="/dev/ttyACM0, serial://..., socket://HOST:PORT (any pyserial URL), or auto")
    f.add_argument("--name", help="the ball's name (1..20 bytes)")
    f.add_argument("--board", help="sim, xiao_esp32c3 or pico_w")
    f.add_argument("--config", metavar="FILE", help="JSON device settings (sensor, imu, rate_hz, threshold, ...)")
    f.add_argument("--micropython-image", metavar="FILE.bin",
                   help="first install MicroPython itself with esptool (ESP32 boards)")
    f.set_defaults(fn=run)


def run(a):
    from ..flash import flash
    flash(a.port, name=a.name, board=a.board, config_file=a.config, image=a.micropython_image)
