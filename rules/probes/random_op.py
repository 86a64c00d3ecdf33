# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_fn = {
    "tensorflow.random.normal": tf.random.normal,
    "tensorflow.random.uniform": tf.random.uniform,
    "tensorflow.random.truncated_normal": tf.random.truncated_normal,
}.get(API, tf.random.normal)
_seed = arg("seed", None, nonliteral=1234)


def run():
    return _fn([256], seed=_seed)
