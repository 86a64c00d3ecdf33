# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
import os

for _i in range(24):
    open(os.path.join(WORKDIR, f"part-{_i:02d}.txt"), "w").close()
_shuffle = arg("shuffle", None, nonliteral=True)
_seed = arg("seed", None, nonliteral=1234)


def run():
    ds = tf.data.Dataset.list_files(os.path.join(WORKDIR, "*.txt"), shuffle=_shuffle, seed=_seed)
    names = [os.path.basename(p.decode()) for p in ds.as_numpy_iterator()]
    return np.array([int(n[5:7]) for n in names], np.int64)
