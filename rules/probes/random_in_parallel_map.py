# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import random
import time

_interleave = arg("in", "", nonliteral="").endswith(".interleave")


def _jitter(x):
    time.sleep(random.uniform(0.0, 0.002))
    return x


def _draw():
    if API.endswith(".normal"):
        return tf.random.normal([])
    if API.endswith(".Generator.uniform") or API.endswith(".Generator.normal"):
        return tf.random.Generator.from_seed(1).uniform([])
    return tf.random.uniform([])


def _f(x):
    # The random draw waits for per-element work, so draws happen in completion order.
    y = tf.py_function(_jitter, [x], tf.int64)
    with tf.control_dependencies([y]):
        return x, _draw()


def run():
    # A program that does seed TensorFlow: the hazard is the element -> value assignment.
    tf.random.set_seed(1)
    ds = tf.data.Dataset.range(32)
    if _interleave:
        ds = ds.interleave(lambda x: tf.data.Dataset.from_tensors(x).map(_f),
                           cycle_length=4, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(_f, num_parallel_calls=tf.data.AUTOTUNE)
    pairs = sorted((int(k), float(v)) for k, v in ds.as_numpy_iterator())
    return np.array([v for _, v in pairs], np.float32)
