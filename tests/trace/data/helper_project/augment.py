import tensorflow as tf


def jitter(x):
    return x + tf.random.normal(tf.shape(x))
