"""Small libcst rewrites of one node each; every one keeps the node's own whitespace and comments."""

from __future__ import annotations

import libcst as cst


def terminal_name(func: cst.BaseExpression) -> cst.Name | None:
    """The name a call's reported column points at: ``attr`` of ``a.b.attr`` or the bare name."""
    if isinstance(func, cst.Attribute):
        return func.attr
    if isinstance(func, cst.Name):
        return func
    return None


def find_arg(call: cst.Call, name: str | None, pos: int | None) -> int | None:
    """Index in ``call.args`` of the argument bound to parameter ``name`` (keyword) or ``pos``."""
    if name is not None:
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == name:
                return index
    if pos is None:
        return None
    for index, arg in enumerate(call.args):
        if arg.keyword is not None or arg.star:
            return None  # past the positionals, or *args hides where `pos` lands
        if index == pos:
            return index
    return None


def replace_arg_value(call: cst.Call, index: int, value: cst.BaseExpression) -> cst.Call:
    args = list(call.args)
    args[index] = args[index].with_changes(value=value)
    return call.with_changes(args=args)


def _separator(call: cst.Call) -> cst.Comma:
    """The comma (with the whitespace after it) that separates arguments in this call's style."""
    args = call.args
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        return args[-2].comma  # same line break and indent as the arguments already there
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=call.whitespace_before_args)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Append ``name=value``, keeping a trailing comma and one-argument-per-line layouts."""
    new = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if not call.args:
        return call.with_changes(args=[new])
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        # `f(\n    x,\n)`: the new argument takes over the trailing comma and its line break.
        new = new.with_changes(comma=last.comma)
        args[-1] = last.with_changes(comma=_separator(call))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new])


def add_first_positional(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    new = cst.Arg(value=value)
    if call.args:
        new = new.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[new, *call.args])


def set_seed_arg(call: cst.Call, name: str | None, pos: int | None, value: cst.BaseExpression) -> cst.Call:
    """Give the call its seed: replace an explicit ``None``, else add it.

    Constructors whose seed is their only, first parameter (``default_rng()``, ``Random()``) read
    better with it positional; anything else gets a keyword.
    """
    index = find_arg(call, name, pos)
    if index is not None:
        return replace_arg_value(call, index, value)
    if pos == 0 and not call.args:
        return add_first_positional(call, value)
    if name is None:
        return add_first_positional(call, value) if pos == 0 else call
    return add_keyword(call, name, value)


def statement(code: str, newline: str | None) -> cst.SimpleStatementLine:
    """One module-level statement; ``newline`` None means the module's default line ending."""
    parsed = cst.parse_statement(code + "\n")
    assert isinstance(parsed, cst.SimpleStatementLine)
    return parsed.with_changes(trailing_whitespace=cst.TrailingWhitespace(newline=cst.Newline(value=newline)))


def is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def is_import(stmt: cst.CSTNode) -> bool:
    """A top-level import line, or a ``try:`` whose body only imports (optional dependencies)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return bool(stmt.body) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    if isinstance(stmt, cst.Try):
        body = stmt.body.body
        return bool(body) and all(is_import(s) for s in body)
    return False


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        owner = dotted_name(node.value)
        return None if owner is None else f"{owner}.{node.attr.value}"
    return None


def called_name(stmt: cst.CSTNode) -> str | None:
    """``a.b.f`` for a statement that is just the call ``a.b.f(...)`` (notebook seed placement)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        expr = stmt.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
            return dotted_name(expr.value.func)
    return None
