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
    help: str = field(default="", compare=False)  # this finding's remedy and why; empty: the rule's


Check = Callable[[FileFacts, Catalogue], Iterable[RawFinding]]

# A message is one line saying what and where, at most this many characters (tests hold every rule
# example to it); the why and the remedy go to the finding's ``help``.
MESSAGE_LIMIT = 100

# How people write these modules; a finding's ``api`` keeps the resolved name.
_ALIASES = (("tensorflow_probability.", "tfp."), ("tensorflow_datasets.", "tfds."), ("tensorflow.", "tf."),
            ("numpy.", "np."))


def shown(api: str) -> str:
    """An API name as written in code: ``tf.data.Dataset.shuffle`` for ``tensorflow.data.Dataset.shuffle``."""
    for prefix, alias in _ALIASES:
        if api.startswith(prefix):
            return alias + api[len(prefix):]
    return api


def shorter(api: str) -> list[str]:
    """The API's written name, then shorter ones down to the shortest that still says which API:
    from the class on (``ImageDataGenerator.flow``), else the function's own name. Messages take
    the longest that fits."""
    parts = shown(api).split(".")
    last = next((i for i in range(len(parts) - 1, -1, -1) if parts[i][:1].isupper()), len(parts) - 1)
    return [".".join(parts[start:]) for start in range(last + 1)]


def brief(api: str) -> str:
    """The shortest of ``shorter(api)``."""
    return shorter(api)[-1]


def fitting(*candidates: str) -> str:
    """The first message (most detailed first) within MESSAGE_LIMIT, else the last one."""
    for candidate in candidates:
        if len(candidate) <= MESSAGE_LIMIT:
            return candidate
    return candidates[-1]


def named(api: str, after: str, before: str = "") -> str:
    """``before`api`after`` with the longest name of the API that fits."""
    return fitting(*(f"{before}`{name}`{after}" for name in shorter(api)))


def sentence(text: str) -> str:
    """``text`` starting with a capital, as rules.toml's helps do, unless it starts with code
    (``tf.random.set_seed alone ...`` stays as written)."""
    first = text.split(" ", 1)[0]
    if first[:1].islower() and not any(ch in first for ch in ".`()_="):
        return text[0].upper() + text[1:]
    return text


def at_call(node: ast.Call, pos: tuple[int, int], code: str, message: str, api: str,
            args: tuple[tuple[str, str], ...] = (), help: str = "") -> RawFinding:
    return RawFinding(pos[0], pos[1], node.end_lineno or pos[0], node.end_col_offset or pos[1],
                      code, message, api, args, node=node, help=help)


def all_checks() -> tuple[Check, ...]:
    from tfdetlint.checks import environment, ops, order, program, seeding

    return (seeding.check, ops.check, order.check, program.check, environment.check)


def run_checks(facts: FileFacts, catalogue: Catalogue) -> list[RawFinding]:
    found: list[RawFinding] = []
    for check in all_checks():
        found.extend(check(facts, catalogue))
    return found
