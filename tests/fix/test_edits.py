"""What each fix writes, where it goes, and when it is only offered as unsafe."""

from __future__ import annotations

from pathlib import Path

from conftest import Runner, codes_of
from samples import ALL


def fixed(tmp_path: Path, cli: Runner, source: str, *flags: str, name: str = "script.py") -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    cli(path, "--fix", *flags)
    return path.read_text(encoding="utf-8")


def test_keras_seed_after_imports_once(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["keras_fit"])
    assert out.count("keras.utils.set_random_seed(42)") == 1
    lines = out.splitlines()
    assert lines.index("keras.utils.set_random_seed(42)") > lines.index("import keras")
    assert lines.index("keras.utils.set_random_seed(42)") < lines.index(next(x for x in lines if "np.random.rand" in x))
    assert "enable_op_determinism" not in out  # unsafe: only with --unsafe-fixes


def test_tf_alias_used_when_keras_not_imported(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["main_function"])
    assert "tf.keras.utils.set_random_seed(42)" in out
    assert "import keras" not in out
    assert out.startswith("#!/usr/bin/env python\n# Copyright: nobody.\nfrom __future__ import annotations\n")


def test_from_tensorflow_import_keras_alias(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["from_tf_import_keras"])
    assert "\nkeras.utils.set_random_seed(42)\n" in out and "\nimport keras\n" not in out


def test_tf1_graph_code_uses_compat_v1_seed(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["tf1_graph"])
    assert "tf.set_random_seed(42)" in out  # `tf` is tensorflow.compat.v1 in this file
    assert "np.random.seed(42)" in out and "keras" not in out


def test_tf1_with_plain_tensorflow_alias(tmp_path: Path, cli: Runner) -> None:
    source = ("import tensorflow as tf\nimport tensorflow.compat.v1\n\n"
              "if __name__ == '__main__':\n    print(tf.compat.v1.random_normal([2]))\n")
    assert "tf.compat.v1.set_random_seed(42)" in fixed(tmp_path, cli, source)


def test_script_without_tensorflow_gets_numpy_and_python_seeds(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["numpy_only"])
    assert "np.random.seed(42)\nrandom.seed(42)\n" in out and "keras" not in out


def test_generators_get_distinct_seeds(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["generators"])
    assert "default_rng(42)" in out and "default_rng(43)" in out
    assert "RandomState(44)" in out and "random.Random(45)" in out


def test_existing_literal_seeds_are_not_reused(tmp_path: Path, cli: Runner) -> None:
    source = "import numpy as np\na = np.random.default_rng(42)\nb = np.random.default_rng()\n"
    assert "b = np.random.default_rng(43)" in fixed(tmp_path, cli, source)


def test_seed_option(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["generators"], "--seed", "7")
    assert "default_rng(7)" in out and "default_rng(8)" in out


def test_generator_and_global_generator(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["main_function"])
    assert "tf.random.Generator.from_seed(42)" in out and "from_non_deterministic_state" not in out
    out = fixed(tmp_path, cli, ALL["tf_alias_only"], name="g.py")
    assert "tf.random.set_global_generator(tf.random.Generator.from_seed(43))" in out
    assert "train_test_split(list(range(10)), random_state=42)" in out


def test_seed_in_a_loop_is_only_unsafe(tmp_path: Path, cli: Runner) -> None:
    source = "import numpy as np\nfor i in range(3):\n    print(np.random.default_rng().random())\n"
    assert fixed(tmp_path, cli, source) == source
    assert "default_rng(42)" in fixed(tmp_path, cli, source, "--unsafe-fixes")


def test_seed_in_function_called_twice_is_only_unsafe(tmp_path: Path, cli: Runner) -> None:
    source = ("import random\n\ndef draw():\n    return random.Random().random()\n\n"
              "if __name__ == '__main__':\n    print(draw(), draw())\n")
    assert fixed(tmp_path, cli, source) == source


def test_seed_in_main_called_once_is_safe(tmp_path: Path, cli: Runner) -> None:
    source = ("import random\nfrom absl import app\n\ndef main(argv):\n    print(random.Random().random())\n\n"
              "if __name__ == '__main__':\n    app.run(main)\n")
    assert "random.Random(42)" in fixed(tmp_path, cli, source)


def test_library_global_generator_and_list_files_are_unsafe(tmp_path: Path, cli: Runner) -> None:
    source = "import tensorflow as tf\n\ndef gen():\n    return tf.random.get_global_generator()\n"
    assert fixed(tmp_path, cli, source, name="lib.py") == source
    assert "set_global_generator" in fixed(tmp_path, cli, source, "--unsafe-fixes", name="lib.py")


def test_keyword_added_in_multiline_call_keeps_layout(tmp_path: Path, cli: Runner) -> None:
    source = ("from sklearn.model_selection import train_test_split\n\nif __name__ == '__main__':\n"
              "    a, b = train_test_split(\n        [1, 2, 3],\n        test_size=0.5,\n    )\n")
    out = fixed(tmp_path, cli, source)
    assert "        test_size=0.5,\n        random_state=42,\n    )\n" in out


def test_unsafe_fixes(tmp_path: Path, cli: Runner) -> None:
    out = fixed(tmp_path, cli, ALL["unsafe_only"], "--unsafe-fixes")
    assert "deterministic=True" in out and "sloppy=False" in out
    assert "opts.experimental_deterministic = True" in out
    assert "tf.random.set_seed(42)" in out and "time.time()" not in out
    assert out.index("set_random_seed(42)") < out.index("tf.config.experimental.enable_op_determinism()")
    assert codes_of(tmp_path / "script.py") == []


def test_unsafe_fixes_are_announced_not_applied(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "u.py"
    path.write_text(ALL["unsafe_only"], encoding="utf-8")
    result = cli(path, "--fix")
    assert "deterministic=False" in path.read_text()
    assert "available with `--unsafe-fixes`" in result.out
    result = cli(path, "--fix", "--unsafe-fixes")
    assert "unseeded TF random ops raise RuntimeError" in result.out
    assert result.code == 0


def test_determinism_after_an_existing_seed(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "k.py"
    path.write_text(ALL["keras_fit"], encoding="utf-8")
    cli(path, "--fix")
    cli(path, "--fix", "--unsafe-fixes")
    lines = path.read_text().splitlines()
    seed = lines.index("keras.utils.set_random_seed(42)")
    assert lines[seed + 1] == "tf.config.experimental.enable_op_determinism()"
    assert lines.index("import tensorflow as tf") < seed


def test_no_imports_before_goes_after_docstring(tmp_path: Path, cli: Runner) -> None:
    source = '"""Doc."""\n__import__("sys")\nimport random\nprint(random.random())\n'
    out = fixed(tmp_path, cli, source, "--script")
    assert out.startswith('"""Doc."""\n__import__("sys")\nimport random\nrandom.seed(42)\n')


def test_name_clash_is_not_rebound(tmp_path: Path, cli: Runner) -> None:
    source = ("import tensorflow.compat.v1 as tf\n\nif __name__ == '__main__':\n"
              "    m = tf.keras.Sequential()\n    m.fit([[1.0]], [[1.0]])\n")
    out = fixed(tmp_path, cli, source, "--unsafe-fixes")
    assert "import tensorflow\n" in out and "tensorflow.config.experimental.enable_op_determinism()" in out


def test_compat_v2_alias_reaches_keras(tmp_path: Path, cli: Runner) -> None:
    source = "import tensorflow.compat.v2 as tf\n\nif __name__ == '__main__':\n    print(tf.random.normal([2]))\n"
    out = fixed(tmp_path, cli, source)
    assert "tf.keras.utils.set_random_seed(42)" in out and "import keras" not in out
