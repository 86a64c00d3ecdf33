"""Issue 11: the engine follows the program: entry points, callbacks, contexts through calls,
values that are not literals, graphs that do not see the default seed, Keras version, seeded
layers, odd bindings. Each case is a small program written for the test."""

from __future__ import annotations

from tests.helpers import check, codes


def has(code: str, rule: str, path: str = "train.py", **options: object) -> list[int]:
    return [line for line, c in codes(code, path, **options) if c == rule]


# ---- 1. entry points
TF1_APP_RUN = """
import tensorflow.compat.v1 as tf

def main(_):
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(tf.random_normal([3, 1]))
    loss = tf.reduce_mean(tf.matmul(x, w))
    train_op = tf.train.AdamOptimizer().minimize(loss)
    with tf.Session() as sess:
        for _ in range(10):
            sess.run(train_op)

if __name__ == "__main__":
    tf.app.run()
"""


def test_tf_app_run_without_argument_runs_main() -> None:
    assert has(TF1_APP_RUN, "TFD101") == [6]


def test_tf_app_run_main_seeded_in_main_is_clean() -> None:
    seeded = TF1_APP_RUN.replace("def main(_):\n", "def main(_):\n    tf.set_random_seed(1)\n")
    assert has(seeded, "TFD101") == []


def test_fire_runs_main_and_its_seed_holds() -> None:
    code = """
    import fire
    import keras

    def main(seed=0):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.layers.Dense(1), keras.layers.Dropout(0.5)])
        model.fit([[1.0]], [[1.0]])

    if __name__ == "__main__":
        fire.Fire(main)
    """
    assert codes(code) == [(8, "TFD502")]


def test_absl_run_of_main_without_main_guard_is_a_script() -> None:
    code = """
    from absl import app
    import tensorflow as tf

    def main(argv):
        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        model.fit([[1.0]], [[1.0]])

    app.run(main)
    """
    assert {c for _, c in codes(code, "lib_like.py")} >= {"TFD501", "TFD502"}


# ---- 2. callbacks
def test_estimator_model_fn_from_builder_closure_is_on_the_gradient_path() -> None:
    code = """
    import tensorflow as tf

    def model_fn_builder(num_labels):
        def model_fn(features, labels, mode, params):
            logits = tf.compat.v1.layers.dense(features["x"], num_labels)
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            return tf.estimator.EstimatorSpec(mode, loss=tf.reduce_mean(loss))
        return model_fn

    def main():
        fn = model_fn_builder(3)
        estimator = tf.estimator.Estimator(model_fn=fn)
        estimator.train(input_fn=lambda: None)

    if __name__ == "__main__":
        main()
    """
    assert has(code, "TFD201") == [7] or has(code, "TFD202") == [7]


def test_map_with_bound_method_and_partial_and_callable_object() -> None:
    code = """
    import functools
    import tensorflow as tf

    class Parser:
        def parse(self, x):
            return x + tf.random.uniform([])

        def build(self, files):
            return files.map(self.parse, num_parallel_calls=4)

    def noisy(x, scale):
        return x * tf.random.normal([], stddev=scale)

    class Jitter:
        def __call__(self, x):
            return x + tf.random.uniform([])

    def pipeline(ds):
        ds = ds.map(functools.partial(noisy, scale=0.1), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.map(Jitter(), num_parallel_calls=2)
    """
    assert has(code, "TFD404", "pipeline.py") == [7, 13, 17]


def test_from_generator_and_py_function_run_data_code() -> None:
    code = """
    import tensorflow as tf
    import numpy as np

    def gen():
        for i in range(10):
            yield np.random.rand()

    ds = tf.data.Dataset.from_generator(gen, output_types=tf.float32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.fit(ds)
    """
    assert 7 in has(code, "TFD103")


# ---- 3. contexts flow through calls
def test_random_op_in_helper_called_from_parallel_map() -> None:
    code = """
    import tensorflow as tf

    def jitter(image):
        return image + tf.random.uniform(tf.shape(image))

    def augment(image, label):
        return jitter(image), label

    def make(ds):
        return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    """
    found = [f for f in check(code, "data.py") if f.code == "TFD404"]
    assert [f.line for f in found] == [5]
    assert "line 11" in found[0].message


def test_gradient_op_in_helper_called_from_layer_call() -> None:
    code = """
    import tensorflow as tf

    def pick(params, ids):
        return tf.gather(params, ids)

    class Lookup(tf.keras.layers.Layer):
        def call(self, ids):
            return pick(self.table, ids)
    """
    assert has(code, "TFD201", "layers.py", force_script=True) == [5]


def test_tf1_main_code_whose_result_reaches_minimize_is_on_a_gradient_path() -> None:
    code = """
    import tensorflow.compat.v1 as tf

    def main():
        emb = tf.get_variable("emb", [100, 8])
        ids = tf.placeholder(tf.int32, [None])
        vectors = tf.nn.embedding_lookup(emb, ids)
        cost = tf.reduce_sum(vectors)
        step = tf.train.GradientDescentOptimizer(0.1).minimize(cost)
        unused = tf.gather(emb, ids)

    if __name__ == "__main__":
        main()
    """
    assert has(code, "TFD201") == [7]


def test_randomness_in_project_module_needs_a_global_seed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tfdetlint.cli import main as cli_main

    (tmp_path / "layers.py").write_text(
        "import tensorflow as tf\n\ndef noisy(x):\n    return x + tf.random.normal(tf.shape(x))\n")
    (tmp_path / "train.py").write_text(
        "import tensorflow as tf\nfrom layers import noisy\n\nif __name__ == '__main__':\n"
        "    y = noisy(tf.ones([2]))\n")
    out = tmp_path / "out.json"
    cli_main(["--no-cache", "--format", "json", "-o", str(out), str(tmp_path / "train.py")])
    import json

    found = json.loads(out.read_text())
    tfd501 = [f for f in found if f["code"] == "TFD501"]
    assert len(tfd501) == 1 and "layers.py:4" in tfd501[0]["message"]


# ---- 4. values that are not literals
def test_deterministic_from_module_constant_flag_default_and_not() -> None:
    code = """
    import tensorflow as tf
    from absl import flags

    FLAGS = flags.FLAGS
    flags.DEFINE_bool("ordered", True, "keep order")
    SLOPPY = False

    def make(ds, fast=False):
        a = ds.map(f, num_parallel_calls=4, deterministic=SLOPPY)
        b = ds.map(f, num_parallel_calls=4, deterministic=not FLAGS.ordered)
        c = ds.map(f, num_parallel_calls=4, deterministic=fast)
        d = ds.map(f, num_parallel_calls=4, deterministic=not fast)
        return a, b, c, d
    """
    assert has(code, "TFD401", "data.py") == [10, 11, 12]


def test_unknown_deterministic_value_is_reported_with_what_it_depends_on() -> None:
    code = """
    import tensorflow as tf

    class Pipeline:
        def __init__(self, debug):
            self.debug = debug

        def make(self, ds):
            return ds.map(f, num_parallel_calls=4, deterministic=self.debug)
    """
    found = [f for f in check(code, "data.py") if f.code == "TFD401"]
    assert len(found) == 1 and "unless `self.debug` is true" in found[0].message


def test_seed_from_clock_through_a_variable_and_hash_of_string() -> None:
    code = """
    import time
    import tensorflow as tf

    seed = int(time.time())
    tf.random.set_seed(seed)
    x = tf.random.stateless_uniform([2], seed=[hash("run"), 0])
    """
    assert has(code, "TFD106") == [6, 7]


# ---- 5. graphs that do not see the default seed; seeding test scopes
def test_estimator_graph_is_not_seeded_by_set_random_seed() -> None:
    code = """
    import tensorflow.compat.v1 as tf

    def input_fn():
        return tf.data.Dataset.range(10).shuffle(10)

    def model_fn(features, labels, mode):
        w = tf.Variable(tf.random_normal([1]))
        return tf.estimator.EstimatorSpec(mode, loss=tf.reduce_sum(w), train_op=None)

    if __name__ == "__main__":
        tf.set_random_seed(1)
        est = tf.estimator.Estimator(model_fn=model_fn)
        est.train(input_fn=input_fn)
    """
    assert has(code, "TFD101") == [8]
    seeded = code.replace("tf.estimator.Estimator(model_fn=model_fn)",
                          "tf.estimator.Estimator(model_fn=model_fn, config=tf.estimator.RunConfig(tf_random_seed=1))")
    assert has(seeded, "TFD101") == []


def test_deterministic_random_test_tool_scope_seeds_its_ops() -> None:
    code = """
    import tensorflow as tf

    random_tool = tf.compat.v1.keras.utils.DeterministicRandomTestTool()
    with random_tool.scope():
        a = tf.random.uniform([2])
    b = tf.random.uniform([2])
    """
    assert has(code, "TFD101", force_script=True) == [7]


# ---- 6. Keras version from the project
def test_keras_2_inferred_from_requirements(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from tfdetlint.cli import main as cli_main

    code = ("import tensorflow as tf\n\nif __name__ == '__main__':\n    tf.random.set_seed(1)\n"
            "    layer = tf.keras.layers.Dropout(0.5)\n")
    (tmp_path / "train.py").write_text(code)
    out = tmp_path / "out.json"
    cli_main(["--no-cache", "--format", "json", "-o", str(out), str(tmp_path / "train.py")])
    assert "TFD102" in [f["code"] for f in json.loads(out.read_text())]  # Keras 3 follows Python's seed
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.1\n")
    cli_main(["--no-cache", "--format", "json", "-o", str(out), str(tmp_path / "train.py")])
    assert json.loads(out.read_text()) == []  # Keras 2 layers follow the TF seed


def test_keras_2_inferred_from_legacy_api_and_said_so() -> None:
    code = """
    import tensorflow as tf

    aug = tf.keras.layers.experimental.preprocessing.RandomFlip()
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.fit([[1.0]], [[1.0]])
    """
    found = [f for f in check(code) if f.code == "TFD501"]
    assert found and "Keras 2" in found[0].message


# ---- 7. seeded initializers are not randomness
def test_layers_with_seeded_initializers_need_no_global_seed() -> None:
    code = """
    import keras
    from keras.initializers import GlorotUniform

    model = keras.Sequential([keras.layers.Dense(4, kernel_initializer=GlorotUniform(seed=1))])
    model.fit([[1.0]], [[1.0]], shuffle=False)
    """
    assert has(code, "TFD501") == []
    assert has(code.replace("GlorotUniform(seed=1)", "'glorot_uniform'"), "TFD501") == [5]


# ---- 8. odd bindings
def test_model_stored_on_a_module_attribute_and_built_in_a_helper() -> None:
    code = """
    import tensorflow as tf

    def get_model():
        return tf.keras.Sequential([tf.keras.layers.Dense(1), tf.keras.layers.Dropout(0.2)])

    tf.model = get_model()
    tf.model.fit([[1.0]], [[1.0]])
    model = get_model()
    model.fit([[1.0]], [[1.0]])
    """
    assert has(code, "TFD502") == [8]


# ---- more of the program, found on the evaluation set
def _run_json(tmp_path, *files: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    import json

    from tfdetlint.cli import main as cli_main

    out = tmp_path / "out.json"
    cli_main(["--no-cache", "--format", "json", "-o", str(out), *(str(tmp_path / f) for f in files)])
    return list(json.loads(out.read_text()))


def test_stateful_draw_in_project_helper_inside_parallel_map(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "util.py").write_text("import tensorflow as tf\n\ndef jitter(x):\n    return x + tf.random.uniform([])\n")
    (tmp_path / "data.py").write_text("import tensorflow as tf\nimport util\n\ndef f(x):\n    return util.jitter(x)\n\n"
                                      "ds = tf.data.Dataset.range(4).map(f, num_parallel_calls=2)\n")
    found = _run_json(tmp_path, "data.py")
    assert [(f["line"], f["code"]) for f in found] == [(5, "TFD404")]
    assert "util.py:4" in str(found[0]["message"]) and "line 7" in str(found[0]["message"])


def test_parameter_typed_by_its_callers() -> None:
    code = """
    import tensorflow as tf

    def configure(ds):
        ds = ds.cache()
        return ds.shuffle(buffer_size=1000)

    train = configure(tf.keras.utils.image_dataset_from_directory("x", seed=1))
    """
    assert has(code, "TFD301", force_script=True) == [6]


def test_seed_under_a_flag_off_by_default_or_defaulting_to_none_seeds_nothing() -> None:
    code = """
    import numpy as np
    import tensorflow as tf
    from absl import app, flags

    flags.DEFINE_integer("tf_random_seed", None, "seed")
    FLAGS = flags.FLAGS

    def main(_, seed=None):
        if FLAGS.tf_random_seed:
            tf.random.set_seed(FLAGS.tf_random_seed)
        np.random.seed(seed)
        x = tf.random.normal([2]) + np.random.rand()

    if __name__ == "__main__":
        app.run(main)
    """
    assert {c for _, c in codes(code)} >= {"TFD101", "TFD103"}


def test_estimator_trains_after_its_input_fn_and_tpu_estimator_is_an_estimator() -> None:
    code = """
    import tensorflow.compat.v1 as tf
    from tensorflow.contrib.tpu.python.tpu import tpu_estimator

    def model_fn(features, labels, mode, params):
        w = tf.get_variable("w", [1], initializer=tf.random_normal_initializer())
        return None

    def input_fn(params):
        return tf.data.Dataset.range(10).shuffle(10)

    def main(_):
        est = tpu_estimator.TPUEstimator(model_fn=model_fn, use_tpu=False)
        est.train(input_fn=input_fn, max_steps=10)

    if __name__ == "__main__":
        tf.app.run()
    """
    found = codes(code)
    assert (14, "TFD502") in found
    first_seed = [line for line, c in found if c == "TFD501"]
    assert first_seed == [10]  # the input_fn's shuffle runs before model_fn's initializer


def test_sloppy_from_a_builder_parameter_is_reported_with_its_dependency() -> None:
    code = """
    import tensorflow as tf

    def input_fn_builder(files, is_training):
        def input_fn(params):
            d = tf.data.Dataset.from_tensor_slices(files)
            return d.apply(tf.contrib.data.parallel_interleave(tf.data.TFRecordDataset, sloppy=is_training,
                                                               cycle_length=4))
        return input_fn
    """
    found = [f for f in check(code, "data.py") if f.code == "TFD403"]
    assert len(found) == 1 and "`is_training`" in found[0].message


def test_training_inside_a_project_helper_needs_op_determinism(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "lib.py").write_text("import keras\n\ndef train(model):\n    model.fit([[1.0]], [[1.0]], shuffle=False)\n")
    (tmp_path / "main.py").write_text("import keras\nimport lib\n\nif __name__ == '__main__':\n"
                                      "    keras.utils.set_random_seed(1)\n    lib.train(keras.Sequential([]))\n")
    found = _run_json(tmp_path, "main.py")
    assert [(f["line"], f["code"]) for f in found] == [(6, "TFD502")]
    assert "lib.py:4" in str(found[0]["message"])
