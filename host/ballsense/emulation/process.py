"""Ending the emulation's child processes (ball, dbus-daemon, BlueZ) politely,
then firmly."""
import subprocess


def end(proc, grace_s=3.0):
    """Terminate, wait up to grace_s, then kill. Safe on a finished process."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
