"""Text and JSON renderings of verify verdicts."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from tfdetlint.verify.core import Verdict

_COLUMNS = ("location", "code", "api", "device", "verdict", "detail")
# A verdict is about the API on the probe's own inputs; the user's arguments and seeding are not run.
SCOPE_NOTE = (
    "Each probe checks the API on tfdetlint's own inputs, not your line; "
    "`tfdetlint trace -- python train.py` runs your program and names the op that diverged."
)


def verdict_to_json(v: Verdict) -> dict[str, Any]:
    data = asdict(v)
    for name in ("max_abs_diff", "determinism_max_abs_diff"):
        value = data.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            data[name] = str(value)  # JSON has no NaN/inf
    if not data.get("stand_in"):
        data.pop("stand_in", None)  # only probes that run a stand-in say so
    return {k: val for k, val in data.items() if val is not None}


def render_json(verdicts: list[Verdict]) -> str:
    return json.dumps([verdict_to_json(v) for v in verdicts], indent=2) + "\n"


def _cells(v: Verdict) -> tuple[str, ...]:
    cell = f"cell {v.cell}:" if v.cell is not None else ""
    return (f"{v.path}:{cell}{v.line}", v.code, v.api, v.device, v.verdict, v.detail)


def render_text(verdicts: list[Verdict]) -> str:
    """A table; the detail column is last and unpadded because it is long."""
    if not verdicts:
        return "no findings to verify\n"
    rows = [_COLUMNS, *(_cells(v) for v in verdicts)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]]).rstrip()
        for r in rows
    ]
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    return "\n".join([*lines, "", SCOPE_NOTE, summary]) + "\n"
