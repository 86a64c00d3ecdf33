"""Generate a large, realistic training script with a few fixable findings (``--fix`` cost).

    python benchmarks/fix_large.py OUT.py [--lines 100000]

The file is a script (``if __name__ == "__main__":``) made of ordinary TensorFlow/Keras code
blocks (functions, a class, loops, comments, docstrings, a multi-line call) repeated with fresh
names, plus five hazards: an unseeded ``tf.random.normal``, an unseeded ``Dataset.shuffle``,
an unseeded ``Dropout`` layer, ``interleave(deterministic=False)`` and no global seed. Then
``/usr/bin/time -v tfdetlint check --isolated --no-cache --fix OUT.py`` (on a fresh copy).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HEAD = '''"""A long training program (generated for the --fix benchmark)."""

import os

import numpy as np
import tensorflow as tf
from tensorflow import keras

'''

BLOCK = '''

class Block{i}(keras.layers.Layer):
    """Residual block {i}: two dense layers and a skip connection."""

    def __init__(self, units: int = {units}, **kwargs):
        super().__init__(**kwargs)
        self.first = keras.layers.Dense(units, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed={i}))
        self.second = keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed={j}))

    def call(self, inputs, training=False):
        hidden = self.first(inputs)
        # the skip connection keeps the gradient flowing through deep stacks
        return inputs + self.second(hidden)


def preprocess_{i}(record, scale={scale}):
    features = tf.cast(record["x"], tf.float32) / scale
    label = tf.cast(record["y"], tf.int32)
    if features.shape.rank == 1:
        features = tf.expand_dims(features, 0)
    return features, label


def metrics_{i}(history, names=("loss", "accuracy")):
    summary = {{}}
    for name in names:
        values = [float(v) for v in history.get(name, [])]
        summary[name] = {{
            "first": values[0] if values else None,
            "last": values[-1] if values else None,
            "best": min(values) if values else None,
        }}
    return summary
'''

HAZARDS = '''

def make_noise(shape):
    return tf.random.normal(shape)


def make_dataset(paths):
    files = tf.data.Dataset.from_tensor_slices(paths)
    records = files.interleave(tf.data.TFRecordDataset, num_parallel_calls=4, deterministic=False)
    return records.shuffle(10_000).batch(32)


def make_model(units):
    inputs = keras.Input((units,))
    hidden = keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed=1))(inputs)
    hidden = keras.layers.Dropout(0.5)(hidden)
    return keras.Model(inputs, keras.layers.Dense(10, kernel_initializer=keras.initializers.GlorotUniform(seed=2))(hidden))
'''

MAIN = '''

def main():
    model = make_model(64)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(make_dataset([os.environ.get("DATA", "train.tfrecord")]), epochs=1)
    print(make_noise([2]))


if __name__ == "__main__":
    main()
'''


def generate(lines: int) -> str:
    parts = [HEAD, HAZARDS]
    size = HEAD.count("\n") + HAZARDS.count("\n") + MAIN.count("\n")
    i = 0
    while size < lines:
        block = BLOCK.format(i=i, j=i + 100_000, units=32 + i % 64, scale=255 + i % 7)
        parts.append(block)
        size += block.count("\n")
        i += 1
    parts.append(MAIN)
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    args.out.write_text(generate(args.lines), encoding="utf-8")


if __name__ == "__main__":
    main()
