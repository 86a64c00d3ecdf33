import tensorflow as tf


@tf.function
def noisy(x):
    return x + tf.random.uniform([3])


def main() -> None:
    print(noisy(tf.zeros([3])).numpy().tolist())


if __name__ == "__main__":
    main()
