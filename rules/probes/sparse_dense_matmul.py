# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_n = 200_000
_idx = np.unique(RNG.randint(0, 1000 * 1000, _n))
_sp = tf.sparse.SparseTensor(
    indices=np.stack([_idx // 1000, _idx % 1000], axis=1).astype(np.int64),
    values=RNG.rand(len(_idx)).astype(np.float32), dense_shape=[1000, 1000],
)
_dense = tf.constant(RNG.rand(1000, 64).astype(np.float32))


def run():
    return tf.sparse.sparse_dense_matmul(_sp, _dense)
