# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_seed = arg("seed", None, nonliteral=1234)
_reshuffle = arg("reshuffle_each_iteration", None, nonliteral=None)


def run():
    ds = tf.data.Dataset.range(64).shuffle(64, seed=_seed, reshuffle_each_iteration=_reshuffle)
    # Two epochs: reshuffling per epoch is part of what a training run sees.
    return [np.fromiter(ds.as_numpy_iterator(), np.int64) for _ in range(2)]
