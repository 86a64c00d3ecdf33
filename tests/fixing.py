"""Run ``--fix`` in memory on example code: what the examples and the regression tests compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfdetlint.config import Settings
from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.fix.command import fix_file
from tfdetlint.fix.fixer import fix_bytes
from tfdetlint.fix.notebook import cell_text
from tfdetlint.options import Options

OPTION_KEYS = {"keras_version", "script", "notebook"}


def as_notebook(code: str) -> bytes:
    """One code cell holding the example, so cell lines are the example's lines."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": code.splitlines(keepends=True)}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def example_input(code: str, options: dict[str, Any]) -> tuple[bytes, str, Options, Settings]:
    unknown = set(options) - OPTION_KEYS
    assert not unknown, f"unknown example options: {sorted(unknown)}"
    script = options.get("script")
    keras = str(options.get("keras_version", "3"))
    settings = Settings(root=Path.cwd(), keras_version=keras, scripts=("*",) if script is True else (),
                        libraries=("*",) if script is False else ())
    engine_options = Options(keras_version=keras, force_script=script)
    if options.get("notebook"):
        return as_notebook(code), "example.ipynb", engine_options, settings
    return code.encode("utf-8"), "example.py", engine_options, settings


def findings_for(code: str, options: dict[str, Any]) -> list[Finding]:
    raw, path, engine_options, _ = example_input(code, options)
    return check_bytes(raw, path, engine_options)


def _text(raw: bytes, path: str) -> str:
    if path.endswith(".ipynb"):
        return "".join(cell_text(c) for c in json.loads(raw)["cells"] if c.get("cell_type") == "code")
    return raw.decode("utf-8")


def fixed_text(code: str, options: dict[str, Any], *, unsafe: bool) -> str:
    """The code after ``--fix`` (``--unsafe-fixes`` too if ``unsafe``), as ``tfdetlint`` writes it."""
    raw, path, engine_options, settings = example_input(code, options)
    findings = check_bytes(raw, path, engine_options)
    report = fix_file(Path(path), raw, findings, settings, unsafe)
    assert report.error is None, report.error
    return _text(report.new if report.new is not None else raw, path)


def applied_in_one_pass(code: str, options: dict[str, Any], *, unsafe: bool) -> tuple[int, int]:
    """(findings the check marks fixable at this level, findings one --fix pass applies)."""
    raw, path, engine_options, settings = example_input(code, options)
    findings = check_bytes(raw, path, engine_options)
    levels = {"safe", "unsafe"} if unsafe else {"safe"}
    fixable = sum(1 for f in findings if f.fixable in levels)
    result = fix_bytes(raw, path, findings, settings.seed, unsafe)
    return fixable, len(result.outcome.applied)
