"""A seed counts when it runs before the call in program order (issue 2, "The engine").

Fact (tf-determinism.md (c)): an unseeded op is reproducible after tf.random.set_seed; Keras 3
layers and initializers follow Python's random seed instead; NumPy's default_rng ignores seeds.
"""

from __future__ import annotations

from tests.helpers import codes


def test_seed_at_module_level_before_the_call_covers_it() -> None:
    src = """
    import tensorflow as tf
    tf.random.set_seed(1)
    x = tf.random.normal([1])
    if __name__ == "__main__":
        pass
    """
    assert codes(src) == []


def test_seed_after_the_call_does_not_count() -> None:
    src = """
    import tensorflow as tf
    x = tf.random.normal([1])
    tf.random.set_seed(1)
    if __name__ == "__main__":
        pass
    """
    assert codes(src) == [(3, "TFD101"), (3, "TFD501")]


def test_seed_earlier_in_main_covers_calls_in_helpers_main_calls() -> None:
    src = """
    import tensorflow as tf
    def build():
        return tf.random.normal([1])
    def main():
        tf.random.set_seed(7)
        build()
    if __name__ == "__main__":
        main()
    """
    assert codes(src) == []


def test_seed_in_a_function_never_called_does_not_count() -> None:
    src = """
    import tensorflow as tf
    def unused():
        tf.random.set_seed(1)
    def main():
        tf.random.normal([1])
    if __name__ == "__main__":
        main()
    """
    assert codes(src) == [(6, "TFD101"), (6, "TFD501")]


def test_helper_that_seeds_counts_at_its_call() -> None:
    src = """
    import random, numpy as np, tensorflow as tf
    def set_seeds(s):
        random.seed(s)
        np.random.seed(s)
        tf.random.set_seed(s)
    def main():
        set_seeds(0)
        np.random.rand(2); random.random(); tf.random.uniform([1])
    if __name__ == "__main__":
        main()
    """
    assert codes(src) == []


def test_absl_app_run_main_is_followed() -> None:
    src = """
    from absl import app
    import tensorflow as tf
    def main(argv):
        tf.random.set_seed(1)
        tf.random.normal([1])
    if __name__ == "__main__":
        app.run(main)
    """
    assert codes(src) == []


def test_keras3_layers_need_python_seed_not_tf_seed() -> None:
    src = """
    import tensorflow as tf
    import keras
    tf.random.set_seed(1)
    layer = keras.layers.Dropout(0.5)
    if __name__ == "__main__":
        pass
    """
    found = codes(src)
    assert (5, "TFD102") in found and (5, "TFD501") in found


def test_keras3_layers_covered_by_random_seed_or_set_random_seed() -> None:
    for seed in ("import random\nrandom.seed(1)", "keras.utils.set_random_seed(1)", "tf.keras.utils.set_random_seed(1)"):
        src = f"import tensorflow as tf\nimport keras\n{seed}\nlayer = keras.layers.Dropout(0.5)\n" \
              'if __name__ == "__main__":\n    pass\n'
        assert codes(src) == [], seed


def test_keras2_setting_makes_tf_seed_cover_layers() -> None:
    src = """
    import tensorflow as tf
    tf.random.set_seed(1)
    layer = tf.keras.layers.Dropout(0.5)
    if __name__ == "__main__":
        pass
    """
    assert codes(src, keras_version="2") == []
    assert (4, "TFD102") in codes(src, keras_version="3")


def test_get_global_generator_not_covered_by_set_seed() -> None:
    src = """
    import tensorflow as tf
    tf.random.set_seed(1)
    g = tf.random.get_global_generator()
    """
    assert codes(src, path="lib.py") == [(4, "TFD105")]
    fixed = src.replace("tf.random.set_seed(1)", "tf.random.set_global_generator(tf.random.Generator.from_seed(1))")
    assert codes(fixed, path="lib.py") == []


def test_default_rng_ignores_global_seed_and_is_flagged_in_libraries() -> None:
    src = """
    import numpy as np
    np.random.seed(0)
    rng = np.random.default_rng()
    ok = np.random.default_rng(1)
    """
    assert codes(src, path="lib.py") == [(4, "TFD105")]


def test_seed_from_the_clock_is_flagged() -> None:
    src = """
    import time
    import tensorflow as tf
    tf.random.set_seed(int(time.time()))
    """
    assert codes(src, path="lib.py") == [(4, "TFD106")]


def test_tf_test_case_methods_are_seeded() -> None:
    src = """
    import tensorflow as tf
    class T(tf.test.TestCase):
        def test_x(self):
            tf.random.normal([1])
    if __name__ == "__main__":
        tf.test.main()
    """
    assert codes(src, path="thing.py") == []
