"""Where notebook findings point: ``cell N:line:col`` in text and JSON; the line and column of
the ``.ipynb`` file itself (with end positions) in SARIF and GitHub annotations."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _notebook_reader import reader  # noqa: F401  (fixture)

from tfdetlint.catalogue import load_rules
from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.report import github, json_, sarif, text

pytestmark = pytest.mark.usefixtures("reader")

REPO = Path(__file__).resolve().parents[2]
CELLS = [
    "import tensorflow as tf\n",
    '  s = "d\u00e9j\u00e0 \\"vu\\""\n  %time a = tf.random.uniform([2])\n',
    "def f(:\n",
    "%%time\nb = tf.random.normal([1])  # seeded?\n",
]
WANTED = {  # code -> what the finding's region must start with, in the cell and in the file
    (2, "TFD101"): "uniform([2])",
    (4, "TFD101"): "normal([1])",
}


def make(cells: list[str], *, indent: int | None = 1, as_lines: bool = True, ascii_only: bool = False) -> bytes:
    body = [{"cell_type": "markdown", "metadata": {}, "source": ["# Title ( [\n"]}]
    body += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": c.splitlines(True) if as_lines else c} for c in cells]
    nb = {"cells": body, "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(nb, indent=indent, ensure_ascii=ascii_only) + "\n").encode()


def findings(raw: bytes) -> list[Finding]:
    return check_bytes(raw, "nb.ipynb")


def test_text_and_json_say_cell_and_line() -> None:
    got = findings(make(CELLS))
    out = io.StringIO()
    text.render(got, load_rules(), out)
    lines = out.getvalue().splitlines()
    assert "nb.ipynb:cell 3:2:23: TFD101 [*] " in "\n".join(lines)
    assert "nb.ipynb:cell 4:1:7: TFD000 syntax error: invalid syntax" in "\n".join(lines)
    assert "nb.ipynb:cell 5:2:15: TFD101 [*] " in "\n".join(lines)
    out = io.StringIO()
    json_.render(got, load_rules(), out)
    data = json.loads(out.getvalue())
    first = next(d for d in data if d["code"] == "TFD101")
    assert (first["cell"], first["line"], first["column"], first["end_line"], first["end_column"]) == (3, 2, 23, 2, 35)


@pytest.mark.parametrize("layout", [
    {"indent": 1}, {"indent": 2, "ascii_only": True}, {"indent": None}, {"indent": 1, "as_lines": False},
], ids=["nbformat", "ascii-indent2", "one-line", "string-sources"])
def test_sarif_and_github_point_into_the_ipynb_file(layout: dict[str, Any]) -> None:
    raw = make(CELLS, **layout)
    file_lines = raw.decode().split("\n")
    got = findings(raw)
    out = io.StringIO()
    sarif.render(got, load_rules(), out)
    results = json.loads(out.getvalue())["runs"][0]["results"]
    seen = set()
    for finding, result in zip(got, results, strict=True):
        region = result["locations"][0]["physicalLocation"]["region"]
        line, column = region["startLine"], region["startColumn"]
        assert result["message"]["text"].startswith(f"cell {finding.cell}: ")
        if finding.code == "TFD000":
            assert file_lines[line - 1][column - 7:].startswith("def f(:")
            continue
        wanted = WANTED.get((finding.cell - 1 if finding.cell else 0, finding.code))
        if wanted is None:
            continue
        seen.add(finding.cell)
        assert file_lines[line - 1][column - 1:].startswith(wanted), (region, file_lines[line - 1])
        assert region["endLine"] == line
        assert file_lines[line - 1][region["endColumn"] - 2] == ")"
    assert seen == {3, 5}
    out = io.StringIO()
    github.render(got, load_rules(), out)
    for finding, command in zip(got, out.getvalue().splitlines(), strict=True):
        assert finding.file_region is not None
        line, column, end_line, end_column = finding.file_region
        assert f"line={line},col={column},endLine={end_line}" in command
        if end_line == line:
            assert f",endColumn={end_column}," in command
        assert f"::cell {finding.cell}: " in command


def test_positions_survive_the_cache(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_bytes(make(CELLS))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "tfdetlint", "--format", "sarif", "--cache-dir",
                               str(tmp_path / "cache"), "nb.ipynb"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr
        runs.append(json.loads(done.stdout)["runs"][0]["results"])
    assert runs[0] == runs[1]
    assert all("endLine" in r["locations"][0]["physicalLocation"]["region"] for r in runs[1]
               if r["ruleId"] != "TFD000")


def test_verify_keeps_the_cell() -> None:
    from tfdetlint.verify.core import Verdict, _row
    from tfdetlint.verify.report import render_json, render_text

    finding = next(f for f in findings(make(CELLS)) if f.code == "TFD101")
    verdict = _row(finding, "cpu", "skipped", "no probe")
    assert verdict.cell == 3
    assert "nb.ipynb:cell 3:2  " in render_text([verdict])
    assert json.loads(render_json([verdict]))[0]["cell"] == 3
    plain = Verdict("a.py", 4, "TFD101", "x", "cpu", "skipped", 0, "no probe")
    assert "a.py:4  " in render_text([plain]) and "cell" not in json.loads(render_json([plain]))[0]
