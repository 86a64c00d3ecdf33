"""Names are resolved through imports and aliases; local definitions are never the library."""

from __future__ import annotations

import pytest

from tests.helpers import check, codes

SCRIPT = 'if __name__ == "__main__":\n    pass\n'


@pytest.mark.parametrize(
    "imports, call, api",
    [
        ("import tensorflow as tf", "tf.random.normal([1])", "tensorflow.random.normal"),
        ("import tensorflow", "tensorflow.random.normal([1])", "tensorflow.random.normal"),
        ("import tensorflow.compat.v1 as tf", "tf.random_normal([1])", "tensorflow.random_normal"),
        ("import tensorflow.compat.v1 as tf", "tf.random.normal([1])", "tensorflow.random.normal"),
        ("from tensorflow import random as r", "r.uniform([2])", "tensorflow.random.uniform"),
        ("from tensorflow.random import normal as n", "n([2])", "tensorflow.random.normal"),
        ("from tensorflow.keras import layers as L", "L.Dropout(0.5)", "keras.layers.Dropout"),
        ("import keras", "keras.layers.Dropout(0.5)", "keras.layers.Dropout"),
        ("from keras import layers", "layers.GaussianNoise(0.1)", "keras.layers.GaussianNoise"),
        ("import tensorflow as tf", "tf.keras.initializers.GlorotUniform()", "keras.initializers.GlorotUniform"),
        ("import numpy as np", "np.random.rand(3)", "numpy.random.rand"),
        ("import random", "random.random()", "random.random"),
        ("from sklearn.model_selection import train_test_split", "train_test_split([1, 2])",
         "sklearn.model_selection.train_test_split"),
    ],
)
def test_alias_forms_resolve_to_the_api(imports: str, call: str, api: str) -> None:
    found = check(f"{imports}\nx = {call}\n{SCRIPT}")
    assert [f.api for f in found if f.code != "TFD501"] == [api]
    assert found[0].line == 2


def test_import_inside_a_function_resolves() -> None:
    src = """
    def main():
        import tensorflow as tf
        tf.random.normal([1])

    if __name__ == "__main__":
        main()
    """
    assert (4, "TFD101") in codes(src)


@pytest.mark.parametrize(
    "shadow",
    [
        "def normal(shape):\n    return shape\n",
        "normal = lambda shape: shape\n",
        "class normal:\n    def __init__(self, s): pass\n",
    ],
)
def test_local_definition_shadows_an_import(shadow: str) -> None:
    src = f"from tensorflow.random import normal\n{shadow}x = normal([1])\n{SCRIPT}"
    assert codes(src) == []


def test_parameter_shadows_module_name() -> None:
    src = """
    import tensorflow as tf
    def f(tf):
        return tf.random.normal([1])
    if __name__ == "__main__":
        f(object())
    """
    assert codes(src) == []


def test_shuffle_method_on_unrelated_object_is_not_a_dataset() -> None:
    src = """
    import tensorflow as tf
    class Deck:
        def shuffle(self, n): return n
    d = Deck()
    d.shuffle(3)
    items = []
    items.shuffle(2)
    if __name__ == "__main__":
        pass
    """
    assert codes(src) == []


def test_dataset_followed_through_chains_and_variables() -> None:
    src = """
    import tensorflow as tf
    ds = tf.data.Dataset.list_files("*.txt", shuffle=False)
    ds = ds.map(lambda x: x).batch(2)
    ds = ds.shuffle(1000)
    ds2 = tf.data.TFRecordDataset(["a"]).repeat().shuffle(10)
    if __name__ == "__main__":
        pass
    """
    assert codes(src) == [(5, "TFD301"), (5, "TFD501"), (6, "TFD301")]


def test_dataset_returned_by_local_function() -> None:
    src = """
    import tensorflow as tf
    def make():
        return tf.data.Dataset.range(10)
    def main():
        ds = make()
        ds = ds.shuffle(5)
    if __name__ == "__main__":
        main()
    """
    assert codes(src) == [(7, "TFD301"), (7, "TFD501")]


def test_dataset_annotation_types_a_parameter() -> None:
    src = """
    import tensorflow as tf
    def pipeline(ds: tf.data.Dataset):
        return ds.map(lambda x: x, num_parallel_calls=4, deterministic=False)
    """
    assert codes(src, path="lib.py") == [(4, "TFD401")]


def test_columns_count_characters_not_bytes() -> None:
    src = 'import tensorflow as tf\ns = "ééé"; x = tf.random.normal([1])\nif __name__ == "__main__":\n    pass\n'
    first = next(f for f in check(src) if f.code == "TFD101")
    assert first.column == len('s = "ééé"; x = tf.random.') + 1
