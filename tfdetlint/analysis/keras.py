"""Which Keras the code runs under: it decides which global seed unseeded Keras layers follow.

Keras 3 (TensorFlow >= 2.16) layers follow Python's ``random`` seed; Keras 2 (``tf_keras``,
``TF_USE_LEGACY_KERAS=1``, TensorFlow < 2.16) draws from TF random ops. A configured version
wins; otherwise the file's own imports and settings, then the project's declared dependencies.
"""

from __future__ import annotations

import ast

from tfdetlint.analysis.model import SetItemEvent
from tfdetlint.analysis.symbols import SymbolTable

_KERAS2_ONLY = (".layers.experimental.preprocessing.", ".optimizers.legacy.")


def infer(symbols: SymbolTable, configured: str | None,
          project_hint: tuple[str, str] | None, estimator: bool = False) -> tuple[str, str]:
    """(major version, why) for this file. ``estimator``: the file uses ``tf.estimator``, which
    TensorFlow 2.16 (the first with Keras 3) removed, so it runs with Keras 2."""
    if configured is not None:
        return configured, "configured"
    if "tf_keras" in symbols.imports:
        return "2", "the file imports tf_keras"
    if _sets_legacy_keras(symbols):
        return "2", "the file sets TF_USE_LEGACY_KERAS=1"
    legacy = symbols.keras2_only
    if legacy is None:
        legacy = next((n for n in symbols.import_names if any(m in f".{n}." for m in _KERAS2_ONLY)), None)
    if legacy is not None:
        return "2", f"`{legacy}` exists only in Keras 2"
    if estimator:
        return "2", "the file uses tf.estimator, which exists only with Keras 2 (TensorFlow < 2.16)"
    if project_hint is not None:
        return project_hint
    return "3", "default: Keras 3 (TensorFlow >= 2.16); set keras-version = 2 for tf_keras"


def _sets_legacy_keras(symbols: SymbolTable) -> bool:
    for event in symbols.scopes[0].events:
        if isinstance(event, SetItemEvent) and isinstance(event.target.slice, ast.Constant) \
                and event.target.slice.value == "TF_USE_LEGACY_KERAS" \
                and isinstance(event.value, ast.Constant) and str(event.value.value) in ("1", "true", "True"):
            return True
    return False
