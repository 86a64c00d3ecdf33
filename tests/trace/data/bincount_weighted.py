import numpy as np
import tensorflow as tf


def main() -> None:
    tf.config.threading.set_intra_op_parallelism_threads(8)  # more threads than cores: more races
    rng = np.random.RandomState(0)
    values = tf.constant(rng.randint(0, 100, 10**6).astype(np.int32))
    weights = tf.constant(rng.rand(10**6).astype(np.float32))
    for _ in range(2):
        totals = tf.math.bincount(values, weights=weights, minlength=100)
        print(totals.numpy()[:4].tolist())


if __name__ == "__main__":
    main()
