# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import random
import time

_det = arg("deterministic", None, nonliteral=None)
_npc = arg("num_parallel_calls", tf.data.AUTOTUNE, nonliteral=tf.data.AUTOTUNE)
if _npc is None:
    _npc = tf.data.AUTOTUNE


def _slow(x):
    # Data-dependent work plus jitter: completion order then varies from run to run, which is
    # what exposes an order that depends on timing.
    time.sleep(0.001 * (int(x) % 4) + random.uniform(0.0, 0.002))
    return x


def _f(x):
    return tf.py_function(_slow, [x], tf.int64)


def run():
    ds = tf.data.Dataset.range(48)
    if API.endswith(".interleave"):
        ds = ds.interleave(
            lambda x: tf.data.Dataset.from_tensors(x).map(_f),
            cycle_length=4, num_parallel_calls=_npc, deterministic=_det,
        )
    else:
        ds = ds.map(_f, num_parallel_calls=_npc, deterministic=_det)
    return np.fromiter(ds.as_numpy_iterator(), np.int64)
