"""Each rule's one-line remedy (``help`` in ``rules/rules.toml``), attached to findings."""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import lru_cache

from tfdetlint.catalogue import rules_dir
from tfdetlint.findings import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@lru_cache(maxsize=1)
def _helps() -> dict[str, str]:
    data = tomllib.loads((rules_dir() / "rules.toml").read_text(encoding="utf-8"))
    return {code: str(table.get("help", "")) for code, table in data.items() if isinstance(table, dict)}


def rule_help(code: str) -> str:
    return _helps().get(code, "")


def with_help(findings: list[Finding]) -> list[Finding]:
    """The findings, each with its rule's remedy unless it already carries its own."""
    return [f if f.help else replace(f, help=rule_help(f.code)) for f in findings]
