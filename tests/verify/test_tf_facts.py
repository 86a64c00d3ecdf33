"""Direct checks of facts in ../shared/tf-determinism.md that the verifier's probes rely on.

Each case runs in fresh subprocesses (seed state is per process); each docstring names the
section of the facts file it re-measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")

_PRELUDE = """
import hashlib, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf
if "--det" in sys.argv:
    tf.config.experimental.enable_op_determinism()

def digest(x):
    return hashlib.sha256(np.asarray(x).tobytes()).hexdigest()[:16]
"""


def _run(body: str, *flags: str) -> str:
    """Run ``body`` in a fresh interpreter; returns its last stdout line (or the exception)."""
    program = _PRELUDE + textwrap.dedent(body)
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "TF_DETERMINISTIC_OPS")
    }
    proc = subprocess.run(
        [sys.executable, "-c", program, *flags],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def _run_many(body: str, flag_sets: list[tuple[str, ...]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda flags: _run(body, *flags), flag_sets))


def test_global_generator_not_seeded_by_set_seed() -> None:
    """(c) `tf.random.get_global_generator()` even after `tf.random.set_seed(1)` differs between
    processes; with `enable_op_determinism()` it raises RuntimeError."""
    body = """
    tf.random.set_seed(1)
    try:
        print(digest(tf.random.get_global_generator().normal([64])))
    except RuntimeError as exc:
        print("RuntimeError", "set_global_generator" in str(exc))
    """
    first, second, det = _run_many(body, [(), (), ("--det",)])
    assert first != second
    assert det == "RuntimeError True"


def test_keras_unseeded_layers_follow_python_random() -> None:
    """(c) Keras 3 unseeded layers follow Python's `random` seed: `random.seed(1)` alone makes
    GlorotUniform identical; `tf.random.set_seed(1)` alone does not."""
    body = """
    import random
    import keras
    random.seed(1)
    a = digest(keras.initializers.GlorotUniform()((8, 8)))
    random.seed(int.from_bytes(os.urandom(8), "little"))  # undo: a fresh unseeded program
    tf.random.set_seed(1)
    b = digest(keras.initializers.GlorotUniform()((8, 8)))
    print(a, b)
    """
    first, second = (line.split() for line in _run_many(body, [(), ()]))
    assert first[0] == second[0]  # random.seed(1) alone: identical
    assert first[1] != second[1]  # tf.random.set_seed(1) alone: differs


def test_parallel_map_keeps_order_by_default() -> None:
    """(c) `map(num_parallel_calls=AUTOTUNE)` keeps order by default (deterministic=None), even
    when elements finish out of order; `deterministic=False` does not keep it."""
    body = """
    import random, time
    def slow(x):
        time.sleep(0.001 * (int(x) % 4) + random.uniform(0, 0.002))
        return x
    f = lambda x: tf.py_function(slow, [x], tf.int64)
    ds = tf.data.Dataset.range(48)
    default = [int(v) for v in ds.map(f, num_parallel_calls=tf.data.AUTOTUNE)]
    sloppy = [[int(v) for v in ds.map(f, num_parallel_calls=tf.data.AUTOTUNE,
                                      deterministic=False)] for _ in range(3)]
    print(default == list(range(48)), any(s != list(range(48)) for s in sloppy))
    """
    for line in _run_many(body, [(), ()]):
        assert line == "True True"


def test_deterministic_ops_env_var_is_op_determinism() -> None:
    """(a) Legacy env vars: with `TF_DETERMINISTIC_OPS=1` in 2.21, unseeded `tf.random.normal`
    raises RuntimeError, as after `enable_op_determinism()`."""
    body = """
    try:
        tf.random.normal([2])
        print("no raise")
    except RuntimeError:
        print("RuntimeError")
    """
    program = _PRELUDE + textwrap.dedent(body)
    proc = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "TF_DETERMINISTIC_OPS": "1"},
    )
    assert proc.stdout.strip().splitlines()[-1] == "RuntimeError", proc.stderr[-2000:]
