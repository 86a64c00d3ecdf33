"""Small helpers shared by the static-analysis tests."""

from __future__ import annotations

import textwrap

from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.options import Options


def check(code: str, path: str = "train.py", **options: object) -> list[Finding]:
    return check_bytes(textwrap.dedent(code).encode(), path, Options(**options))  # type: ignore[arg-type]


def codes(code: str, path: str = "train.py", **options: object) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check(code, path, **options)]
