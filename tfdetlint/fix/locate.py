"""Parse one unit of code (a file, or a notebook cell) with libcst and find an intent's nodes by position.

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



@dataclass(frozen=True)
class Unit:
    """Code fixed as one libcst module: a whole file, or one notebook cell (``cell`` is its index)."""

    text: str
    newline: str  # line ending for inserted lines
    cell: int | None = None
    lines: tuple[int, ...] = ()  # file line of each line of ``text`` when it is a region (fix.region)


@dataclass
class Parsed:
    unit: Unit
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    calls: dict[Pos, cst.Call] = field(default_factory=dict)
    assigns: dict[Pos, cst.BaseSmallStatement] = field(default_factory=dict)
    statements: dict[Pos, cst.BaseStatement] = field(default_factory=dict)

    def statement_of(self, node: cst.CSTNode) -> cst.BaseStatement | None:
        """The statement (line or compound) that holds ``node``."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            current = self.parents.get(current)
        return current

    def statement_index(self, line: int) -> int:
        """Index in ``module.body`` of the top-level statement that holds ``line``."""
        index = 0
        for i, stmt in enumerate(self.module.body):
            if self.file_line(self.positions[stmt].start.line) <= line:
                index = i
        return index

    def file_line(self, line: int) -> int:
        """The file's line number of ``line`` of the parsed text (they differ in a region)."""
        return self.unit.lines[line - 1] if self.unit.lines else line

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
            self.parsed.calls.setdefault((self.parsed.file_line(start.line), start.column), node)

    def _assign(self, node: cst.BaseSmallStatement) -> None:
        start = self.parsed.positions[node].start
        self.parsed.assigns.setdefault((self.parsed.file_line(start.line), start.column), node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            start = self.parsed.positions[node].start
            self.parsed.statements.setdefault((self.parsed.file_line(start.line), start.column), node)
        return super().on_visit(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assign(node)


def parse_unit(unit: Unit) -> Parsed:
    """Raises ``libcst.ParserSyntaxError`` for code libcst cannot parse."""
    # The module was just parsed and is used only through this wrapper: no defensive deep copy
    # (it doubled the time and memory of this step on large files).
    wrapper = MetadataWrapper(parse_for_rewrite(unit.text), unsafe_skip_copy=True)
    parsed = Parsed(unit, wrapper.module, wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider))
    wrapper.module.visit(_Index(parsed))
    return parsed
