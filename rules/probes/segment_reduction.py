# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_name = API.rsplit(".", 1)[-1]
_fn = getattr(tf.math, _name, tf.math.unsorted_segment_sum)
_data = tf.constant(RNG.rand(10**6).astype(np.float32) + 0.5)
_ids = RNG.randint(0, 100, 10**6).astype(np.int32)
# Sorted segment ops need sorted ids.
_ids = tf.constant(_ids if _name.startswith("unsorted_") else np.sort(_ids))


def run():
    if _name.startswith("unsorted_"):
        return _fn(_data, _ids, num_segments=100)
    return _fn(_data, _ids)
