# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_image = tf.constant(RNG.rand(4, 64, 64, 3).astype(np.float32))
_corner = RNG.rand(512, 2).astype(np.float32) * 0.5
# Many large overlapping boxes: threads accumulate into the same image pixels.
_boxes = tf.constant(np.concatenate([_corner, _corner + 0.5], axis=1))
_box_indices = tf.constant(RNG.randint(0, 4, 512).astype(np.int32))
_upstream = tf.constant(RNG.rand(512, 32, 32, 3).astype(np.float32))


def run():
    with tf.GradientTape() as tape:
        tape.watch(_image)
        crops = tf.image.crop_and_resize(_image, _boxes, _box_indices, [32, 32])
        loss = tf.reduce_sum(crops * _upstream)
    return tape.gradient(loss, _image)
