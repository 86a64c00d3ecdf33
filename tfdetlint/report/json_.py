"""``json``: one JSON array, one object per finding; ``json-lines``: one object per line."""

from __future__ import annotations

import json
from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding
from tfdetlint.report.help import with_help


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    json.dump([f.to_json() for f in with_help(findings)], out, indent=2)
    out.write("\n")


def render_lines(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    for f in with_help(findings):
        out.write(json.dumps(f.to_json()) + "\n")
