"""Format of the hand-labelled evaluation set (tests/data/eval/labels.tsv); no network, no mirrors."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "eval" / "labels.tsv"
COLUMNS = ["repo", "commit", "path", "line", "code", "label", "family", "note"]
FAMILY_OF_DIGIT = {"1": "rng", "2": "ops", "3": "shuffle", "4": "order", "5": "setup"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def known_codes() -> set[str]:
    with (ROOT / "rules" / "rules.toml").open("rb") as handle:
        return set(tomllib.load(handle))


def test_every_row_is_well_formed(rows: list[dict[str, str]], known_codes: set[str]) -> None:
    for number, row in enumerate(rows, start=2):
        where = f"labels.tsv:{number}"
        assert None not in row.values() and all(v.strip() for v in row.values()), where
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", row["repo"]), where
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), where
        notebook = row["path"].endswith(".ipynb")
        assert row["path"].endswith(".py") or notebook, where
        line = r"[1-9]\d*:[1-9]\d*" if notebook else r"[1-9]\d*"
        assert re.fullmatch(line, row["line"]), f"{where}: line {row['line']!r}"
        assert row["code"] in known_codes and row["code"] != "TFD000", where
        assert row["label"] in {"hazard", "clean"}, where
        assert row["family"] == FAMILY_OF_DIGIT[row["code"][3]], where


def test_sites_are_unique(rows: list[dict[str, str]]) -> None:
    keys = [(r["repo"], r["path"], r["line"], r["code"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_one_commit_per_repository(rows: list[dict[str, str]]) -> None:
    commits: dict[str, set[str]] = {}
    for row in rows:
        commits.setdefault(row["repo"], set()).add(row["commit"])
    assert all(len(c) == 1 for c in commits.values()), commits


def test_size_spread_and_balance(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 300
    assert len({r["repo"] for r in rows}) >= 10
    assert {r["family"] for r in rows} == set(FAMILY_OF_DIGIT.values())
    clean = sum(r["label"] == "clean" for r in rows) / len(rows)
    assert 0.30 <= clean <= 0.50, clean


def test_matching_rule_of_the_scoring_script() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_eval", ROOT / "benchmarks" / "score_eval.py")
    assert spec is not None and spec.loader is not None
    score_eval = importlib.util.module_from_spec(spec)
    sys.modules["score_eval"] = score_eval
    spec.loader.exec_module(score_eval)
    Site, Found = score_eval.Site, score_eval.Found
    sites = [
        Site("o/r", "0" * 40, "a.py", None, 10, "TFD301", "hazard", "shuffle", ""),
        Site("o/r", "0" * 40, "a.py", None, 11, "TFD301", "clean", "shuffle", ""),
        Site("o/r", "0" * 40, "a.py", None, 30, "TFD101", "hazard", "rng", ""),
        Site("o/r", "0" * 40, "n.ipynb", 4, 2, "TFD102", "clean", "rng", ""),
    ]
    findings = [
        Found("o/r", "a.py", None, 10, "TFD301", ""),  # exact: the hazard, not the clean site below
        Found("o/r", "a.py", None, 31, "TFD301", ""),  # wrong code near line 30: unlabelled
        Found("o/r", "n.ipynb", 4, 3, "TFD102", ""),  # same cell, within 1 line: FP
        Found("o/r", "n.ipynb", 5, 2, "TFD102", ""),  # other cell: unlabelled
    ]
    result = score_eval.match(sites, findings)
    outcomes = [outcome for _, outcome in result.outcomes]
    assert outcomes == ["TP", "TN", "FN", "FP"]
    assert len(result.unlabelled) == 2
    assert (result.families["shuffle"].tp, result.families["rng"].fp, result.families["rng"].fn) == (1, 1, 1)
