# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import random
import time

_det = arg("value", arg("deterministic", False, nonliteral=False), nonliteral=False)


def _slow(x):
    time.sleep(0.001 * (int(x) % 4) + random.uniform(0.0, 0.002))
    return x


def run():
    options = tf.data.Options()
    options.deterministic = _det
    ds = tf.data.Dataset.range(48).map(
        lambda x: tf.py_function(_slow, [x], tf.int64), num_parallel_calls=tf.data.AUTOTUNE
    )
    return np.fromiter(ds.with_options(options).as_numpy_iterator(), np.int64)
