import tensorflow as tf


def main() -> None:
    dataset = tf.data.Dataset.range(16).shuffle(16)
    order = []
    for element in dataset:
        order.append(int(element))
    print(order)


if __name__ == "__main__":
    main()
