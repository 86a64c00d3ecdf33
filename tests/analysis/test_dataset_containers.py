"""Issue 13: Datasets that come out of tfds.load (and Keras' dataset utilities) inside a dict, a
list or a tuple are typed as Datasets when subscripted or unpacked (rules/apis/types.toml
``[[shape]]``), so their unseeded shuffles are reported."""

from __future__ import annotations

import pytest

from tests.helpers import codes

HEAD = "import tensorflow as tf\nimport tensorflow_datasets as tfds\n"
MAIN = '\nif __name__ == "__main__":\n    pass\n'


def shuffles(body: str) -> list[int]:
    """Lines of the TFD301 findings in a script made of ``body``."""
    return [line - 2 for line, code in codes(HEAD + body + MAIN) if code == "TFD301"]


@pytest.mark.parametrize(
    "body",
    [
        # a dict of splits: without split= tfds.load returns {"train": ds, "test": ds}
        'd = tfds.load("mnist")\nd["train"].shuffle(1000)\n',
        'd = tfds.load("mnist", split=None)\ntrain = d["train"]\ntrain.shuffle(1000)\n',
        'd = tfds.load("mnist", as_supervised=True)\ntrain = d["train"].map(lambda x, y: (x, y))\n'
        "train.shuffle(1000)\n",
        'builder = tfds.builder("mnist")\nd = builder.as_dataset()\nd["train"].shuffle(1000)\n',
        # a list of splits, unpacked or subscripted
        'train, test = tfds.load("mnist", split=["train", "test"])\ntrain.shuffle(1000)\n',
        'splits = tfds.load("mnist", split=["train", "test"])\nsplits[0].shuffle(1000)\n',
        'SPLITS = ("train", "test")\ntrain, test = tfds.load("mnist", split=SPLITS)\ntrain.shuffle(1000)\n',
        # with_info=True: (the datasets, DatasetInfo)
        '(train, test), info = tfds.load("mnist", split=["train", "test"], with_info=True, as_supervised=True)\n'
        "train.shuffle(1000)\n",
        'ds, info = tfds.load("mnist", split="train", with_info=True)\nds.shuffle(1000)\n',
        'd, info = tfds.load("mnist", with_info=True)\nd["train"].shuffle(1000)\n',
        'pair = tfds.load("mnist", split="train", with_info=True)\npair[0].shuffle(1000)\n',
        # a split chosen by a variable: a Dataset, or a container of them
        'def load(split):\n    return tfds.load("mnist", split=split)\nload("train").shuffle(1000)\n',
        # through a local function that returns the dict
        'def load():\n    return tfds.load("mnist")\nsplits = load()\nsplits["train"].shuffle(1000)\n',
        # Keras' utilities returning two Datasets
        'train, val = tf.keras.utils.image_dataset_from_directory("d", validation_split=0.2, subset="both", '
        "seed=1)\ntrain.shuffle(1000)\n",
        'left, right = tf.keras.utils.split_dataset(tf.data.Dataset.range(9), left_size=0.5, seed=1)\n'
        "right.shuffle(1000)\n",
    ],
)
def test_unseeded_shuffle_of_a_contained_dataset_is_reported(body: str) -> None:
    assert shuffles(body) == [body.count("\n")]


@pytest.mark.parametrize(
    "body",
    [
        'd = tfds.load("mnist")\nd["train"].shuffle(1000, seed=1)\n',
        '(train, test), info = tfds.load("mnist", split=["train", "test"], with_info=True)\n'
        "train.shuffle(1000, seed=1)\n",
        'train, test = tfds.load("mnist", split=["train", "test"])\ntest.shuffle(1000, seed=7)\n',
        'tf.random.set_seed(1)\nd = tfds.load("mnist")\nd["train"].shuffle(1000)\n',
    ],
)
def test_seeded_shuffle_of_a_contained_dataset_is_not_reported(body: str) -> None:
    assert shuffles(body) == []


@pytest.mark.parametrize(
    "body",
    [
        # the DatasetInfo of with_info=True is not a Dataset
        'ds, info = tfds.load("mnist", split="train", with_info=True)\ninfo.shuffle(1000)\n',
        # unpacking a dict gives its keys
        'first, second = tfds.load("mnist")\nfirst.shuffle(1000)\n',
        # a single split is one Dataset: unpacking it gives elements, not Datasets
        'x, y = tfds.load("mnist", split="train")\nx.shuffle(1000)\n',
        # a value unpacked after a starred target has no known position
        '*rest, last = tfds.load("mnist", split=["a", "b", "c"])\nlast.shuffle(1000)\n',
        # `with ... as (a, b)` unpacks what __enter__ returns
        'with tfds.load("mnist", split=["a", "b"]) as (a, b):\n    a.shuffle(1000)\n',
        # image_dataset_from_directory without subset="both" is one Dataset
        'x, y = tf.keras.utils.image_dataset_from_directory("d", seed=1)\nx.shuffle(1000)\n',
    ],
)
def test_values_that_are_not_datasets_stay_untyped(body: str) -> None:
    assert shuffles(body) == []


def test_shuffle_files_on_tfds_load_is_still_reported() -> None:
    body = '(train, test), info = tfds.load("mnist", split=["train", "test"], shuffle_files=True, with_info=True)\n'
    assert (3, "TFD401") in codes(HEAD + body + MAIN)
