import time

import tensorflow as tf


def uneven(x):
    time.sleep(0.002 * (int(x) % 4))  # some elements take longer than others
    return x


def main() -> None:
    dataset = tf.data.Dataset.range(40).map(
        lambda x: tf.py_function(uneven, [x], tf.int64), num_parallel_calls=4, deterministic=False
    )
    print([int(v) for v in dataset])


if __name__ == "__main__":
    main()
