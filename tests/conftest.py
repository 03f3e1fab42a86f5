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


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory):
    """Data and config folders of a fresh user (no profile, no sessions),
    one per test module that asks for them."""
    d = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(d / "data"))
        mp.setenv("XDG_CONFIG_HOME", str(d / "config"))
        yield d


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(args, cwd=None, env=None):
    """`ballsense ARGS` in this process, as a subprocess would run it: -> an
    object with returncode, stdout and stderr. For tests where the process
    itself is not the point (it saves the interpreter's start-up each time)."""
    import contextlib
    import io
    import types

    from ballsense import cli
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        if cwd is not None:
            mp.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as e:  # argparse's own errors
                code = e.code
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
