"""TFD6xx beyond the rule examples: the local data flow, corpus regressions, and where the tree comes from."""

from __future__ import annotations

import ast
import textwrap

from tfdetlint.analysis import collect
from tfdetlint.catalogue import load_catalogue
from tfdetlint.checks import environment
from tfdetlint.engine import check_bytes


def found(src: str, prefix: str = "TFD6") -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_bytes(textwrap.dedent(src).encode(), "x.py")
            if f.code.startswith(prefix)]


def messages(src: str) -> list[str]:
    return [f.message for f in check_bytes(textwrap.dedent(src).encode(), "x.py") if f.code.startswith("TFD6")]


def helps(src: str) -> list[str]:
    return [f.help for f in check_bytes(textwrap.dedent(src).encode(), "x.py") if f.code.startswith("TFD6")]


def test_message_names_where_the_order_becomes_data() -> None:
    src = """
    import glob
    import tensorflow as tf

    files = glob.glob("*.png")
    n = len(files)
    ds = tf.data.Dataset.from_tensor_slices(files)
    """
    assert found(src) == [(5, "TFD601")]
    assert "becomes data at line 7" in messages(src)[0]  # the message says where; the help says how
    assert "Line 7: `tensorflow.data.Dataset.from_tensor_slices` makes a dataset" in helps(src)[0]


def test_train_eval_split_by_position_is_flagged() -> None:
    # tensor2tensor data_generators/allen_brain.py and bair_robot_pushing.py: glob order decides the split.
    src = """
    import tensorflow.compat.v1 as tf

    def paths(tmp_dir, training_fraction, case):
        paths = tf.gfile.Glob("%s/*.jpg" % tmp_dir)
        split_index = int(len(paths) * training_fraction)
        if case:
            return paths[:split_index]
        return paths[split_index:]
    """
    assert found(src) == [(5, "TFD601")]


def test_slices_in_a_loop_are_batches_not_a_split() -> None:
    # efficientdet model_inspect.py: inference batches over the listing.
    src = """
    import tensorflow as tf

    def infer(pattern, batch_size):
        all_files = list(tf.io.gfile.glob(pattern))
        for i in range(len(all_files) // batch_size):
            batch_files = all_files[i * batch_size:(i + 1) * batch_size]
    """
    assert found(src) == []


def test_rebinding_to_sorted_ends_the_flow() -> None:
    src = """
    import os
    import tensorflow as tf

    names = os.listdir("d")
    names = sorted(names)
    ds = tf.data.Dataset.from_tensor_slices(names)
    """
    assert found(src) == []


def test_unknown_function_does_not_count_as_data() -> None:
    src = """
    import glob

    for path in glob.glob("*.txt"):
        process(path)
    copy_all(glob.glob("*.txt"))
    """
    assert found(src) == []


def test_set_of_unknown_values_is_not_guessed() -> None:
    src = """
    labels = list(set(df["label"]))
    ids = {label: i for i, label in enumerate(labels)}
    """
    assert found(src) == []


def test_library_env_write_of_hash_seed_is_flagged_but_not_with_children() -> None:
    src = """
    import os
    os.environ["PYTHONHASHSEED"] = "0"
    """
    assert found(src) == [(3, "TFD603")]
    assert found(src + "import multiprocessing\nmultiprocessing.Pool(2)\n") == []


def test_check_reads_the_tree_the_facts_carry() -> None:
    catalogue = load_catalogue()
    tree = ast.parse("import glob\nimport tensorflow as tf\nds = tf.data.TFRecordDataset(glob.glob('*'))\n")
    facts = collect(tree, catalogue, notebook=False)
    assert facts.tree is tree
    assert [f.code for f in environment.check(facts, catalogue)] == ["TFD601"]


def test_walk_with_sorted_dirs_is_ordered() -> None:
    src = """
    import os
    import random

    images = []
    for root, dirs, names in os.walk("images"):
        dirs.sort()
        for name in sorted(names):
            images.append(os.path.join(root, name))
    random.shuffle(images)
    """
    assert found(src) == []


def test_set_seed_in_a_tf_function_loop_is_not_flagged() -> None:
    # Measured: inside a tf.function set_seed does not make calls repeat their values.
    src = """
    import tensorflow as tf

    @tf.function
    def train(steps):
        for _ in tf.range(steps):
            tf.random.set_seed(1)
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.random.normal([3]))
    """
    assert found(src) == []


def test_many_reads_of_many_names_stay_cheap() -> None:
    # Each (binding, name) is followed once per listing, so chains of re-reads do not multiply.
    reads = "\n".join(f"    a{i} = [x for x in a{i - 1}]\n    b{i} = a{i} + a{i} + a{i}" for i in range(1, 40))
    src = f"import glob\n\ndef f():\n    a0 = glob.glob('*')\n{reads}\n"
    assert check_bytes(src.encode(), "x.py") is not None
