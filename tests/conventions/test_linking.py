"""Issue 16: findings that share one root cause (one missing global seed) are linked: the TFD501
lists the others as ``related``, each of them names it as ``root``, in every report that can say so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfdetlint.findings import Finding

# One script, no global seed: NumPy, Python and TF draws and a shuffle all miss it (linked); a
# seedless default_rng (no global seed controls it) and a parallel-map draw are other causes.
SCRIPT = '''\
import random

import numpy as np
import tensorflow as tf


def augment(x):
    return x + tf.random.uniform([])


if __name__ == "__main__":
    a = np.random.rand(3)
    b = random.random()
    c = tf.random.normal([2])
    rng = np.random.default_rng()
    ds = tf.data.Dataset.range(8).shuffle(8).map(augment, num_parallel_calls=2)
'''
LINKED = [(8, "TFD101"), (12, "TFD103"), (13, "TFD104"), (14, "TFD101"), (16, "TFD301")]
ROOT = (12, "TFD501")


@pytest.fixture
def script(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    return tmp_path


def report(tfd, folder: Path, *args: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = tfd(folder, "train.py", "--output-format", "json", *args)
    assert result.code == 1, result.err
    found: list[dict[str, Any]] = json.loads(result.out)
    return found


def test_one_missing_seed_links_its_findings_in_json(tfd, script: Path) -> None:  # type: ignore[no-untyped-def]
    found = report(tfd, script)
    by_place = {(f["line"], f["code"]): f for f in found}
    root = by_place[ROOT]
    assert [(r["line"], r["code"]) for r in root["related"]] == LINKED
    assert all(set(r) == {"path", "line", "column", "code"} and r["path"] == "train.py" for r in root["related"])
    assert root["root"] is None
    for place in LINKED:
        assert by_place[place]["root"] == {"path": "train.py", "line": 12, "column": root["column"], "code": "TFD501"}
        assert by_place[place]["related"] == []
    # Other causes stay apart: a generator no global seed controls, a draw in a parallel map.
    others = [f for f in found if (f["line"], f["code"]) not in {*LINKED, ROOT}]
    assert {f["code"] for f in others} >= {"TFD105", "TFD404"}
    assert all(f["root"] is None and f["related"] == [] for f in others)


def test_nothing_is_linked_when_the_root_is_not_reported(tfd, script: Path) -> None:  # type: ignore[no-untyped-def]
    found = report(tfd, script, "--extend-ignore", "TFD501")
    assert found and all(f["root"] is None and f["related"] == [] for f in found)
    (script / "train.py").write_text(SCRIPT.replace("a = np.random.rand(3)", "a = np.random.rand(3)  # noqa: TFD501"))
    found = report(tfd, script)
    assert found and all(f["root"] is None and f["related"] == [] for f in found)


def test_sarif_related_locations_both_ways_and_valid(tfd, script: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.integrations.test_ci_formats import validate

    result = tfd(script, "train.py", "--output-format", "sarif")
    document = json.loads(result.out)
    validate(document)  # the vendored OASIS SARIF 2.1.0 schema
    results = document["runs"][0]["results"]

    def place(r: dict[str, Any]) -> tuple[int, str]:
        return r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"]

    root = next(r for r in results if place(r) == ROOT)
    related = root["relatedLocations"]
    assert [(loc["physicalLocation"]["region"]["startLine"], loc["message"]["text"][:7]) for loc in related] == \
        [(line, f"{code}:") for line, code in LINKED]
    assert [loc["id"] for loc in related] == list(range(1, len(LINKED) + 1))
    for r in results:
        if place(r) in LINKED:
            (back,) = r["relatedLocations"]
            assert back["physicalLocation"]["region"]["startLine"] == 12
            assert back["message"]["text"].startswith("TFD501: ")
        elif place(r) != ROOT:
            assert "relatedLocations" not in r
    assert all(r["properties"]["help"] for r in results)  # each result's own remedy


def test_full_lists_related_and_root(tfd, script: Path) -> None:  # type: ignore[no-untyped-def]
    columns = {(f["line"], f["code"]): f["column"] for f in report(tfd, script)}
    out = tfd(script, "train.py", "--output-format", "full").out
    blocks = {block.split(" ", 2)[0] + block.split(" ", 2)[1]: block for block in out.split("\n\n") if block.strip()}
    root_block = next(b for key, b in blocks.items() if key.startswith("train.py:12:") and "TFD501" in key)
    assert [line.split("= related: ", 1)[1] for line in root_block.splitlines() if "= related: " in line] == \
        [f"train.py:{line}:{columns[line, code]}: {code}" for line, code in LINKED]
    member = next(b for key, b in blocks.items() if key.startswith("train.py:13:") and "TFD104" in key)
    assert f"= root: train.py:12:{columns[ROOT]}: TFD501" in member
    assert "= help: " in member


def test_concise_is_one_line_per_finding_unless_grouped(tfd, script: Path) -> None:  # type: ignore[no-untyped-def]
    total = len(report(tfd, script))
    plain = tfd(script, "train.py", "--quiet").out.splitlines()
    assert len(plain) == total and not any("related)" in line for line in plain)
    grouped = tfd(script, "train.py", "--group-related")
    lines = [line for line in grouped.out.splitlines() if line.startswith("train.py:")]
    assert len(lines) == total - len(LINKED)
    (root,) = [line for line in lines if " TFD501 " in line]
    assert root.startswith("train.py:12:") and root.endswith(f" (+{len(LINKED)} related)")
    assert f"Found {total} findings." in grouped.out  # the summary and exit code count every finding
    assert grouped.code == 1


def test_links_survive_json_round_trip() -> None:
    from tfdetlint.engine import check_bytes
    from tfdetlint.linking import link_related

    found = link_related(check_bytes(SCRIPT.encode(), "train.py"))
    assert sum(1 for f in found if f.root is not None) == len(LINKED)
    again = [Finding.from_json(f.to_json()) for f in found]
    assert [(f.related, f.root) for f in again] == [(f.related, f.root) for f in found]


def test_notebook_links_name_cells() -> None:
    from tests.test_rule_examples import as_notebook
    from tfdetlint.engine import check_bytes
    from tfdetlint.linking import link_related

    found = link_related(check_bytes(as_notebook(SCRIPT.replace('if __name__ == "__main__":\n', "if True:\n")),
                                     "train.ipynb"))
    (root,) = [f for f in found if f.code == "TFD501"]
    assert root.related and all(ref.cell == 1 for ref in root.related)
    assert all(r["cell"] == 1 for r in root.to_json()["related"])


def test_determinism_and_shard_findings_of_the_missing_tf_seed_are_linked() -> None:
    """TFD607 (op determinism with no TF seed) and TFD611 (shard after an unseeded shuffle) go away
    with the TF seed TFD501 asks for; a generator no global seed controls (TFD105) does not."""
    from tfdetlint.engine import check_bytes
    from tfdetlint.linking import link_related

    code = (b"import tensorflow as tf\n\nif __name__ == '__main__':\n"
            b"    tf.config.experimental.enable_op_determinism()\n"
            b"    x = tf.random.normal([2])\n"
            b"    ds = tf.data.Dataset.range(8).shuffle(8).shard(2, 0)\n"
            b"    import numpy as np\n    rng = np.random.default_rng()\n")
    found = link_related(check_bytes(code, "train.py"))
    (root,) = [f for f in found if f.code == "TFD501"]
    assert [(r.line, r.code) for r in root.related] == [(4, "TFD607"), (5, "TFD101"), (6, "TFD301"), (6, "TFD611")]
    assert [f.code for f in found if f.root is None and f.code != "TFD501"] == ["TFD105"]


def test_linking_names_the_domains_tfd501_asks_for_and_imports_no_analysis() -> None:
    import subprocess
    import sys

    from tfdetlint.catalogue import GLOBAL_SEED_DOMAINS
    from tfdetlint.checks.program import _NEEDS

    assert set(_NEEDS) == GLOBAL_SEED_DOMAINS
    code = "import sys, tfdetlint.linking; print(any(m.startswith('tfdetlint.analysis') for m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout.strip() == "False", proc.stderr
