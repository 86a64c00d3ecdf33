"""Rules: each module matches one family's catalogue entries against a file's facts."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfdetlint.analysis import FileFacts
from tfdetlint.catalogue import Catalogue

if TYPE_CHECKING:
    from tfdetlint.intents import FixIntent


@dataclass(frozen=True)
class RawFinding:
    """A finding before it is placed in a file: positions are AST positions (byte columns)."""

    line: int
    col: int  # UTF-8 byte offset, as ast reports it
    end_line: int
    end_col: int
    code: str
    message: str
    api: str
    args: tuple[tuple[str, str], ...] = ()
    node: ast.AST | None = field(default=None, compare=False)  # the flagged call or statement
    fix: FixIntent | None = field(default=None, compare=False)  # set from the rule's fix builder


Check = Callable[[FileFacts, Catalogue], Iterable[RawFinding]]


def at_call(node: ast.Call, pos: tuple[int, int], code: str, message: str, api: str,
            args: tuple[tuple[str, str], ...] = ()) -> RawFinding:
    return RawFinding(pos[0], pos[1], node.end_lineno or pos[0], node.end_col_offset or pos[1],
                      code, message, api, args, node=node)


def all_checks() -> tuple[Check, ...]:
    from tfdetlint.checks import environment, ops, order, program, seeding

    return (seeding.check, ops.check, order.check, program.check, environment.check)


def run_checks(facts: FileFacts, catalogue: Catalogue) -> list[RawFinding]:
    found: list[RawFinding] = []
    for check in all_checks():
        found.extend(check(facts, catalogue))
    return found
