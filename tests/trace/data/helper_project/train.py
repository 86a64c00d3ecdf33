import tensorflow as tf
from augment import jitter


def main() -> None:
    print(jitter(tf.zeros([4])).numpy().tolist())


if __name__ == "__main__":
    main()
