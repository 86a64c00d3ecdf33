"""A small Keras training script with the usual reproducibility hazards (tfdetlint's demo)."""

import numpy as np
import tensorflow as tf
import keras
from sklearn.model_selection import train_test_split


def load_data():
    x = np.random.rand(1000, 28, 28).astype("float32")
    y = np.random.randint(0, 10, size=1000)
    return train_test_split(x, y, test_size=0.2)


def build_model():
    return keras.Sequential([
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])


def main():
    tf.random.set_seed(0)  # not enough: Keras 3 layers follow Python's random seed
    x_train, x_test, y_train, y_test = load_data()
    model = build_model()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=1, batch_size=64)
    print(model.evaluate(x_test, y_test))


if __name__ == "__main__":
    main()
