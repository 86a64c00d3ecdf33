"""Bit-for-bit comparison of probe outputs saved by workers (NumPy is imported lazily)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Run = tuple[str, str]  # (sha256 of the output bytes, .npy path of the flattened output)


@dataclass(frozen=True)
class Comparison:
    differs: bool
    max_abs_diff: float | None = None
    differing_elements: int | None = None


def _pairs_all(processes: list[list[Run]]) -> list[tuple[Run, Run]]:
    runs = [r for proc in processes for r in proc]
    return [(runs[0], r) for r in runs[1:]] if runs else []


def _pairs_across(processes: list[list[Run]]) -> list[tuple[Run, Run]]:
    # Run i of each process models the same point in a program; comparing runs within one
    # process would flag seeded ops whose value legitimately changes from call to call.
    if len(processes) < 2:
        return []
    depth = min(len(p) for p in processes)
    return [(processes[0][i], p[i]) for i in range(depth) for p in processes[1:]]


def _diff(path_a: str, path_b: str) -> tuple[float, int]:
    import numpy as np

    a: Any = np.load(path_a)
    b: Any = np.load(path_b)
    if a.shape != b.shape:
        return math.nan, int(max(a.size, b.size))
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    count = int((~same).sum())
    if count == 0:
        return 0.0, 0
    delta = np.abs(a[~same] - b[~same])
    finite = delta[np.isfinite(delta)]
    return (float(finite.max()) if finite.size else math.inf), count


def compare(processes: list[list[Run]], mode: str) -> Comparison:
    """Whether any compared pair differs, and the worst difference among differing pairs."""
    pairs = _pairs_across(processes) if mode == "across" else _pairs_all(processes)
    worst: tuple[float, int] | None = None
    for (hash_a, file_a), (hash_b, file_b) in pairs:
        if hash_a == hash_b:
            continue
        diff = _diff(file_a, file_b)
        if worst is None or (diff[0], diff[1]) > worst or math.isnan(diff[0]):
            worst = diff
    if worst is None:
        return Comparison(False)
    return Comparison(True, worst[0], worst[1])


def compared_runs(processes: list[list[Run]], mode: str) -> int:
    """How many executions took part in the comparison."""
    if mode == "across" and len(processes) >= 2:
        return min(len(p) for p in processes) * len(processes)
    return sum(len(p) for p in processes)
