# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_indices = tf.constant(RNG.randint(0, 100, (10**6, 1)).astype(np.int32))
_updates = tf.constant(RNG.rand(10**6).astype(np.float32))


def run():
    if API.endswith("tensor_scatter_nd_add"):
        return tf.tensor_scatter_nd_add(tf.zeros([100]), _indices, _updates)
    return tf.scatter_nd(_indices, _updates, [100])
