# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import keras

_rate = arg("rate", 0.5, nonliteral=0.5)
_seed = arg("seed", None, nonliteral=1234)
_x = np.ones([256], np.float32)


def run():
    return keras.layers.Dropout(_rate, seed=_seed)(_x, training=True)
