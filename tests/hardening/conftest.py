"""Hooks for the hardening tests: the fuzzing budget and the long (``--fuzz-long``) mode."""

from __future__ import annotations

import _budget
import pytest


def pytest_configure(config: pytest.Config) -> None:
    _budget.LONG = bool(config.getoption("--fuzz-long", default=False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--fuzz-long", default=False):
        return
    skip = pytest.mark.skip(reason="long fuzzing mode: run with --fuzz-long")
    for item in items:
        if "slow" in item.keywords and "hardening" in str(item.path):
            item.add_marker(skip)
