# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import keras

_cls = getattr(keras.initializers, API.rsplit(".", 1)[-1], keras.initializers.GlorotUniform)
_seed = arg("seed", None, nonliteral=1234)


def run():
    return _cls(seed=_seed)((16, 16))
