"""Parse one unit of code (a file, or a notebook cell) with libcst and find flagged nodes by position.

The checker reports a call at the first character of its called name (``normal`` in
``tf.random.normal(...)``), 1-based; libcst positions are 0-based characters, like editors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from tfdetlint.fix.cst_guard import parse_for_rewrite
from tfdetlint.fix.edits import terminal_name

Pos = tuple[int, int]  # (1-based line, 0-based character column)

_REPEATING = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)
_RUNNERS = {"run"}  # absl's app.run(main) and tf.compat.v1.app.run(main) call main once


@dataclass(frozen=True)
class Unit:
    """Code fixed as one libcst module: a whole file, or one notebook cell (``cell`` is its index)."""

    text: str
    newline: str  # line ending for inserted lines
    cell: int | None = None


@dataclass
class Parsed:
    unit: Unit
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    calls: dict[Pos, cst.Call] = field(default_factory=dict)
    assigns: dict[Pos, cst.BaseSmallStatement] = field(default_factory=dict)

    def statement_index(self, line: int) -> int:
        """Index in ``module.body`` of the top-level statement that holds ``line``."""
        index = 0
        for i, stmt in enumerate(self.module.body):
            if self.positions[stmt].start.line <= line:
                index = i
        return index

    @property
    def newline(self) -> str | None:
        """``None`` (the module default) when it already is the dominant ending, so libcst writes it."""
        return None if self.unit.newline == self.module.default_newline else self.unit.newline


class _Index(cst.CSTVisitor):
    def __init__(self, parsed: Parsed) -> None:
        super().__init__()
        self.parsed = parsed

    def visit_Call(self, node: cst.Call) -> None:
        name = terminal_name(node.func)
        if name is not None:
            start = self.parsed.positions[name].start
            self.parsed.calls.setdefault((start.line, start.column), node)

    def _assign(self, node: cst.BaseSmallStatement) -> None:
        start = self.parsed.positions[node].start
        self.parsed.assigns.setdefault((start.line, start.column), node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assign(node)


def parse_unit(unit: Unit) -> Parsed:
    """Raises ``libcst.ParserSyntaxError`` for code libcst cannot parse."""
    wrapper = MetadataWrapper(parse_for_rewrite(unit.text))
    parsed = Parsed(unit, wrapper.module, wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider))
    wrapper.module.visit(_Index(parsed))
    return parsed


def runs_once(node: cst.CSTNode, units: list[Parsed], where: Parsed, depth: int = 0) -> bool:
    """Whether ``node`` is evaluated once per program run: at module level outside loops, or in a
    top-level function that is called exactly once from such a place.

    A fixed seed in code that runs many times would give every run the same numbers; those fixes
    are only offered as unsafe.
    """
    child = node
    parent = where.parents.get(child)
    while parent is not None and not isinstance(parent, cst.Module):
        if isinstance(parent, _REPEATING) and not (isinstance(parent, cst.For) and child is parent.iter):
            return False
        if isinstance(parent, cst.ClassDef) and child is parent.body:
            return False  # a method: called any number of times
        if isinstance(parent, cst.FunctionDef) and child is parent.body:
            return depth < 3 and _called_once(parent, units, where, depth)
        child, parent = parent, where.parents.get(parent)
    return True


def _called_once(func: cst.FunctionDef, units: list[Parsed], where: Parsed, depth: int) -> bool:
    if not isinstance(where.parents.get(func), cst.Module):
        return False  # nested in a function, class or if/try block: not worth modelling
    uses = [(parsed, name) for parsed in units for name in _names(parsed.module, func.name.value) if name is not func.name]
    if len(uses) != 1:
        return False
    parsed, name = uses[0]
    call = parsed.parents.get(name)
    if isinstance(call, cst.Arg):  # app.run(main)
        runner = parsed.parents.get(call)
        if not (isinstance(runner, cst.Call) and runner.args and runner.args[0] is call):
            return False
        last = terminal_name(runner.func)
        if last is None or last.value not in _RUNNERS:
            return False
        call = runner
    elif not (isinstance(call, cst.Call) and call.func is name):
        return False
    return runs_once(call, units, parsed, depth + 1)


def _names(module: cst.Module, value: str) -> list[cst.Name]:
    found: list[cst.Name] = []

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == value:
                found.append(node)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)  # `obj.main` is not the function `main`
            return False

    module.visit(_Finder())
    return found
