# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_arr = tf.constant(RNG.randint(0, 100, 10**6).astype(np.int32))
_weights = tf.constant(RNG.rand(10**6).astype(np.float32)) if given("weights") else None


def run():
    return tf.math.bincount(_arr, weights=_weights, minlength=100)
