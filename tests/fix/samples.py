"""Small scripts with hazards, used by several tests (name -> source)."""

KERAS_FIT = '''\
"""Train a tiny model."""
import numpy as np
import keras

x = np.random.rand(32, 4).astype("float32")
y = np.random.rand(32, 1).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dropout(0.5), keras.layers.Dense(1)])
model.compile("sgd", "mse")
model.fit(x, y, epochs=1, verbose=0)
'''

MAIN_FUNCTION = '''\
#!/usr/bin/env python
# Copyright: nobody.
from __future__ import annotations

import random

import tensorflow as tf


def main() -> None:
    rng = tf.random.Generator.from_non_deterministic_state()
    noise = tf.random.normal([3])
    ds = tf.data.Dataset.range(10).shuffle(10)
    print(noise, rng.normal([2]), random.random(), list(ds))


if __name__ == "__main__":
    main()
'''

TF_ALIAS_ONLY = '''\
import tensorflow as tf
from sklearn.model_selection import train_test_split

data = tf.random.uniform([10, 2])
a, b = train_test_split(list(range(10)))
gen = tf.random.get_global_generator()
if __name__ == "__main__":
    print(gen.normal([1]), data, a, b)
'''

FROM_TF_IMPORT_KERAS = '''\
import tensorflow as tf
from tensorflow import keras
layer = keras.layers.Dropout(0.2)
if __name__ == "__main__":
    print(layer(tf.ones([2, 2]), training=True))
'''

TF1_GRAPH = '''\
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

x = tf.random_normal([2])
w = np.random.randn(2)
if __name__ == "__main__":
    with tf.Session() as sess:
        print(sess.run(x), w)
'''

NUMPY_ONLY = '''\
import random
import numpy as np

if __name__ == "__main__":
    print(np.random.rand(3), random.random())
'''

GENERATORS = '''\
import random
import numpy as np

rng_a = np.random.default_rng()
rng_b = np.random.default_rng()
legacy = np.random.RandomState()
r = random.Random()
if __name__ == "__main__":
    print(rng_a.random(), rng_b.random(), legacy.rand(), r.random())
'''

UNSAFE_ONLY = '''\
import time
import tensorflow as tf

tf.random.set_seed(int(time.time()))
ds = tf.data.Dataset.range(8).map(lambda v: v + 1, num_parallel_calls=4, deterministic=False)
opts = tf.data.Options()
opts.experimental_deterministic = False
ds = ds.with_options(opts)
inter = tf.data.experimental.parallel_interleave(lambda f: tf.data.Dataset.range(2), cycle_length=2, sloppy=True)
model = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_initializer="zeros")])
model.compile("sgd", "mse")
model.fit(tf.zeros([4, 1]), tf.zeros([4, 1]), shuffle=False, epochs=1, verbose=0)
'''

ALL = {
    "keras_fit": KERAS_FIT,
    "main_function": MAIN_FUNCTION,
    "tf_alias_only": TF_ALIAS_ONLY,
    "from_tf_import_keras": FROM_TF_IMPORT_KERAS,
    "tf1_graph": TF1_GRAPH,
    "numpy_only": NUMPY_ONLY,
    "generators": GENERATORS,
    "unsafe_only": UNSAFE_ONLY,
}
