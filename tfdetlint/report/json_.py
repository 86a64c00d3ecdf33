"""``--format json``: one JSON array, one object per finding."""

from __future__ import annotations

import json
from typing import TextIO

from tfdetlint.catalogue import Catalogue
from tfdetlint.findings import Finding


def render(findings: list[Finding], catalogue: Catalogue, out: TextIO) -> None:
    json.dump([f.to_json() for f in findings], out, indent=2)
    out.write("\n")
