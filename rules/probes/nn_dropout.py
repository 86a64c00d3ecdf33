# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_seed = arg("seed", None, nonliteral=1234)
_rate = arg("rate", 0.5, nonliteral=0.5)
_x = tf.ones([256])


def run():
    return tf.nn.dropout(_x, rate=_rate, seed=_seed)
