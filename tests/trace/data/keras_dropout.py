import keras
import numpy as np


def main() -> None:
    inputs = np.ones((2, 8), dtype="float32")
    dropout = keras.layers.Dropout(0.5)
    print(dropout(inputs, training=True).numpy().tolist())


if __name__ == "__main__":
    main()
