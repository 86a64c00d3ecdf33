# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_indices = tf.constant(RNG.randint(0, 100, 10**6).astype(np.int64))
_values = tf.constant(RNG.rand(10**6).astype(np.float32))


def run():
    v = tf.Variable(tf.zeros([100]))
    v.scatter_add(tf.IndexedSlices(_values, _indices))
    return v.read_value()
