"""Issue 15: a project module's top level runs where it is imported (or ``%run`` in a notebook),
so the seeds it sets and the op determinism it enables hold from that line on."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tfdetlint.config import Settings
from tfdetlint.engine import Options, check_bytes
from tfdetlint.project import ProjectIndex, project_roots
from tfdetlint.runner import project_index

SEEDS_AT_IMPORT = "import tensorflow as tf\n\ntf.random.set_seed(1)\n"
SEEDS_NOTHING = "import tensorflow as tf\n\ndef load():\n    return tf.constant(1)\n"


def index(root: Path) -> ProjectIndex:
    return project_index(Settings(), project_roots([root]))


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


def script_findings(root: Path, body: str, name: str = "train.py") -> list[tuple[int, str]]:
    path = root / name
    path.write_text(textwrap.dedent(body))
    found = check_bytes(path.read_bytes(), str(path), Options(force_script=True), project=index(root))
    return [(f.line, f.code) for f in found]


def notebook(*cells: str) -> bytes:
    body = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": c.splitlines(True)} for c in cells]
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    return json.dumps({"cells": body, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}).encode()


def notebook_codes(root: Path, *cells: str) -> list[str]:
    return [f.code for f in check_bytes(notebook(*cells), str(root / "nb.ipynb"), project=index(root))]


# ---- scripts


@pytest.mark.parametrize(
    "files, imports",
    [
        ({"seeding_helper.py": SEEDS_AT_IMPORT}, "import seeding_helper"),
        ({"seeding_helper.py": SEEDS_AT_IMPORT}, "from seeding_helper import tf as _tf"),
        ({"seeding_helper.py": SEEDS_AT_IMPORT}, "import seeding_helper as sh"),
        # the package's __init__ runs first when one of its modules is imported
        ({"proj/__init__.py": SEEDS_AT_IMPORT, "proj/data.py": SEEDS_NOTHING}, "from proj.data import load"),
        ({"proj/__init__.py": "", "proj/setup.py": SEEDS_AT_IMPORT}, "from proj import setup"),
        ({"proj/__init__.py": "", "proj/setup.py": SEEDS_AT_IMPORT}, "import proj.setup"),
        # a module whose top level calls a function that seeds
        ({"seeding_helper.py": "import tensorflow as tf\n\ndef seed():\n    tf.random.set_seed(1)\n\nseed()\n"},
         "import seeding_helper"),
        # a module that seeds at import through another module's helper, or by importing one that seeds
        ({"a.py": "from b import seed_all\n\nseed_all(0)\n",
          "b.py": "import tensorflow as tf\n\ndef seed_all(seed):\n    tf.random.set_seed(seed)\n"}, "import a"),
        ({"a.py": "import b\nimport numpy as np\n\nnp.random.seed(0)\n", "b.py": SEEDS_AT_IMPORT}, "import a"),
        # op determinism enabled at import
        ({"repro.py": "import os\n\nos.environ['TF_DETERMINISTIC_OPS'] = '1'\nimport tensorflow as tf\n"
          "tf.random.set_seed(0)\n"}, "import repro"),
    ],
)
def test_module_level_seeding_covers_what_runs_after_the_import(tmp_path: Path, files: dict[str, str],
                                                                imports: str) -> None:
    write(tmp_path, files)
    body = f"import tensorflow as tf\n{imports}\n\nx = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body) == []


def test_draws_before_the_import_are_still_unseeded(tmp_path: Path) -> None:
    write(tmp_path, {"seeding_helper.py": SEEDS_AT_IMPORT})
    body = "import tensorflow as tf\n\nbefore = tf.random.normal([1])\nimport seeding_helper\nafter = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body) == [(3, "TFD101"), (3, "TFD501")]


@pytest.mark.parametrize(
    "helper",
    [
        SEEDS_NOTHING,
        # seeding inside a function nobody calls at import
        "import tensorflow as tf\n\ndef seed():\n    tf.random.set_seed(1)\n",
        # an imported module's __main__ block does not run
        "import tensorflow as tf\n\nif __name__ == '__main__':\n    tf.random.set_seed(1)\n",
        # set_seed(None) seeds nothing
        "import tensorflow as tf\n\ntf.random.set_seed(None)\n",
    ],
)
def test_a_module_that_does_not_seed_at_import_leaves_the_finding(tmp_path: Path, helper: str) -> None:
    write(tmp_path, {"helper.py": helper})
    body = "import tensorflow as tf\nimport helper\n\nx = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body) == [(4, "TFD101"), (4, "TFD501")]


def test_relative_import_in_a_package(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/seeding.py": SEEDS_AT_IMPORT})
    body = "import tensorflow as tf\nfrom . import seeding\n\nx = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body, "pkg/train.py") == []


def test_module_seeding_only_some_domains(tmp_path: Path) -> None:
    write(tmp_path, {"np_seed.py": "import numpy as np\n\nnp.random.seed(0)\n"})
    body = "import numpy as np\nimport tensorflow as tf\nimport np_seed\n\na = np.random.rand(2)\nb = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body) == [(6, "TFD101"), (6, "TFD501")]


def test_an_import_inside_a_function_seeds_when_the_function_runs(tmp_path: Path) -> None:
    write(tmp_path, {"seeding_helper.py": SEEDS_AT_IMPORT})
    body = """
    import tensorflow as tf

    def main():
        import seeding_helper  # noqa: F401
        return tf.random.normal([1])

    if __name__ == "__main__":
        tf.random.uniform([1])
        main()
    """
    assert script_findings(tmp_path, body) == [(9, "TFD101"), (9, "TFD501")]


def test_circular_imports_terminate(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "import b\nimport tensorflow as tf\ntf.random.set_seed(1)\n",
                     "b.py": "import a\nimport train\n"})
    body = "import tensorflow as tf\nimport a\n\nx = tf.random.normal([1])\n"
    assert script_findings(tmp_path, body) == []


# ---- notebooks: %run


def test_run_magic_of_a_helper_that_seeds_at_top_level(tmp_path: Path) -> None:
    write(tmp_path, {"helper.py": SEEDS_AT_IMPORT})
    assert notebook_codes(tmp_path, "import tensorflow as tf\n", "%run helper.py\n", "x = tf.random.uniform([1])\n") == []


def test_run_magic_runs_the_helpers_main_block(tmp_path: Path) -> None:
    write(tmp_path, {"helper.py": "import tensorflow as tf\n\nif __name__ == '__main__':\n    tf.random.set_seed(1)\n"})
    assert notebook_codes(tmp_path, "import tensorflow as tf\n", "%run helper.py\n", "x = tf.random.uniform([1])\n") == []


def test_run_magic_of_a_helper_that_does_not_seed(tmp_path: Path) -> None:
    write(tmp_path, {"helper.py": SEEDS_NOTHING})
    found = notebook_codes(tmp_path, "import tensorflow as tf\n", "%run helper.py\n", "x = tf.random.uniform([1])\n")
    assert found == ["TFD101", "TFD501"]


def test_run_magic_after_the_draw_does_not_cover_it(tmp_path: Path) -> None:
    write(tmp_path, {"helper.py": SEEDS_AT_IMPORT})
    found = notebook_codes(tmp_path, "import tensorflow as tf\n", "x = tf.random.uniform([1])\n", "%run helper.py\n")
    assert found == ["TFD101", "TFD501"]


def test_run_magic_of_a_helper_with_functions_that_seeds_at_top_level(tmp_path: Path) -> None:
    write(tmp_path, {"helper.py": SEEDS_AT_IMPORT + "\ndef load():\n    return 1\n"})
    assert notebook_codes(tmp_path, "import tensorflow as tf\n%run helper.py\n", "data = load()\n",
                          "x = tf.random.uniform([1])\n") == []


def test_cache_rechecks_importers_when_the_module_stops_seeding(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from tfdetlint.cli import main

    write(tmp_path, {"seeding_helper.py": SEEDS_AT_IMPORT,
                     "train.py": "import tensorflow as tf\nimport seeding_helper\n\nx = tf.random.normal([1])\n"})
    args = [str(tmp_path / "train.py"), "--script", "--cache-dir", str(tmp_path / "cache"), "-q", "--format", "json"]
    assert main(args) == 0
    capsys.readouterr()
    (tmp_path / "seeding_helper.py").write_text(SEEDS_NOTHING)
    assert main(args) == 1
    assert "TFD101" in capsys.readouterr().out
