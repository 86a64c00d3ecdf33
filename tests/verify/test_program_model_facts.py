"""Facts the program model (issue 11) relies on, measured with TensorFlow CPU in fresh processes.

docs/program-model.md records them with the figures of a run.
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
import hashlib, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf

def digest(x):
    return hashlib.sha256(np.asarray(x).tobytes()).hexdigest()[:16]
"""


def _run(body: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "TF_DETERMINISTIC_OPS")}
    proc = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(body)], capture_output=True,
                          text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def _twice(body: str) -> tuple[str, str]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(_run, [body, body])
    return first, second


def test_a_graph_the_library_builds_does_not_see_the_default_graph_seed() -> None:
    """An Estimator builds its model in `with tf.Graph().as_default():` and seeds it only from
    `RunConfig(tf_random_seed=)`: `set_random_seed` on the default graph does not reach a new graph."""
    body = """
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    v1.set_random_seed(1)  # the default graph's seed
    outputs = []
    for graph_seed in (None, 7):
        with tf.Graph().as_default() as g:  # what Estimator.train does
            if graph_seed is not None:
                v1.set_random_seed(graph_seed)  # what RunConfig(tf_random_seed=7) does
            x = v1.random_normal([16])
            with v1.Session(graph=g) as sess:
                outputs.append(digest(sess.run(x)))
    print(*outputs)
    """
    first, second = (line.split() for line in _twice(body))
    assert first[0] != second[0]  # new graph, default-graph seed only: differs per process
    assert first[1] == second[1]  # the graph's own seed: identical


def test_deterministic_random_test_tool_scope_seeds_unseeded_ops() -> None:
    """Inside `DeterministicRandomTestTool().scope()` unseeded random ops give the same values in
    every process (the TF migration guide's validate_correctness notebook relies on it)."""
    # With Keras 3, tf.compat.v1.keras is tf_keras's v1 API. tf_keras is not in the `verify` extra: it
    # requires the full `tensorflow` wheel next to tensorflow-cpu. Measured here with tf-keras 2.21.
    pytest.importorskip("tf_keras")
    body = """
    from tf_keras.api._v1.keras.utils import DeterministicRandomTestTool
    tool = DeterministicRandomTestTool()
    with tool.scope():
        print(digest(tf.random.uniform([16])))
    """
    first, second = _twice(body)
    assert first == second


def test_dense_with_seeded_initializer_is_identical_without_a_global_seed() -> None:
    """Keras 3 `Dense(kernel_initializer=GlorotUniform(seed=1))` builds identical weights in two
    processes with no global seed (bias is zeros): the layer draws nothing unseeded."""
    body = """
    import keras
    layer = keras.layers.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    layer.build((None, 4))
    unseeded = keras.layers.Dense(8)
    unseeded.build((None, 4))
    print(digest(layer.kernel.numpy()), digest(unseeded.kernel.numpy()))
    """
    first, second = (line.split() for line in _twice(body))
    assert first[0] == second[0]
    assert first[1] != second[1]


def test_get_variable_default_initializer_draws_from_the_graph_seed() -> None:
    """TF1 layers (tf.layers.dense, tf.contrib.layers) create their kernels with get_variable and no
    initializer: the default (glorot_uniform) draws from the graph seed, so an unseeded graph gives
    other weights in every process and a graph seed makes them identical (rules/apis/rng.toml)."""
    body = """
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    outputs = []
    for graph_seed in (None, 7):
        with tf.Graph().as_default() as g:
            if graph_seed is not None:
                v1.set_random_seed(graph_seed)
            w = v1.get_variable("kernel", [4, 4])
            with v1.Session(graph=g) as sess:
                sess.run(v1.global_variables_initializer())
                outputs.append(digest(sess.run(w)))
    print(*outputs)
    """
    first, second = (line.split() for line in _twice(body))
    assert first[0] != second[0]  # no seed: differs per process
    assert first[1] == second[1]  # the graph's seed: identical
