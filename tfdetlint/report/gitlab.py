"""``gitlab``: a GitLab Code Quality report (a JSON array of issues)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding


def _relative(path: str) -> str:
    """Paths relative to the project, as GitLab matches them to the repository."""
    base = os.environ.get("CI_PROJECT_DIR") or os.getcwd()
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, base)
    return Path(path).as_posix() if rel.startswith(os.pardir) else Path(rel).as_posix()


def issues(findings: list[Finding]) -> list[dict[str, Any]]:
    result = []
    seen: dict[str, int] = {}
    for f in findings:
        path = _relative(f.path)
        cell = f"cell {f.cell}: " if f.cell is not None else ""
        # Stable across runs and unique within one report (identical findings get a counter).
        base = f"{path}\0{f.code}\0{cell}{f.message}"
        occurrence = seen.get(base, 0)
        seen[base] = occurrence + 1
        fingerprint = hashlib.sha256(f"{base}\0{occurrence}".encode("utf-8", "surrogateescape")).hexdigest()
        result.append({
            "description": f"{f.code}: {cell}{f.message}",
            "check_name": f.code,
            "fingerprint": fingerprint,
            "severity": "critical" if f.severity == "error" else "major",
            "location": {"path": path, "lines": {"begin": f.line, "end": max(f.line, f.end_line)}},
        })
    return result


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    json.dump(issues(findings), out, indent=2)
    out.write("\n")
