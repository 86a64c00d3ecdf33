"""Notebooks written for issue 15: each has a cell that Jupyter runs but CPython alone does not
parse, next to a real hazard that must still be reported (at the right cell, line and column)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tfdetlint.engine import check_bytes
from tfdetlint.sources import load_notebook

IMPORT = "import tensorflow as tf\n"
HAZARD = "x = tf.random.uniform([1])\n"  # TFD101 at column 15 (of `uniform`, the function called)


def notebook(*cells: str | dict[str, object]) -> bytes:
    body = [c if isinstance(c, dict) else {"cell_type": "code", "metadata": {}, "outputs": [],
                                          "execution_count": None, "source": c.splitlines(True)}
            for c in cells]
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    return (json.dumps({"cells": body, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n").encode()


def found(raw: bytes) -> list[tuple[str, int | None, int, int]]:
    return [(f.code, f.cell, f.line, f.column) for f in check_bytes(raw, "nb.ipynb")]


@dataclass(frozen=True)
class Trigger:
    name: str
    cell: str
    hazard: tuple[int, int] = (3, 1)  # (cell, line) of the TFD101 that survives


TRIGGERS = [
    Trigger("cell-indented-as-a-whole", " y = 1\n if y:\n     y += 1\n"),
    Trigger("cell-indented-by-tabs", "\tfor i in range(2):\n\t    print(i)\n"),
    Trigger("shell-with-continuations", "!pip install -q \\\n    tensorflow-datasets \\\n    pillow\n"),
    Trigger("shell-capture-with-continuation", "out = !ls \\\n  -l\n"),
    Trigger("double-bang", "!!ls\n"),
    Trigger("percent-continuation-in-brackets", "r = (17\n% 5)\n"),
    Trigger("not-equal-continuation-in-brackets", "same = [1\n!= 2]\n"),
    Trigger("pip-automagic", "pip install tensorflow-addons\n"),
    Trigger("ls-automagic", "ls /tmp\n"),
    Trigger("cd-automagic", "cd ..\n"),
    Trigger("comment-ending-in-question-mark", "for i in range(3):  # why?\n    pass\n"),
    Trigger("help-syntax", "tf.random.uniform?\n"),
    Trigger("help-syntax-double", "tf.random??\n"),
    Trigger("line-magic", "%matplotlib inline\n"),
    Trigger("colab-version-magic", "%tensorflow_version 2.x\n"),
    Trigger("writefile-cell", "%%writefile helper.py\nimport tensorflow as tf\ndef f(:\n"),
    Trigger("bash-cell", "%%bash\nfor i in 1 2; do echo $i; done\n"),
    Trigger("html-cell", "%%html\n<div>(</div>\n"),
    Trigger("pasted-prompts", ">>> a = 1\n>>> b = a + 1\n"),
    Trigger("top-level-await", "import asyncio\nawait asyncio.sleep(0)\n"),
    Trigger("time-statement", "%time z = tf.random.uniform([2])\n", (2, 1)),
    Trigger("timeit-statement", "%timeit -n1 -r1 z = tf.random.uniform([2])\n", (2, 1)),
    Trigger("time-cell", "%%time\nz = tf.random.uniform([2])\n", (2, 2)),
    Trigger("capture-cell-indented", "%%capture out\n  z = tf.random.uniform([2])\n", (2, 2)),
    Trigger("question-mark-in-comment-after-hazard", "y = tf.random.uniform([1])  # seeded?\n", (2, 1)),
    Trigger("indented-hazard", "  y = 1\n  z = tf.random.uniform([1])\n", (2, 2)),
    Trigger("automagic-time-statement", "time z = tf.random.uniform([1])\n", (2, 1)),
]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=[t.name for t in TRIGGERS])
def test_odd_cell_is_run_as_jupyter_runs_it(trigger: Trigger) -> None:
    cells = [IMPORT, trigger.cell] + ([HAZARD] if trigger.hazard[0] == 3 else [])
    got = found(notebook(*cells))
    assert "TFD000" not in [g[0] for g in got], got
    cell, line = trigger.hazard
    text = cells[cell - 1].split("\n")[line - 1]
    column = text.index("tf.random.") + len("tf.random.") + 1  # the called function's name
    assert ("TFD101", cell, line, column) in got, got


def test_cell_jupyter_rejects_costs_that_cell_only() -> None:
    raw = notebook(IMPORT, "  a = 1\n b = 2\n", "def f(:\n    pass\n", HAZARD)
    got = check_bytes(raw, "nb.ipynb")
    problems = [f for f in got if f.code == "TFD000"]
    assert [(f.cell, f.line) for f in problems] == [(2, 1), (3, 1)]
    assert problems[0].message == "syntax error: unexpected indent"
    assert problems[1].message.startswith("syntax error: invalid syntax")
    assert ("TFD101", 4, 1, 15) in [(f.code, f.cell, f.line, f.column) for f in got]


def test_rejected_cell_that_seeds_says_verdicts_after_it_may_change() -> None:
    bad = "tf.random.set_seed(0)\n  oops = 1\n"
    got = check_bytes(notebook(IMPORT, bad, HAZARD), "nb.ipynb")
    problem = next(f for f in got if f.code == "TFD000")
    assert problem.cell == 2
    assert "verdicts after it may be affected" in problem.message
    # It is treated as code that ran nothing: the later call is still unseeded.
    assert ("TFD101", 3) in [(f.code, f.cell) for f in got]
    plain = next(f for f in check_bytes(notebook(IMPORT, "  a = 1\n b = 2\n", HAZARD), "nb.ipynb")
                 if f.code == "TFD000")
    assert "verdicts" not in plain.message


def test_every_cell_rejected_still_reports_each() -> None:
    got = found(notebook("import tensorflow as tf\ndef f(:\n", "x = (\n"))
    assert got == [("TFD000", 1, 2, 7), ("TFD000", 2, 1, 5)]


def test_seed_in_an_odd_cell_still_counts() -> None:
    seeded = notebook(IMPORT, " tf.random.set_seed(1)\n", HAZARD)
    assert found(seeded) == []
    timed = notebook(IMPORT, "%time tf.random.set_seed(1)\n", HAZARD)
    assert found(timed) == []


def test_env_magic_still_sets_the_variable() -> None:
    op = "tf.random.set_seed(1)\ntf.math.unsorted_segment_sum(a, b, 3)\n"
    assert [g[0] for g in found(notebook(IMPORT, op))] == ["TFD201"]
    assert found(notebook(IMPORT, "%env TF_DETERMINISTIC_OPS=1\n", op)) == []
    assert found(notebook(IMPORT, " %env TF_DETERMINISTIC_OPS=1\n", op)) == []


def test_nbformat3_notebook_reads_like_its_upgrade() -> None:
    nbformat = pytest.importorskip("nbformat")
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Old notebook"]},
        {"cell_type": "code", "language": "python", "collapsed": False, "metadata": {}, "outputs": [],
         "input": ["import tensorflow as tf\n", "!ls\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["text"]},
        {"cell_type": "code", "language": "python", "collapsed": False, "metadata": {}, "outputs": [],
         "input": [" x = 1\n", " y = tf.random.normal([1])\n"]},
    ]}]}
    raw = json.dumps(v3, indent=1).encode()
    upgraded = nbformat.writes(nbformat.reads(raw.decode(), as_version=4)).encode()
    assert found(raw) == found(upgraded) == [("TFD101", 4, 2, 16), ("TFD501", 4, 2, 16)]
    source = load_notebook(raw, "old.ipynb")
    assert [c.index for c in source.cells or ()] == [2, 4]


def test_non_python_cells_are_not_analysed() -> None:
    raw = notebook(IMPORT, "%%writefile train.py\nimport tensorflow as tf\ntf.random.uniform([1])\n")
    assert found(raw) == []


HELPER = """import random
import numpy as np
import tensorflow as tf

from _notebook_reader import reader  # noqa: E402, F401  (fixture)

pytestmark = pytest.mark.usefixtures("reader")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
"""


def test_run_magic_follows_the_helpers_seeding_function(tmp_path: Path) -> None:
    from tfdetlint.config import Settings
    from tfdetlint.project import project_roots
    from tfdetlint.runner import project_index

    (tmp_path / "helper.py").write_text(HELPER)
    path = str(tmp_path / "nb.ipynb")
    project = project_index(Settings(), project_roots([tmp_path]))
    raw = notebook(IMPORT, "%run helper.py\n", "seed_everything(0)\n", HAZARD)
    assert check_bytes(raw, path, project=project) == []
    automagic = notebook(IMPORT, "run helper.py\n", "seed_everything(0)\n", HAZARD)
    assert check_bytes(automagic, path, project=project) == []
    missing = notebook(IMPORT, "%run other.py\n", "seed_everything(0)\n", HAZARD)
    assert "TFD101" in [f.code for f in check_bytes(missing, path, project=project)]
