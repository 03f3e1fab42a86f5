"""A private D-Bus system bus for the emulated BlueZ: its own dbus-daemon with
its own config file and socket in a temporary folder, so nothing touches the
machine's buses. bleak finds it through DBUS_SYSTEM_BUS_ADDRESS."""
import os
import shutil
import subprocess
from pathlib import Path

from ..errors import UserError
from .process import end

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class DBusDaemon:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.proc = None
        self.address = None

    def start(self):
        exe = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"
        if not os.path.exists(exe):
            raise UserError("the emulated Bluetooth needs dbus-daemon: install the dbus package")
        conf = self.folder / "bus.conf"
        conf.write_text(_CONFIG.format(sock=self.folder / "system_bus_socket"))
        self.proc = subprocess.Popen([exe, f"--config-file={conf}", "--nofork", "--print-address"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()  # printed once the socket listens
        if not line:
            self.stop()
            raise UserError("dbus-daemon did not start (private bus for the emulated Bluetooth)")
        self.address = line.split(",")[0]
        return self.address

    def stop(self):
        if self.proc is None:
            return
        end(self.proc)
        self.proc.stdout.close()
        self.proc = None
