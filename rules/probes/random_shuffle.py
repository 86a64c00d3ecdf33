# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_seed = arg("seed", None, nonliteral=1234)
_x = tf.range(256)


def run():
    return tf.random.shuffle(_x, seed=_seed)
