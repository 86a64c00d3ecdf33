"""Reading a call's arguments by parameter name or position, without evaluating anything."""

from __future__ import annotations

import ast
from enum import Enum


class Hidden(Enum):
    """An argument that ``*args`` or ``**kwargs`` may be passing: we cannot tell."""

    MAYBE = "maybe"


def argument(call: ast.Call, name: str, pos: int | None) -> ast.expr | Hidden | None:
    """The expression passed for ``name`` (keyword, or positional at ``pos``), if any."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = call.args
    starred = next((i for i, a in enumerate(positional) if isinstance(a, ast.Starred)), None)
    if pos is not None:
        if starred is not None and starred <= pos:
            return Hidden.MAYBE
        if pos < len(positional):
            return positional[pos]
    if any(k.arg is None for k in call.keywords):
        return Hidden.MAYBE
    return None


def source_text(expr: ast.expr) -> str:
    """Source-like text of an expression (for literal comparisons and messages)."""
    try:
        return ast.unparse(expr)
    except (ValueError, RecursionError, AttributeError):
        return "<expr>"


def literal_text(expr: ast.expr) -> str:
    """Text to match patterns against: a string constant's value, else its source."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return source_text(expr)


def is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
