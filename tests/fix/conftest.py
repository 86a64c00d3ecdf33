"""Helpers for the --fix tests: run the CLI in-process on files in a temporary folder."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tfdetlint.cli import main
from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.options import Options


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if importlib.util.find_spec("tensorflow") is not None:
        return
    skip = pytest.mark.skip(reason="TensorFlow is not installed")
    for item in items:
        if "tensorflow" in item.keywords:
            item.add_marker(skip)


@dataclass
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Runner:
    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main(["check", "--isolated", "--no-cache", *map(str, args)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def findings_of(path: Path) -> list[Finding]:
    return check_bytes(path.read_bytes(), str(path), Options())


def codes_of(path: Path) -> list[str]:
    return sorted(f.code for f in findings_of(path))
