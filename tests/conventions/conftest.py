"""Helpers for the ruff-conventions tests: run the command in-process, in a folder."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tfdetlint.cli import main

ROOT = Path(__file__).resolve().parents[2]
HAZARD = 'import tensorflow as tf\nif __name__ == "__main__":\n    tf.random.normal([1])\n'
SHUFFLE = 'import tensorflow as tf\nif __name__ == "__main__":\n    ds = tf.data.Dataset.range(3).shuffle(3)\n'
LIBRARY = "import tensorflow as tf\n\n\ndef noise():\n    return tf.random.normal([1])\n"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def tfd(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``tfd(folder, *args, stdin=b"")``: run tfdetlint in ``folder``; exit code, stdout, stderr."""

    def run(folder: Path, *args: str, stdin: bytes | None = None) -> Result:
        monkeypatch.chdir(folder)
        for name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main([*args, "--no-cache"] if "--no-cache" not in args and args[:1] != ("rules",) else list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def subprocess_run(folder: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update({"PYTHONPATH": str(ROOT)}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "tfdetlint", *args], cwd=folder, input=stdin, env=environment,
                          capture_output=True, timeout=120)
