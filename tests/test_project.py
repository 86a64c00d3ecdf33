"""Issue 8: seeding followed through helper functions and the project's own modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfdetlint.cli import main

ROOT = Path(__file__).resolve().parent.parent

SEEDS_ALL = """
import random
import numpy as np
import tensorflow as tf

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
"""

SEEDS_PARTLY = """
import numpy as np
import tensorflow as tf

def seed_everything(seed):
    np.random.seed(seed)
    tf.random.set_seed(seed)
"""

TRAIN = """
import keras
import numpy as np
import tensorflow as tf
{imports}

def main():
    {call}
    np.random.rand(2)
    tf.random.normal([1])
    keras.layers.Dropout(0.5)

if __name__ == "__main__":
    main()
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


def findings(paths: list[Path], cwd: Path, *extra: str) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tfdetlint", "--format", "json", *extra, *map(str, paths)],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def codes(paths: list[Path], cwd: Path, *extra: str) -> list[tuple[str, int, str]]:
    return [(Path(str(f["path"])).name, int(f["line"]), str(f["code"])) for f in findings(paths, cwd, "--no-cache", *extra)]


@pytest.mark.parametrize(
    "layout, imports, call",
    [
        ({"seedutil.py": SEEDS_ALL}, "from seedutil import seed_everything", "seed_everything(0)"),
        ({"common/__init__.py": "", "common/utils.py": SEEDS_ALL}, "from common.utils import seed_everything",
         "seed_everything(0)"),
        ({"myproj/__init__.py": "", "myproj/common.py": SEEDS_ALL}, "import myproj.common as c", "c.seed_everything(0)"),
        ({"myproj/__init__.py": "", "myproj/common.py": SEEDS_ALL}, "from myproj import common", "common.seed_everything(0)"),
    ],
)
def test_imported_helper_that_seeds_everything_covers_the_script(tmp_path: Path, layout: dict[str, str],
                                                                  imports: str, call: str) -> None:
    write(tmp_path, {**layout, "train.py": TRAIN.format(imports=imports, call=call)})
    assert codes([tmp_path / "train.py"], tmp_path) == []


def test_relative_import_in_a_package(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/utils.py": SEEDS_ALL,
                     "pkg/train.py": TRAIN.format(imports="from .utils import seed_everything", call="seed_everything(0)")})
    assert codes([tmp_path / "pkg" / "train.py"], tmp_path) == []


def test_src_layout_from_project_root(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.tfdetlint]\n", "src/mylib/__init__.py": "", "src/mylib/seeding.py": SEEDS_ALL,
                     "scripts/train.py": TRAIN.format(imports="from mylib.seeding import seed_everything",
                                                      call="seed_everything(0)")})
    assert codes([tmp_path / "scripts" / "train.py"], tmp_path) == []


def test_helpers_calling_helpers(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.py": SEEDS_ALL,
        "b.py": "from a import seed_everything\n\ndef setup(cfg):\n    seed_everything(cfg)\n",
        "train.py": TRAIN.format(imports="from b import setup", call="setup(3)"),
    })
    assert codes([tmp_path / "train.py"], tmp_path) == []


def test_helper_only_partly_covering_keras3_is_explained(tmp_path: Path) -> None:
    write(tmp_path, {"utils.py": SEEDS_PARTLY,
                     "train.py": TRAIN.format(imports="from utils import seed_everything", call="seed_everything(0)")})
    found = findings([tmp_path / "train.py"], tmp_path, "--no-cache")
    assert [(f["line"], f["code"]) for f in found] == [(11, "TFD102"), (11, "TFD501")]
    expected = "seed_everything() in utils.py seeds NumPy and TensorFlow but not Python's random, which Keras 3 layers use"
    assert all(expected in str(f["help"]) for f in found)  # why, with the remedy (messages stay short)
    # With Keras 2, the TF seed covers layers, so the same helper is enough.
    assert codes([tmp_path / "train.py"], tmp_path, "--keras-version", "2") == []


def test_helper_seeding_from_the_clock(tmp_path: Path) -> None:
    write(tmp_path, {"utils.py": "import time, random\nimport numpy as np, tensorflow as tf\n\n"
                                 "def seed_everything():\n    s = int(time.time())\n    random.seed(int(time.time()))\n"
                                 "    np.random.seed(s)\n    tf.random.set_seed(s)\n",
                     "train.py": TRAIN.format(imports="from utils import seed_everything", call="seed_everything()")})
    found = codes([tmp_path], tmp_path)
    assert ("train.py", 8, "TFD106") in found
    assert ("utils.py", 6, "TFD106") in found


def test_helper_enabling_determinism(tmp_path: Path) -> None:
    write(tmp_path, {
        "repro.py": "import os\nimport keras\n\ndef make_reproducible(seed):\n    os.environ['TF_DETERMINISTIC_OPS'] = '1'\n"
                    "    keras.utils.set_random_seed(seed)\n",
        "train.py": "import keras\nimport numpy as np\nfrom repro import make_reproducible\n\ndef main():\n"
                    "    make_reproducible(1)\n    m = keras.Sequential([keras.layers.Dense(1)])\n"
                    "    m.fit(np.zeros((2, 1)), np.zeros((2, 1)))\n\nif __name__ == '__main__':\n    main()\n",
    })
    assert codes([tmp_path / "train.py"], tmp_path) == []


def test_unresolvable_helpers_set_nothing_unless_configured(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": TRAIN.format(imports="from thirdparty.seeding import seed_all", call="seed_all(0)")})
    assert {c for _, _, c in codes([tmp_path / "train.py"], tmp_path)} == {"TFD101", "TFD102", "TFD103", "TFD501"}
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nseed-functions = ["thirdparty.seeding.seed_all"]\n')
    assert codes([tmp_path / "train.py"], tmp_path) == []


def test_method_of_a_local_class_that_seeds(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": """
        import random, numpy as np, tensorflow as tf, keras
        class Trainer:
            def setup(self):
                keras.utils.set_random_seed(1)
            def run(self):
                self.setup()
                tf.random.normal([1])
        if __name__ == "__main__":
            t = Trainer()
            t.run()
        """})
    assert codes([tmp_path / "train.py"], tmp_path) == []


def test_cache_rechecks_importers_when_a_helper_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"utils.py": SEEDS_ALL,
                     "train.py": TRAIN.format(imports="from utils import seed_everything", call="seed_everything(0)")})
    cache = str(tmp_path / "cache")
    args = [str(tmp_path / "train.py"), "--cache-dir", cache, "-q", "--format", "json"]
    assert main(args) == 0
    capsys.readouterr()
    (tmp_path / "utils.py").write_text(textwrap.dedent(SEEDS_PARTLY))
    assert main(args) == 1
    assert "TFD102" in capsys.readouterr().out


def test_flake8_and_pre_commit_style_single_file_runs_use_the_project_index(tmp_path: Path) -> None:
    """A file checked alone (flake8 on save, pre-commit on one changed file) sees the same helpers."""
    write(tmp_path, {"utils.py": SEEDS_PARTLY,
                     "train.py": TRAIN.format(imports="from utils import seed_everything", call="seed_everything(0)")})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TFD", "train.py"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    lines = sorted(line.split(" ", 2)[:2] for line in flake8.stdout.splitlines())
    assert lines == [["train.py:11:18:", "TFD102"], ["train.py:11:18:", "TFD501"]], flake8.stdout + flake8.stderr
    # The helper's TF seed was seen: the message says Keras 3 follows Python's seed, not TF's.
    assert "Keras 3 follows Python's seed, not TF's" in flake8.stdout
    cli = codes([tmp_path / "train.py"], tmp_path)
    assert [(line, code) for _, line, code in cli] == [(11, "TFD102"), (11, "TFD501")]


@pytest.mark.parametrize("source, modules", [
    (b"import a.b as c, d\n", ["a.b", "d"]),
    (b"from ..x import (y,\n    z as w)\n", ["..x", "..x.y", "..x.z"]),
    (b"from . import helper\n", [".", ".helper"]),
    (b"from .m import *\n", [".m"]),
    (b"def f():\n    import os  # late\n", ["os"]),
    (b"x = 'import nothing'\n", []),
])
def test_imports_are_found_in_bytes_without_parsing(source: bytes, modules: list[str]) -> None:
    """What orders the files to analyse (importers first) reads from their bytes alone."""
    from tfdetlint.project import imported_modules

    assert imported_modules(source) == modules


def test_helper_class_seeding_a_generator_from_its_none_default(tmp_path: Path) -> None:
    write(tmp_path, {
        "sampling.py": "import numpy as np\n\nclass Sampler:\n    def __init__(self, chunks, seed=None):\n"
                       "        self.rs = np.random.RandomState(seed=seed)\n",
        "train.py": "from sampling import Sampler\n\nplain = Sampler(chunks)\nseeded = Sampler(chunks, seed=1)\n"
                    "positional = Sampler(chunks, 2)\n",
    })
    assert [c for c in codes([tmp_path / "train.py"], tmp_path) if c[2] == "TFD105"] == [("train.py", 3, "TFD105")]
