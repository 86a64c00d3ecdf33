"""Shared helpers for the integration tests: they run the real tools in subprocesses.

The subprocesses use ``sys.executable``, so they see the tfdetlint installed in the test
environment (its flake8 entry point included), never whatever happens to be on PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Hazards of several families, plus the places where two front ends could disagree: a `# noqa`,
# a non-ASCII character before a call (character vs byte columns), a multi-line call.
TRAIN = '''\
import keras
import tensorflow as tf

x = tf.random.normal([3])
ds = tf.data.Dataset.range(10).shuffle(10)
ds = ds.map(lambda v: v, num_parallel_calls=4, deterministic=False)
y = tf.random.uniform([2])  # noqa: TFD101
größe = 3; z = tf.random.uniform([größe])
layer = keras.layers.Dropout(0.5)
w = tf.random.truncated_normal(
    [2, 2],
)

if __name__ == "__main__":
    model = keras.Sequential([layer])
'''

LIBRARY = '''\
import tensorflow as tf


def pipeline(ds):
    ds = ds.interleave(tf.data.TFRecordDataset, num_parallel_calls=4, deterministic=False)
    return tf.math.unsorted_segment_sum(ds, [0], 1)
'''

CLEAN = '''\
import tensorflow as tf

tf.random.set_seed(1)
x = tf.random.normal([3], seed=2)
'''

# Latin-1 with a coding cookie: flake8 decodes it before the plugin sees it; columns must agree.
LATIN1 = (
    b"# -*- coding: latin-1 -*-\n"
    b"import tensorflow as tf\n"
    b"\xe9t\xe9 = 1; x = tf.random.normal([3])  # \xe9\n"
    b"if __name__ == '__main__':\n"
    b"    pass\n"
)

# CRLF line endings: flake8 reads with universal newlines, the command line keeps the bytes.
CRLF = b"import tensorflow as tf\r\nds = tf.data.Dataset.range(3).shuffle(3)\r\nif __name__ == '__main__':\r\n    pass\r\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the fixture files and configuration files that stop the upward searches."""
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "pipeline.py").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "latin.py").write_bytes(LATIN1)
    (tmp_path / "crlf.py").write_bytes(CRLF)
    # An empty [tool.tfdetlint] is "found" and so ends tfdetlint's search for a pyproject.toml;
    # a .flake8 ends flake8's search for its configuration.
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\n", encoding="utf-8")
    (tmp_path / ".flake8").write_text("[flake8]\n", encoding="utf-8")
    return tmp_path


FILES = ("train.py", "pipeline.py", "clean.py", "latin.py", "crlf.py")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TFDETLINT_", "PRE_COMMIT", "GIT_"))}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, encoding="utf-8", timeout=timeout
    )


def tfdetlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "tfdetlint", *args], cwd)


def cli_findings(*args: str, cwd: Path) -> list[dict[str, Any]]:
    proc = tfdetlint("check", "--format", "json", "--no-cache", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data
