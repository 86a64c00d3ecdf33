import tensorflow as tf


def main() -> None:
    tf.random.set_seed(7)
    dataset = tf.data.Dataset.range(8).shuffle(8)
    noise = tf.random.normal([3])
    print([int(x) for x in dataset], noise.numpy().tolist())


if __name__ == "__main__":
    main()
