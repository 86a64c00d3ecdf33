"""A tf.data input pipeline: parallel stages, shuffles and augmentation."""

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def augment(image):
    image = tf.image.random_flip_left_right(image)
    return image + tf.random.normal(tf.shape(image), stddev=0.01)


def make_dataset(pattern):
    files = tf.data.Dataset.list_files(pattern)
    ds = files.interleave(tf.data.TFRecordDataset, cycle_length=4,
                          num_parallel_calls=AUTOTUNE, deterministic=False)
    ds = ds.shuffle(10_000)
    ds = ds.map(augment, num_parallel_calls=AUTOTUNE)  # order kept: only the random ops are a hazard
    return ds.batch(32).prefetch(AUTOTUNE)


if __name__ == "__main__":
    for batch in make_dataset("data/*.tfrecord").take(1):
        print(batch.shape)
