"""Where an op's gradient runs, from what the code builds: model code is known by the weights it
creates, a layer applied to keras.Input alone or a model that is only inspected is never
differentiated, a loss object is the constructor that made it, and an augmentation op run
directly by the program runs on the default device. Each case is a small program written for
the test."""

from __future__ import annotations

import ast

from tests.helpers import codes
from tfdetlint.analysis import collect
from tfdetlint.catalogue import load_catalogue


def lines(code: str, rule: str, path: str = "lib.py") -> list[int]:
    return [line for line, c in codes(code, path) if c == rule]


def facts_of(code: str) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for call in collect(ast.parse(code), load_catalogue(), notebook=False).calls:
        found.setdefault(call.api, []).append(call)
    return found


# ---- model code by what it builds
BUILDER = """
import tensorflow.compat.v1 as tf

def conv(x):
    return tf.layers.conv2d(x, 8, 3)

def upsample(x, size):
    x = tf.image.resize_nearest_neighbor(x, size)
    return conv(x)
"""


def test_a_function_feeding_a_weight_builder_is_model_code() -> None:
    assert lines(BUILDER, "TFD202") == [8]


def test_an_op_not_connected_to_the_builder_is_not_model_code() -> None:
    unconnected = BUILDER.replace("    return conv(x)\n", "    shown = conv(image)\n    return x\n")
    assert lines(unconnected, "TFD202") == []


def test_variable_scope_marks_model_code() -> None:
    scoped = """
import tensorflow.compat.v1 as tf

def block(x, size):
    with tf.variable_scope("up"):
        return tf.image.resize_nearest_neighbor(x, size)
"""
    assert lines(scoped, "TFD202") == [6]


def test_a_callable_class_that_builds_nothing_is_not_model_code() -> None:
    parser = """
import tensorflow as tf

class Decoder:
    def __call__(self, record):
        return tf.image.resize(record, [8, 8], method="nearest")
"""
    assert lines(parser, "TFD202") == []


def test_eval_step_is_not_a_gradient_path() -> None:
    evaluation = """
import tensorflow as tf

def test_step(x, y):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x))

if __name__ == "__main__":
    test_step(x, y)
"""
    assert lines(evaluation, "TFD201", "train.py") == []


# ---- layers no gradient runs through
def test_layer_applied_to_inputs_only_has_no_gradient() -> None:
    code = """
import keras
from keras import layers

rates = keras.Input(shape=(1, 1, 1))
up = layers.UpSampling2D(8)(rates)
x = layers.UpSampling2D(2)(layers.Conv2D(4, 1)(rates))
model = keras.Model(rates, [up, x])
model.fit(data)
"""
    found = facts_of(code)["keras.layers.UpSampling2D"]
    assert [c.no_gradient for c in found] == [True, False]  # type: ignore[attr-defined]


SUMMARISED = """
import keras
from keras import layers

inputs = keras.Input(shape=(8, 8, 1))
x = layers.Conv2D(4, 3, padding="same")(inputs)
x = layers.UpSampling2D(2)(x)
decoder = keras.Model(inputs, x)
decoder.summary()
keras.utils.plot_model(decoder)
"""


def test_a_model_only_summarised_is_never_trained() -> None:
    assert lines(SUMMARISED, "TFD202") == []


def test_a_model_that_is_fitted_or_escapes_is_trained() -> None:
    fitted = SUMMARISED + "decoder.compile('adam', 'mse')\ndecoder.fit(data)\n"
    handed = SUMMARISED + "train(decoder)\n"
    assert lines(fitted, "TFD202") == [7]
    assert lines(handed, "TFD202") == [7]


def test_a_rebinding_ends_what_is_followed() -> None:
    rebound = SUMMARISED + "x = layers.Dense(3)(inputs)\nother = keras.Model(inputs, x)\nother.fit(data)\n"
    assert lines(rebound, "TFD202") == []


# ---- loss objects
def test_loss_object_call_resolves_to_its_constructor() -> None:
    code = """
import keras

ce = keras.losses.CategoricalCrossentropy(from_logits=True)
value = ce(y, logits)
other = unknown(y, logits)
"""
    found = facts_of(code)
    calls = found["keras.losses.CategoricalCrossentropy.__call__"]
    assert len(calls) == 1 and calls[0].made_by is not None  # type: ignore[attr-defined]
    assert all(not api.endswith("__call__") or api.startswith("keras.losses") for api in found)


# ---- ops the program runs directly
def test_augmentation_run_by_the_program_is_eager() -> None:
    code = """
import tensorflow as tf

def contrast(image):
    return tf.image.adjust_contrast(image, 2.0)

def parse(image):
    return tf.image.adjust_contrast(image, 2.0)

shown = contrast(picture)
ds = tf.data.Dataset.from_tensor_slices(pictures).map(parse)
"""
    assert lines(code, "TFD202", "show.py") == [5]


def test_a_driver_that_builds_and_trains_is_not_all_model_code() -> None:
    driver = """
import tensorflow as tf
import keras

def shrink(images):
    return tf.image.resize(images, [8, 8], method="nearest")

def main():
    images = shrink(load())
    model = keras.Sequential([keras.layers.Dense(3)])
    model.fit(images, labels)

if __name__ == "__main__":
    main()
"""
    assert lines(driver, "TFD202", "train.py") == []


def test_a_builder_s_helpers_are_model_code() -> None:
    helper = """
import keras
import tensorflow as tf

def up(x):
    return tf.image.resize(x, [8, 8], method="nearest")

def build_head(x):
    x = keras.layers.Conv2D(4, 3)(x)
    return up(x)
"""
    assert lines(helper, "TFD202") == [6]


# ---- programs that never run a backward pass
EXPORT = """
import tensorflow.compat.v1 as tf

def head(x, positions):
    with tf.variable_scope("head"):
        return tf.gather(tf.layers.dense(x, 8), positions)

def main(_):
    out = head(features, positions)
    tf.saved_model.simple_save(session, "export", {"x": features}, {"y": out})

if __name__ == "__main__":
    tf.app.run()
"""


def test_a_script_that_never_trains_takes_no_gradient() -> None:
    assert lines(EXPORT, "TFD201", "export.py") == []


def test_the_same_script_with_a_training_step_does() -> None:
    trains = EXPORT.replace('    tf.saved_model', '    tf.train.AdamOptimizer().minimize(tf.reduce_sum(out))\n    tf.saved_model')
    assert lines(trains, "TFD201", "export.py") == [6]


def test_a_library_s_model_code_is_trained_by_its_callers() -> None:
    library = EXPORT.split("def main")[0]
    assert lines(library, "TFD201", "heads.py") == []  # TFD201 is a script rule
    nearest = library.replace("tf.gather(tf.layers.dense(x, 8), positions)",
                              "tf.image.resize_nearest_neighbor(tf.layers.dense(x, 8), positions)")
    assert lines(nearest, "TFD202", "heads.py") == [6]


def test_a_layer_the_script_does_not_run_is_still_model_code() -> None:
    dual_use = """
import tensorflow as tf
import keras

class Up(keras.layers.Layer):
    def call(self, x):
        return tf.image.resize(x, [16, 16], method="nearest")

if __name__ == "__main__":
    print("demo")
"""
    assert lines(dual_use, "TFD202", "blocks.py") == [7]


def test_a_model_class_with_a_demo_main_is_still_model_code() -> None:
    demo = """
import tensorflow as tf
from tensorflow.keras import layers

class Neck(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.up = layers.UpSampling2D(size=(2, 2))

    def call(self, x):
        return self.up(x)

if __name__ == "__main__":
    print(Neck()(tf.zeros((1, 4, 4, 8))).shape)
"""
    assert lines(demo, "TFD202", "neck.py") == [8]
