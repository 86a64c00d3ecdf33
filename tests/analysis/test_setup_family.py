"""TFD501/TFD502 (program set-up) on programs the earlier tests do not cover: an Estimator trained at
module level, a seed under a flag, training in the project's other modules, a module whose top
level runs its own training code, TF1 layers. Each case is a small program written for the test."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check, codes
from tests.test_project import codes as project_codes
from tests.test_project import findings, write


def has(code: str, rule: str, **options: object) -> list[int]:
    return [line for line, c in codes(code, **options) if c == rule]


# ---- Estimators: the model_fn runs inside the training call, in a graph RunConfig seeds
ESTIMATOR = """
import tensorflow.compat.v1 as tf

def model_fn(features, labels, mode):
    logits = tf.layers.dense(features["x"], 10)
    loss = tf.reduce_mean(logits)
    train_op = tf.train.AdamOptimizer().minimize(loss)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

est = tf.estimator.Estimator(model_fn)
input_fn = tf.estimator.inputs.numpy_input_fn(x={"x": features}, shuffle=False)
est.evaluate(input_fn)
est.train(input_fn, steps=10)
"""


def test_estimator_trained_at_module_level_with_a_positional_model_fn() -> None:
    found = check(ESTIMATOR)
    assert [(f.line, f.code) for f in found] == [(13, "TFD501"), (13, "TFD502")]
    seed = next(f for f in found if f.code == "TFD501")
    assert "(first use: `tf.layers.dense` at line 5 in model_fn)" in seed.message
    assert "RunConfig(tf_random_seed=SEED)" in seed.help
    assert seed.fix is None  # tf.random.set_seed on the default graph would not reach the Estimator's


def test_evaluating_first_does_not_make_the_model_fn_train() -> None:
    """Evaluation restores the trained variables: the training is `est.train`, not the minimize
    inside the model_fn that `evaluate` also builds."""
    assert has(ESTIMATOR, "TFD502") == [13]


def test_estimator_seeded_by_its_run_config() -> None:
    seeded = ESTIMATOR.replace("Estimator(model_fn)", "Estimator(model_fn, config=tf.estimator.RunConfig(tf_random_seed=3))")
    assert codes(seeded) == [(13, "TFD502")]


def test_default_graph_seed_does_not_reach_the_estimator() -> None:
    seeded = ESTIMATOR.replace("est = ", "tf.set_random_seed(1)\nest = ")
    assert has(seeded, "TFD501") == [14]


def test_numpy_seed_reaches_a_model_fn() -> None:
    """NumPy's global state is per process, not per graph: np.random.seed covers draws in a model_fn."""
    code = """
    import numpy as np
    import tensorflow.compat.v1 as tf

    def model_fn(features, labels, mode):
        noise = np.random.rand(3)
        return tf.estimator.EstimatorSpec(mode, loss=tf.reduce_sum(features + noise))

    if __name__ == "__main__":
        np.random.seed(0)
        est = tf.estimator.Estimator(model_fn=model_fn)
        est.train(input_fn=lambda: features)
    """
    assert has(code, "TFD501") == []


# ---- a seed (or op determinism) under a flag
FLAG_SEED = """
from absl import app, flags
import tensorflow as tf

flags.DEFINE_integer("tf_random_seed", {default}, "seed")
FLAGS = flags.FLAGS

def main(_):
    if FLAGS.tf_random_seed:
        tf.keras.utils.set_random_seed(FLAGS.tf_random_seed)
        tf.config.experimental.enable_op_determinism()
    model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    model.fit(x, y)

if __name__ == "__main__":
    app.run(main)
"""


def test_seed_under_a_flag_whose_default_is_none_leaves_the_default_run_unseeded() -> None:
    found = {f.code: f for f in check(FLAG_SEED.format(default="None"))}
    assert found["TFD501"].line == 12 and found["TFD502"].line == 13
    assert "default run" in found["TFD501"].message
    assert "runs only when `FLAGS.tf_random_seed` holds, which is None by default" in found["TFD501"].help
    assert found["TFD502"].message.endswith("by default")
    assert "`tf.config.experimental.enable_op_determinism` at line 11" in found["TFD502"].help


def test_fix_for_a_flag_guarded_seed_seeds_the_default_run() -> None:
    from tests.fixing import fixed_text

    fixed = fixed_text(FLAG_SEED.format(default="None"), {}, unsafe=False)
    assert "\ntf.keras.utils.set_random_seed(42)\n" in fixed  # at the top, not inside the `if`


def test_seed_under_a_flag_whose_default_is_an_int() -> None:
    assert codes(FLAG_SEED.format(default="42")) == []


# ---- a draw the defaults skip is not the first use
NOISE = """
import argparse
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--noise", type=float, default=0.0)

def add_noise(x, p):
    if p > 0:
        return x + tf.random.uniform([3])
    return x

def main():
    args = parser.parse_args()
    x = add_noise(tf.zeros([3]), {noise})
    y = tf.random.normal([3])

if __name__ == "__main__":
    main()
"""


def test_first_use_is_the_first_draw_the_default_run_makes() -> None:
    assert has(NOISE.format(noise="args.noise"), "TFD501") == [16]


def test_a_draw_every_caller_enables_is_the_first_use() -> None:
    assert has(NOISE.format(noise="0.5"), "TFD501") == [10]


def test_a_draw_only_under_a_flag_is_still_reported() -> None:
    only = NOISE.format(noise="args.noise").replace("    y = tf.random.normal([3])\n", "")
    assert has(only, "TFD501") == [10]


# ---- a module whose top level runs code of its own that trains
TOP_LOOP = """
import tensorflow as tf
{setup}
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.SGD()

@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x) - y)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

{loop}
"""


def test_module_level_loop_calling_a_train_step_is_a_script() -> None:
    code = TOP_LOOP.format(setup="", loop="for x, y in data:\n    train_step(x, y)")
    assert has(code, "TFD502") == [12]


def test_determinism_enabled_in_a_helper_before_the_loop() -> None:
    setup = "def configure():\n    tf.config.experimental.enable_op_determinism()\n\nconfigure()"
    code = TOP_LOOP.format(setup=setup, loop="for x, y in data:\n    train_step(x, y)")
    assert has(code, "TFD502") == []


def test_module_that_only_defines_its_train_step_is_a_library() -> None:
    assert codes(TOP_LOOP.format(setup="", loop="")) == []


def test_module_handing_its_train_step_to_a_library_is_not_a_script_by_that() -> None:
    """A callback handed over (a registry, a decorator) runs when the library decides."""
    code = TOP_LOOP.format(setup="import registry", loop="registry.register(train_step)")
    assert has(code, "TFD502") == []


# ---- TF1 layers draw from the graph seed through their default initializer
TF1_LAYERS = """
import tensorflow.compat.v1 as tf

if __name__ == "__main__":
    {seed}x = tf.placeholder(tf.float32, [None, 3])
    y = tf.layers.dense(x, 1{init})
"""


def test_tf1_layer_with_its_default_initializer_needs_the_graph_seed() -> None:
    assert has(TF1_LAYERS.format(seed="", init=""), "TFD501") == [6]
    assert has(TF1_LAYERS.format(seed="", init=", kernel_initializer=None"), "TFD501") == [6]


def test_tf1_layer_under_the_graph_seed() -> None:
    assert has(TF1_LAYERS.format(seed="tf.set_random_seed(0)\n    ", init=""), "TFD501") == []


def test_tf1_layer_with_a_constant_initializer_draws_nothing() -> None:
    assert has(TF1_LAYERS.format(seed="", init=", kernel_initializer=tf.zeros_initializer()"), "TFD501") == []


# ---- training in the project's other modules
LOOP_LIB = """
import tensorflow as tf

def fit_loop(model, data, steps):
    {setup}opt = tf.keras.optimizers.Adam()
    for x, y in data:
        with tf.GradientTape() as tape:
            loss = model(x) - y
        opt.apply_gradients(zip(tape.gradient(loss, model.weights), model.weights))
"""


def test_training_through_a_package_reexport(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "from pkg.core import *\n", "pkg/core.py": LOOP_LIB.format(setup=""),
                     "train.py": "import pkg\n\nif __name__ == '__main__':\n    pkg.fit_loop(m, d, 1)\n"})
    found = findings([tmp_path / "train.py"], tmp_path, "--no-cache")
    assert [(f["line"], f["code"]) for f in found] == [(4, "TFD502")]
    assert "core.py:9" in str(found[0]["message"])


def test_training_through_a_relative_reexport_with_determinism_in_the_helper(tmp_path: Path) -> None:
    setup = "tf.config.experimental.enable_op_determinism()\n    "
    write(tmp_path, {"pkg/__init__.py": "from .core import fit_loop\n", "pkg/core.py": LOOP_LIB.format(setup=setup),
                     "train.py": "import pkg\n\nif __name__ == '__main__':\n    pkg.fit_loop(m, d, 1)\n"})
    assert project_codes([tmp_path / "train.py"], tmp_path) == []


RUNNER = """
from lib import loops

def run_main(flags, train_fn):
    train_fn(flags.model, flags.data, 10)

def main():
    run_main(FLAGS, {fn})

if __name__ == "__main__":
    main()
"""


def test_training_function_passed_as_a_parameter(tmp_path: Path) -> None:
    write(tmp_path, {"lib/__init__.py": "", "lib/loops.py": LOOP_LIB.format(setup=""),
                     "train.py": RUNNER.format(fn="loops.fit_loop")})
    assert project_codes([tmp_path / "train.py"], tmp_path) == [("train.py", 5, "TFD502")]


def test_parameter_passed_different_functions_is_not_resolved(tmp_path: Path) -> None:
    runner = RUNNER.format(fn="loops.fit_loop") + "\nrun_main(FLAGS, print)\n"
    write(tmp_path, {"lib/__init__.py": "", "lib/loops.py": LOOP_LIB.format(setup=""), "train.py": runner})
    assert project_codes([tmp_path / "train.py"], tmp_path) == []


# ---- an Estimator file runs with Keras 2 (tf.estimator is gone from TensorFlow 2.16, the first with Keras 3)
KERAS_IN_MODEL_FN = """
import tensorflow.compat.v1 as tf

def model_fn(features, labels, mode):
    logits = tf.keras.layers.Dense(2)(features)
    return tf.estimator.EstimatorSpec(mode, loss=tf.reduce_mean(logits))

if __name__ == "__main__":
    est = tf.estimator.Estimator(model_fn{config})
    est.train(input_fn, steps=1)
"""


def test_keras_layers_in_a_model_fn_follow_the_estimator_graph_seed() -> None:
    seed = next(f for f in check(KERAS_IN_MODEL_FN.format(config="")) if f.code == "TFD501")
    assert seed.line == 10 and "Keras 2" in seed.message and "tf.estimator" in seed.help
    seeded = KERAS_IN_MODEL_FN.format(config=", config=tf.estimator.RunConfig(tf_random_seed=1)")
    assert has(seeded, "TFD501") == []


# ---- models built by a base class's __init__ (super()), in the module or another one
NET_BASE = """
import tensorflow as tf

class Backbone(tf.keras.Model):
    def __init__(self, width):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(width, 3)
"""

NET_TRAIN = """
import tensorflow as tf
from {module} import Backbone

class Detector(Backbone):
    def __init__(self):
        super(Detector, self).__init__(width=8)

if __name__ == "__main__":
    {seed}model = Detector()
"""


def test_super_init_of_a_local_base_draws_in_the_subclass() -> None:
    code = NET_BASE + NET_TRAIN.replace("from {module} import Backbone\n", "").format(seed="")
    assert has(code, "TFD501") == [7]


def test_super_init_of_a_base_in_another_module(tmp_path: Path) -> None:
    write(tmp_path, {"nets.py": NET_BASE, "train.py": NET_TRAIN.format(module="nets", seed="")})
    found = findings([tmp_path / "train.py"], tmp_path, "--no-cache")
    assert [(f["line"], f["code"]) for f in found] == [(7, "TFD501")]  # the super() call that draws
    assert "nets.py:7" in str(found[0]["message"])
    write(tmp_path, {"train.py": NET_TRAIN.format(module="nets", seed="tf.keras.utils.set_random_seed(1)\n    ")})
    assert project_codes([tmp_path / "train.py"], tmp_path) == []


def test_module_found_from_a_folder_above_the_script(tmp_path: Path) -> None:
    """`det/tools/train.py` importing `tools.nets`: run with `det/` on the path."""
    write(tmp_path, {"pyproject.toml": "", "det/tools/nets.py": NET_BASE,
                     "det/tools/train.py": NET_TRAIN.format(module="tools.nets", seed="")})
    assert project_codes([tmp_path / "det" / "tools" / "train.py"], tmp_path) == [("train.py", 7, "TFD501")]


def test_a_helper_outside_packages_imports_its_siblings(tmp_path: Path) -> None:
    """`v2/model.py`, imported by `v2/train.py` as `model`, imports `layers`: with `v2/` on the path
    that is `v2/layers.py`, not the top-level `layers.py` of the other script checked with it."""
    quiet = "def build():\n    return None\n"
    drawing = "import tensorflow as tf\n\ndef build():\n    return tf.random.normal([2])\n"
    model = "import layers\n\ndef make():\n    return layers.build()\n"
    train = "import model\n\nif __name__ == '__main__':\n    model.make()\n"
    write(tmp_path, {"layers.py": quiet, "model.py": model, "train.py": train,
                     "v2/layers.py": drawing, "v2/model.py": model, "v2/train.py": train})
    found = findings([tmp_path / "train.py", tmp_path / "v2" / "train.py"], tmp_path, "--no-cache")
    assert [(Path(str(f["path"])).parent.name, f["line"], f["code"]) for f in found] == [("v2", 4, "TFD501")]
    assert "layers.py:4" in str(found[0]["message"])


def test_run_config_seed_from_a_flag_defaulting_to_none_seeds_nothing_by_default() -> None:
    code = ESTIMATOR.replace("import tensorflow.compat.v1 as tf\n", "import tensorflow.compat.v1 as tf\nfrom absl import flags\n"
                             "flags.DEFINE_integer('seed', {default}, 'seed')\nFLAGS = flags.FLAGS\n")
    code = code.replace("Estimator(model_fn)", "Estimator(model_fn, config=tf.estimator.RunConfig(tf_random_seed=FLAGS.seed))")
    assert has(code.replace("{default}", "None"), "TFD501") == [16]
    assert has(code.replace("{default}", "3"), "TFD501") == []


def test_a_chained_constructor_hands_its_model_fn_over_before_training() -> None:
    """``Estimator(model_fn=f).train(...)``: Python builds the Estimator (taking the model_fn)
    before calling ``train`` on it, so the draws in the model_fn are the training call's."""
    chained = ESTIMATOR.replace("est = tf.estimator.Estimator(model_fn)\n", "").replace(
        "est.evaluate(input_fn)\nest.train(input_fn, steps=10)", "tf.estimator.Estimator(model_fn=model_fn).train(input_fn, steps=10)")
    found = check(chained)
    assert [(f.line, f.code) for f in found] == [(11, "TFD501"), (11, "TFD502")]
    assert next(f for f in found if f.code == "TFD501").fix is None
