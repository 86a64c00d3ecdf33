"""Rule semantics that follow from TensorFlow's behaviour (each names its fact in ../shared/tf-determinism.md)."""

from __future__ import annotations

from textwrap import dedent

from tests.helpers import check, codes

MAIN = 'if __name__ == "__main__":\n    pass\n'


def test_num_parallel_calls_alone_is_deterministic() -> None:
    """(c): map(num_parallel_calls=AUTOTUNE) with default deterministic keeps input order."""
    src = "import tensorflow as tf\nds = tf.data.Dataset.range(9)\nds = ds.map(lambda x: x, num_parallel_calls=tf.data.AUTOTUNE)\n"
    assert codes(src, path="lib.py") == []


def test_deterministic_false_and_options_are_flagged_anywhere() -> None:
    """(c): deterministic=False and Options().deterministic=False reorder elements per process."""
    src = """
    import tensorflow as tf
    ds = tf.data.Dataset.range(9).map(lambda x: x, num_parallel_calls=4, deterministic=False)
    ds = ds.interleave(lambda x: ds, cycle_length=2, num_parallel_calls=2, deterministic=False)
    o = tf.data.Options()
    o.deterministic = False
    p = ds.options()
    p.experimental_deterministic = False
    q = tf.data.experimental.parallel_interleave(lambda f: f, cycle_length=2, sloppy=True)
    """
    assert codes(src, path="lib.py") == [(3, "TFD401"), (4, "TFD401"), (6, "TFD402"), (8, "TFD402"), (9, "TFD403")]


def test_op_determinism_forces_order() -> None:
    """(a): with op determinism, deterministic arguments and Options.deterministic are forced to True."""
    src = """
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    ds = tf.data.Dataset.range(9).map(lambda x: x, num_parallel_calls=4, deterministic=False)
    """
    assert codes(src, path="lib.py") == []


def test_env_var_turns_determinism_on_but_cudnn_var_does_not() -> None:
    """(a) legacy env vars: TF_DETERMINISTIC_OPS=1 is measured equivalent; TF_CUDNN_DETERMINISTIC is not."""
    on = 'import os\nos.environ["TF_DETERMINISTIC_OPS"] = "1"\nimport tensorflow as tf\n' \
         "ds = tf.data.Dataset.range(3).map(lambda x: x, num_parallel_calls=2, deterministic=False)\n"
    assert codes(on, path="lib.py") == []
    off = on.replace("TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC")
    assert codes(off, path="lib.py") == [(4, "TFD401")]


def test_stateful_random_in_parallel_map_even_with_seed() -> None:
    """(c): tf.random.uniform inside a parallel map differs across processes even with a global seed."""
    src = """
    import tensorflow as tf
    tf.random.set_seed(1)
    def aug(x):
        return x + tf.random.uniform([])
    ds = tf.data.Dataset.range(9).map(aug, num_parallel_calls=4)
    serial = tf.data.Dataset.range(9).map(aug)
    stateless = tf.data.Dataset.range(9).map(lambda x: tf.random.stateless_uniform([], seed=[1, 2]), num_parallel_calls=4)
    """
    assert codes(src, path="lib.py") == [(5, "TFD404")]


def test_library_randomness_is_the_callers_to_seed() -> None:
    src = """
    import tensorflow as tf
    import keras
    def block(x):
        x = keras.layers.Dropout(0.1)(x)
        return x + tf.random.normal([1])
    ds = tf.data.Dataset.range(3).shuffle(3)
    """
    assert codes(src, path="lib.py") == []
    script = dedent(src) + 'if __name__ == "__main__":\n    block(1)\n'
    assert {c for _, c in codes(script)} >= {"TFD102", "TFD101", "TFD301", "TFD501"}
    # A function the script never runs or names is library code inside it: not flagged.
    assert {c for _, c in codes(dedent(src) + MAIN)} == {"TFD301", "TFD501"}


def test_list_files_shuffles_by_default() -> None:
    """(c): Dataset.list_files shuffles by default; shuffle=False or a seed makes it reproducible."""
    src = """
    import tensorflow as tf
    a = tf.data.Dataset.list_files("*.png")
    b = tf.data.Dataset.list_files("*.png", shuffle=False)
    c = tf.data.Dataset.list_files("*.png", seed=3)
    d = tf.data.Dataset.list_files("*.png", False)
    """
    assert codes(dedent(src) + MAIN) == [(3, "TFD302"), (3, "TFD501")]


def test_fit_on_arrays_shuffles_but_not_on_datasets() -> None:
    """(c): Keras 3 fit(x, y, shuffle=True) shuffles with tf.random.shuffle; fit(dataset) cannot take y."""
    src = """
    import keras, numpy as np
    model = keras.Sequential([keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=1))])
    model.fit(np.zeros((4, 1)), np.zeros((4, 1)))
    model.fit(np.zeros((4, 1)), np.zeros((4, 1)), shuffle=False)
    model.fit(dataset)
    """
    found = codes(dedent(src) + MAIN)
    assert (4, "TFD305") in found
    assert not any(code == "TFD305" and line in (5, 6) for line, code in found)


def test_weighted_bincount_is_nondeterministic_even_under_determinism() -> None:
    """(d): bincount with float weights differs on CPU with op determinism on, without error."""
    src = """
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    a = tf.math.bincount(x, weights=w)
    b = tf.math.bincount(x)
    """
    found = check(src, path="lib.py")
    assert [(f.line, f.code) for f in found] == [(4, "TFD203"), (5, "TFD202")]
    assert "raises UnimplementedError on GPU" in found[1].message


def test_segment_sum_is_a_gpu_hazard_in_scripts_only_and_not_under_determinism() -> None:
    """(b2)/(d): segment reductions use atomics on GPU, switch kernels under determinism, are deterministic on CPU."""
    src = "import tensorflow as tf\ny = tf.math.unsorted_segment_sum(d, ids, 10)\n"
    assert codes(src, path="lib.py") == []
    found = check(dedent(src) + MAIN)
    assert [(f.line, f.code) for f in found] == [(2, "TFD201")]
    assert "GPU" in found[0].message and "CPU" not in found[0].message
    det = "import tensorflow as tf\ntf.config.experimental.enable_op_determinism()\ny = tf.math.unsorted_segment_sum(d, ids, 10)\n"
    assert codes(det + MAIN) == []


def test_gpu_only_op_inside_tf_data_function_runs_on_cpu() -> None:
    """tf.data runs map functions on the CPU, where segment sums are deterministic ((d))."""
    src = """
    import tensorflow as tf
    def prep(x):
        return tf.math.unsorted_segment_sum(x, x, 3)
    ds = tf.data.Dataset.range(3).map(prep)
    """
    assert codes(dedent(src) + MAIN) == []


def test_gather_flagged_only_on_a_gradient_path() -> None:
    """(b2): gather's gradient is a segment sum; in input preprocessing there is no gradient."""
    src = """
    import tensorflow as tf
    import keras
    class Embed(keras.layers.Layer):
        def call(self, ids):
            return tf.gather(self.table, ids)
    def preprocess(x):
        return tf.gather(x, [0])
    """
    assert codes(dedent(src) + MAIN) == [(6, "TFD201")]


def test_timestamp_only_under_determinism() -> None:
    """(b1): tf.timestamp() raises FailedPreconditionError once determinism is on."""
    src = "import tensorflow as tf\nt = tf.timestamp()\n"
    assert codes(src, path="lib.py") == []
    det = "import tensorflow as tf\ntf.config.experimental.enable_op_determinism()\nt = tf.timestamp()\n"
    assert codes(det, path="lib.py") == [(3, "TFD204")]


def test_training_script_without_op_determinism() -> None:
    src = """
    import tensorflow as tf
    import keras
    def main():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.layers.Dense(1)])
        opt = keras.optimizers.Adam()
        with tf.GradientTape() as tape:
            loss = model(x)
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    if __name__ == "__main__":
        main()
    """
    assert codes(src) == [(10, "TFD502")]
    fixed = src.replace("keras.utils.set_random_seed(1)", "keras.utils.set_random_seed(1)\n        tf.config.experimental.enable_op_determinism()")
    assert codes(fixed) == []


def test_dense_layers_need_a_global_seed_in_scripts() -> None:
    """(c): Keras 3 default initializers draw from SeedGenerator: a Dense layer is randomness."""
    src = "import keras\nm = keras.Sequential([keras.layers.Dense(3)])\n"
    assert codes(dedent(src) + MAIN) == [(2, "TFD501")]
    assert codes(src, path="lib.py") == []


def test_sklearn_splitters() -> None:
    src = """
    from sklearn.model_selection import train_test_split, KFold
    a = train_test_split(x, y)
    b = train_test_split(x, y, random_state=0)
    c = KFold(5)
    d = KFold(5, shuffle=True)
    """
    assert codes(dedent(src) + MAIN) == [(3, "TFD304"), (3, "TFD501"), (6, "TFD304")]


def test_module_level_training_makes_a_script() -> None:
    src = "import keras\nimport numpy as np\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(np.zeros((2, 1)), np.zeros((2, 1)))\n"
    assert {c for _, c in codes(src, path="lib.py")} == {"TFD501", "TFD305", "TFD502"}


def test_notebook_cells_and_magics() -> None:
    import json

    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# title"], "metadata": {}},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import tensorflow as tf\n"], "metadata": {}, "outputs": []},
            {"cell_type": "code", "source": ["!pip install x\n", "x = tf.random.normal([2])\n"], "metadata": {}, "outputs": []},
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    from tfdetlint.engine import check_bytes

    found = check_bytes(json.dumps(nb).encode(), "nb.ipynb")
    assert [(f.cell, f.line, f.code) for f in found] == [(3, 2, "TFD101"), (3, 2, "TFD501")]


def test_noqa() -> None:
    src = "import tensorflow as tf\nx = tf.random.normal([1])  # noqa: TFD101\ny = tf.random.normal([1])  # noqa\nz = tf.random.normal([1])  # noqa: TFD3\n"
    assert codes(dedent(src) + MAIN) == [(2, "TFD501"), (4, "TFD101")]
    assert codes("# tfdetlint: noqa\n" + dedent(src) + MAIN) == []


def test_syntax_error_is_one_tfd000() -> None:
    found = check("def f(:\n")
    assert [(f.code, f.line) for f in found] == [("TFD000", 1)]
    assert "syntax error" in found[0].message


def test_test_modules_are_not_checked_unless_asked() -> None:
    """Tests draw random inputs on purpose; a test run is not a training run."""
    src = "import numpy as np\nrng = np.random.default_rng()\n"
    assert codes(src, path="pkg/model_test.py") == []
    assert codes(src, path="tests/test_model.py") == []
    assert codes(src, path="pkg/model_test.py", include_tests=True) == [(2, "TFD105")]
    assert codes(src, path="pkg/model.py") == [(2, "TFD105")]


def test_notebook_findings_sorted_by_cell_then_line() -> None:
    import json

    from tfdetlint.engine import check_bytes

    cells = [
        {"cell_type": "code", "source": "import tensorflow as tf\n\n\n\n\nx = tf.random.normal([1])\n", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "y = tf.random.uniform([1])\n", "metadata": {}, "outputs": []},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    found = [(f.cell, f.line, f.code) for f in check_bytes(json.dumps(nb).encode(), "nb.ipynb")]
    assert found == [(1, 6, "TFD101"), (1, 6, "TFD501"), (2, 1, "TFD101")]
