import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
VECTORS = ROOT / "tests" / "vectors" / "frames.json"
BIN = Path(sys.executable).parent


def tool(name):
    """A command installed with the project (the venv's bin first)."""
    p = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not p:
        pytest.fail(f"{name} is not installed: run `make test` (it installs the test extras)")
    return p


@pytest.fixture(scope="session")
def micropython():
    return tool("micropython")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path
