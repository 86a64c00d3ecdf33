# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
_images = tf.constant(RNG.rand(8, 128, 128, 3).astype(np.float32))


def run():
    return tf.image.adjust_contrast(_images, 1.7)
