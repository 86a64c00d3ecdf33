"""The cyclic collector is paused while a file is analysed, and left as it was found."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfdetlint.engine import check_bytes, collector_paused
from tfdetlint.options import Options

ROOT = Path(__file__).resolve().parent.parent


def test_paused_while_analysing_and_restored_after_nesting_and_errors() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer file is still being analysed
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_host_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_checking_leaves_the_collector_on() -> None:
    found = check_bytes(b"import tensorflow as tf\ntf.random.normal([2])\n", "t.py", Options(force_script=True))
    assert "TFD101" in [f.code for f in found]
    assert gc.isenabled()


def test_the_console_script_flushes_its_report_before_leaving(tmp_path: Path) -> None:
    """The entry point ends the process without the interpreter's teardown; every line of the
    report (more than a pipe buffer holds) must still arrive, with the exit code."""
    body = "import tensorflow as tf\n" + "tf.random.normal([2])\n" * 3000
    (tmp_path / "many.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tfdetlint", "check", "--no-cache", "--isolated", "--script",
                          "--select", "TFD101", "many.py"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert sum(" TFD101 " in line for line in out.stdout.splitlines()) == 3000
    assert "Found 3000 findings." in out.stdout
