import tensorflow as tf


def main() -> None:
    noise = tf.random.normal([4])
    print(float(tf.reduce_sum(noise)))


if __name__ == "__main__":
    main()
