"""Helpers shared by the hardening tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

# A script with one real hazard: its TFD101 at line 3, column 15 must survive any bad neighbour.
GOOD = b'import tensorflow as tf\nif __name__ == "__main__":\n    tf.random.normal([1])\n'


def cli(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tfdetlint`` from this checkout (not whatever is installed)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "tfdetlint", *args],
        cwd=cwd, env=env, capture_output=True, timeout=timeout,
        text=True, encoding="utf-8", errors="surrogateescape",
    )


def cli_json(cwd: Path, *args: str, timeout: float = 300) -> tuple[int, list[dict[str, Any]], str]:
    """(exit code, findings as dicts, stderr) of ``check --format json --isolated``."""
    done = cli(cwd, "check", "--format", "json", "--isolated", *args, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    try:
        findings = json.loads(done.stdout) if done.stdout.strip() else []
    except json.JSONDecodeError:
        pytest.fail(f"not JSON (rc={done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.returncode, findings, done.stderr


def assert_good_reported(findings: list[dict[str, Any]], name: str = "good.py") -> None:
    hits = [f for f in findings if Path(f["path"]).name == name and f["code"] == "TFD101"]
    assert hits, f"the hazard in {name} was lost: {findings}"
    assert (hits[0]["line"], hits[0]["column"]) == (3, 15)


def of(findings: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [f for f in findings if Path(f["path"]).name == name]
