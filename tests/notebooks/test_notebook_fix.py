"""``--fix`` in notebooks: where the global seed goes, and edits in cells IPython rewrites."""

from __future__ import annotations

import json

import pytest
from _notebook_reader import reader  # noqa: F401  (fixture)

from tfdetlint.engine import check_bytes
from tfdetlint.fix.fixer import fix_bytes

pytestmark = pytest.mark.usefixtures("reader")


def notebook(*cells: str, v3: bool = False) -> bytes:
    if v3:
        body = [{"cell_type": "code", "language": "python", "metadata": {}, "outputs": [],
                 "input": c.splitlines(True)} for c in cells]
        return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                           "worksheets": [{"cells": body, "metadata": {}}]}, indent=1).encode() + b"\n"
    code = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": c.splitlines(True)} for c in cells]
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    return (json.dumps({"cells": code, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n").encode()


def fixed(raw: bytes, unsafe: bool = False) -> list[str]:
    findings = check_bytes(raw, "n.ipynb")
    result = fix_bytes(raw, "n.ipynb", findings, 0, unsafe)
    assert result.new is not None, result.outcome.skipped
    nb = json.loads(result.new)
    cells = nb["cells"] if "cells" in nb else nb["worksheets"][0]["cells"]
    texts = ["".join(c.get("source", c.get("input", []))) for c in cells]
    assert [f.code for f in check_bytes(result.new, "n.ipynb") if f.code != "TFD000"] == []
    return texts


def test_seed_goes_after_the_imports_of_the_first_tensorflow_cell() -> None:
    cells = fixed(notebook("!pip install -q tensorflow\n", "import numpy as np\n",
                           "import tensorflow as tf\n\nprint(tf.__version__)\n", "x = tf.random.uniform([1])\n"))
    assert cells[1] == "import numpy as np\n"
    assert cells[2] == "import tensorflow as tf\n\ntf.keras.utils.set_random_seed(0)\n\nprint(tf.__version__)\n"


def test_seed_follows_the_cells_blank_line_style() -> None:
    compact = fixed(notebook("import tensorflow as tf\nimport numpy as np", "x = tf.random.uniform([1])\n"))
    assert compact[0] == "import tensorflow as tf\nimport numpy as np\ntf.keras.utils.set_random_seed(0)"
    spaced = fixed(notebook("import os\n\nimport tensorflow as tf\n", "x = tf.random.uniform([1])\n"))
    assert spaced[0] == "import os\n\nimport tensorflow as tf\n\ntf.keras.utils.set_random_seed(0)\n"


def test_seed_never_goes_in_a_plotting_cell() -> None:
    cells = fixed(notebook("import tensorflow as tf\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
                           "import keras\n", "x = tf.random.uniform([1])\n"))
    assert "set_random_seed" not in cells[0]
    assert cells[1] == "import keras\nkeras.utils.set_random_seed(0)\n"


def test_compat_v1_notebook_gets_no_second_tensorflow_import() -> None:
    cells = fixed(notebook("import numpy as np\n",
                           "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n\nx = 1\n",
                           "import matplotlib.pyplot as plt\n", "y = tf.random.uniform([1])\n"))
    assert "\n".join(cells).count("import tensorflow") == 1
    assert cells[1] == ("import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\ntf.set_random_seed(0)\n"
                        "\nx = 1\n")


def test_cells_ipython_rewrites_are_fixed_in_their_own_syntax() -> None:
    cells = fixed(notebook("  import tensorflow as tf\n  x = 1\n", "%time z = tf.random.uniform([2])\n",
                           "pip install foo\n"))
    assert cells[0] == "  import tensorflow as tf\n  tf.keras.utils.set_random_seed(0)\n  x = 1\n"
    assert cells[1] == "%time z = tf.random.uniform([2])\n"
    assert cells[2] == "pip install foo\n"


def test_nbformat3_notebook_is_fixed_in_place() -> None:
    cells = fixed(notebook("import tensorflow as tf\n", "x = tf.random.uniform([1])\n", v3=True))
    assert cells[0] == "import tensorflow as tf\ntf.keras.utils.set_random_seed(0)\n"


def test_rejected_cell_does_not_stop_the_fix() -> None:
    raw = notebook("import tensorflow as tf\n", "def f(:\n", "x = tf.random.uniform([1])\n")
    findings = check_bytes(raw, "n.ipynb")
    assert [f.code for f in findings] == ["TFD000", "TFD101", "TFD501"]
    result = fix_bytes(raw, "n.ipynb", findings, 0, False)
    assert result.new is not None
    cells = ["".join(c["source"]) for c in json.loads(result.new)["cells"]]
    assert cells == ["import tensorflow as tf\ntf.keras.utils.set_random_seed(0)\n", "def f(:\n",
                     "x = tf.random.uniform([1])\n"]
