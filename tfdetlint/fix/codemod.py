"""Apply findings' fix intents to a file's libcst modules: locate, render, splice.

What to fix, how, where and how safely was decided with the finding (``tfdetlint.intents``);
this module only finds the intent's nodes by position, writes the code in the file's own
spelling (``tf``, ``from tensorflow import keras``) and puts it where the intent says.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from tfdetlint.catalogue import Catalogue
from tfdetlint.findings import Finding
from tfdetlint.fix import edits, notebook
from tfdetlint.fix.imports import Binding, Names, bindings_of
from tfdetlint.fix.locate import Parsed
from tfdetlint.intents import AnchorKind, FixIntent, FixKind, Loc, Safety

# How each seeder of an intent is spelled, first choice first.
SEEDERS: dict[str, tuple[str, ...]] = {
    "all": ("keras.utils.set_random_seed", "tensorflow.keras.utils.set_random_seed",
            "tf_keras.utils.set_random_seed"),
    "tf": ("tensorflow.random.set_seed",),
    "tf1": ("tensorflow.compat.v1.set_random_seed",),
    "numpy": ("numpy.random.seed",),
    "python": ("random.seed",),
}
_SEEDER_ORDER = ("all", "tf1", "tf", "numpy", "python")
_DETERMINISM = ("tensorflow.config.experimental.enable_op_determinism",)
_NODE_KINDS = frozenset({FixKind.SEED_ARGUMENT, FixKind.FROM_SEED, FixKind.REPLACE_SEED,
                         FixKind.FLIP_ARGUMENT, FixKind.FLIP_ATTRIBUTE, FixKind.WRAP_SORTED,
                         FixKind.LIST_TO_SORTED})
_SEEDING_KINDS = frozenset({FixKind.SEED_ARGUMENT, FixKind.REPLACE_SEED, FixKind.FROM_SEED})  # need a seed value
_NO_IMPORT = "cannot import what the fix needs without rebinding a name this file uses"
Change = Callable[[cst.CSTNode], cst.CSTNode]


@dataclass
class Outcome:
    texts: list[str]
    applied: list[Finding] = field(default_factory=list)
    hidden: list[Finding] = field(default_factory=list)  # unsafe fixes left for --unsafe-fixes
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def unit_of(loc_cell: int | None, units: Sequence[Parsed]) -> int | None:
    for index, parsed in enumerate(units):
        if parsed.unit.cell == loc_cell:
            return index
    return None


class SeedAllocator:
    """Distinct literal per-call seeds SEED, SEED+1, ...: two generators with one seed draw the same numbers."""

    def __init__(self, base: int, used: set[int]) -> None:
        self.next_value = base
        self.used = used

    def take(self) -> int:
        while self.next_value in self.used:
            self.next_value += 1
        self.used.add(self.next_value)
        return self.next_value


def used_seeds(tree: ast.AST, catalogue: Catalogue) -> set[int]:
    """Integer literals the file already passes as per-call seeds (the catalogue's seed parameters).

    Read from the ``ast`` of the whole file, not libcst's tree: libcst may see only the
    statements a fix touches (``fix.region``), and a new seed must differ from every one.
    """
    params: dict[str, tuple[str | None, int | None]] = {}
    for name, entries in catalogue.random_apis.items():
        for entry in entries:
            if entry.seed:
                params.setdefault(name.rsplit(".", 1)[-1], (entry.seed, entry.seed_pos))
    used: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        seed = params.get(called) if called is not None else None
        value = _seed_arg(node, *seed) if seed is not None else None
        if isinstance(value, ast.Constant) and type(value.value) is int:
            used.add(value.value)
    return used


def _seed_arg(call: ast.Call, name: str | None, pos: int | None) -> ast.expr | None:
    """The argument bound to parameter ``name`` (keyword) or ``pos`` (as ``edits.find_arg``)."""
    for keyword in call.keywords:
        if name is not None and keyword.arg == name:
            return keyword.value
    if pos is None:
        return None
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None  # *args hides where `pos` lands
        if index == pos:
            return arg
    return None


@dataclass
class _Group:
    """Everything inserted at one anchor."""

    unit: int
    kind: AnchorKind
    at: Loc | None
    seed: str | None = None
    seeders: list[str] = field(default_factory=list)
    generator: str | None = None
    determinism: bool = False
    findings: list[Finding] = field(default_factory=list)
    replace: cst.Call | None = None  # REPLACE_CALL: the seeding call that becomes the all-domain one


def apply(units: Sequence[Parsed], findings: Sequence[Finding], catalogue: Catalogue, seed: int, unsafe: bool,
          taken: dict[str, set[str]], tree: ast.AST) -> Outcome:
    """Apply the intents of ``findings`` (unsafe ones only if ``unsafe``); the new text of every unit.
    ``tree``: the ``ast`` of all the code (for the seeds already in use)."""
    outcome = Outcome([p.unit.text for p in units])
    chosen = choose(findings, unsafe, outcome)
    allocator = SeedAllocator(seed, used_seeds(tree, catalogue))
    changes: dict[int, dict[int, list[Change]]] = {}
    groups: dict[tuple[int, AnchorKind, Loc | None], _Group] = {}
    for finding, intent in chosen:
        problem = _plan(finding, intent, units, allocator, seed, changes, groups)
        if problem is not None:
            outcome.skipped.append((finding, problem))
        elif intent.kind in _NODE_KINDS:
            outcome.applied.append(finding)
    inserts: dict[int, _Inserts] = {}
    for group in groups.values():
        problem = _render(group, units, taken, seed, inserts, changes)
        if problem is not None:
            outcome.skipped += [(f, problem) for f in group.findings]
            continue
        outcome.applied += group.findings
    for finding, intent in chosen:
        if finding in outcome.applied:
            outcome.notes += [n for n in intent.notes if n not in outcome.notes]
    for index, parsed in enumerate(units):
        if index not in changes and index not in inserts:
            continue
        rewrite = _Rewrite(changes.get(index, {}), inserts.get(index, _Inserts()))
        outcome.texts[index] = parsed.module.visit(rewrite).code
    return outcome


def choose(findings: Sequence[Finding], unsafe: bool, outcome: Outcome) -> list[tuple[Finding, FixIntent]]:
    """The findings whose intents are to be applied; refused and unsafe ones go to ``outcome``."""
    chosen: list[tuple[Finding, FixIntent]] = []
    for finding in sorted(findings):
        intent = finding.fix
        if intent is None:
            continue
        if intent.safety is Safety.NONE:
            outcome.notes += [n for n in intent.notes if n not in outcome.notes]
            outcome.skipped.append((finding, "; ".join(intent.notes) or "no fix"))
        elif intent.safety is Safety.UNSAFE and not unsafe:
            outcome.hidden.append(finding)
        else:
            chosen.append((finding, intent))
    return chosen


def _plan(finding: Finding, intent: FixIntent, units: Sequence[Parsed], allocator: SeedAllocator, seed: int,
          changes: dict[int, dict[int, list[Change]]],
          groups: dict[tuple[int, AnchorKind, Loc | None], _Group]) -> str | None:
    """Record the edit for one intent; a reason when it cannot be made."""
    if intent.kind in _NODE_KINDS:
        assert intent.target is not None
        unit = unit_of(intent.target.cell, units)
        if unit is None:
            return "the flagged code is in a cell that could not be parsed"
        parsed = units[unit]
        where = (intent.target.line, intent.target.col)
        node: cst.CSTNode | None = (parsed.assigns if intent.kind is FixKind.FLIP_ATTRIBUTE else parsed.calls).get(where)
        if node is None:
            return "cannot find the flagged code"
        seeds = intent.kind in _SEEDING_KINDS
        change = _change_for(intent, _seed_value(intent, allocator, seed) if seeds else None)
        changes.setdefault(unit, {}).setdefault(id(node), []).append(change)
        return None
    anchor = intent.anchor
    if anchor is None:
        return "no place to put the fix"
    cell = anchor.at.cell if anchor.at is not None else finding.cell
    unit = unit_of(cell, units)
    if unit is None:
        return "the flagged code is in a cell that could not be parsed"
    # Module-top seeding is one block for the whole file (notebook: in the cell with the imports).
    key = (-1 if anchor.kind is AnchorKind.AFTER_IMPORTS else unit, anchor.kind, anchor.at)
    group = groups.setdefault(key, _Group(unit, anchor.kind, anchor.at))
    group.unit = min(group.unit, unit) if anchor.kind is AnchorKind.AFTER_IMPORTS else unit
    if anchor.kind is AnchorKind.REPLACE_CALL:
        assert anchor.at is not None
        call = units[unit].calls.get((anchor.at.line, anchor.at.col))
        if call is None:
            return "cannot find the program's seeding call"
        group.replace = call
    group.findings.append(finding)
    if group.seed is None:
        group.seed = intent.seed
    if intent.kind is FixKind.SET_GLOBAL_GENERATOR:
        group.generator = _seed_value(intent, allocator, seed)
        return None
    for seeder in intent.domains:
        if seeder not in group.seeders:
            group.seeders.append(seeder)
    if intent.kind is FixKind.ENABLE_DETERMINISM:
        group.determinism = True
    return None


def _seed_value(intent: FixIntent, allocator: SeedAllocator, seed: int) -> str:
    if intent.seed is None:
        return str(seed) if intent.shared else str(allocator.take())
    if intent.offset == 0 or intent.shared:
        return intent.seed
    try:
        return str(int(intent.seed) + intent.offset)
    except ValueError:
        return f"{intent.seed} + {intent.offset}"


# --------------------------------------------------------------------------------------- node edits
def _change_for(intent: FixIntent, seed: str | None) -> Change:
    """The edit of one node; ``seed``: the seed expression, for the kinds in ``_SEEDING_KINDS``."""
    value = cst.parse_expression(seed) if seed is not None else None

    def seed_argument(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call) and value is not None
        return edits.set_seed_arg(node, intent.param, intent.pos, value)

    def from_seed(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call) and value is not None
        if not isinstance(node.func, cst.Attribute):
            return node
        renamed = node.with_changes(func=node.func.with_changes(attr=cst.Name("from_seed")))
        return edits.add_first_positional(renamed, value)

    def flip_argument(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        index = edits.find_arg(node, intent.param, intent.pos)
        if index is None or not _is_name(node.args[index].value, intent.literal):
            return node
        return edits.replace_arg_value(node, index, cst.Name(_negate(intent.literal)))

    def flip_attribute(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, (cst.Assign, cst.AnnAssign))
        if node.value is None or not _is_name(node.value, intent.literal):
            return node
        return node.with_changes(value=cst.Name(_negate(intent.literal)))

    def wrap_sorted(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        return cst.Call(func=cst.Name("sorted"), args=[cst.Arg(node)])

    def list_to_sorted(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        if not (isinstance(node.func, cst.Name) and node.func.value == "list"):
            return node
        return node.with_changes(func=cst.Name("sorted"))

    return {FixKind.SEED_ARGUMENT: seed_argument, FixKind.REPLACE_SEED: seed_argument, FixKind.FROM_SEED: from_seed,
            FixKind.FLIP_ARGUMENT: flip_argument, FixKind.FLIP_ATTRIBUTE: flip_attribute,
            FixKind.WRAP_SORTED: wrap_sorted, FixKind.LIST_TO_SORTED: list_to_sorted}[intent.kind]


def _negate(literal: str | None) -> str:
    return {"False": "True", "True": "False"}.get(literal or "", "True")


def _is_name(node: cst.BaseExpression, value: str | None) -> bool:
    return isinstance(node, cst.Name) and node.value == value


# ---------------------------------------------------------------------------------------- insertion
@dataclass
class _Inserts:
    before: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)  # id(statement) -> new lines
    after: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    at_end: list[cst.BaseStatement] = field(default_factory=list)  # an empty module


def _render(group: _Group, units: Sequence[Parsed], taken: dict[str, set[str]], seed: int,
            inserts: dict[int, _Inserts], changes: dict[int, dict[int, list[Change]]]) -> str | None:
    index = 0
    if group.kind is AnchorKind.AFTER_IMPORTS:
        group.unit, index = _after_imports(units, group)
    parsed = units[group.unit]
    body = parsed.module.body
    imports_at = index if group.kind is AnchorKind.AFTER_IMPORTS else _imports_end(parsed)
    names = _names_at(units, group.unit, imports_at if group.kind is AnchorKind.AFTER_IMPORTS else len(body), taken)
    value = group.seed if group.seed is not None else str(seed)
    seeders = ["all"] if "all" in group.seeders else sorted(group.seeders, key=_SEEDER_ORDER.index)
    code: list[str] = []
    if group.kind is AnchorKind.REPLACE_CALL:
        assert group.replace is not None
        spelled = names.access(SEEDERS["all"])
        if spelled is None:
            return _NO_IMPORT
        changes.setdefault(group.unit, {}).setdefault(id(group.replace), []).append(_replace_func(spelled))
    else:
        for seeder in seeders:
            spelled = names.access(SEEDERS[seeder])
            if spelled is None:
                return _NO_IMPORT
            code.append(f"{spelled}({value})")
    if group.generator is not None:
        setter = names.access(["tensorflow.random.set_global_generator"])
        generator = names.access(["tensorflow.random.Generator"])
        if setter is None or generator is None:
            return _NO_IMPORT
        code.append(f"{setter}({generator}.from_seed({group.generator}))")
    if group.determinism:
        enable = names.access(_DETERMINISM)
        if enable is None:
            return _NO_IMPORT
        code.append(f"{enable}()")
    newline = parsed.newline
    lines = [edits.statement(line, newline) for line in code]
    slot = inserts.setdefault(group.unit, _Inserts())
    if names.added:
        new_imports = [edits.statement(line, newline) for line in names.added]
        _put_at_index(slot, body, imports_at, new_imports)
    if not lines:
        return None
    if group.kind is AnchorKind.AFTER_IMPORTS:
        in_cell_end = parsed.unit.cell is not None and index == len(body) and notebook.blank_line_style(body)
        if (0 < index < len(body) and edits.is_import(body[index - 1]) and _blank_before(body[index])) or in_cell_end:
            # The file (or the notebook cell) keeps blank lines between its statements: so does the set-up block.
            lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine(newline=cst.Newline(newline))])
        _put_at_index(slot, body, index, lines)
        return None
    assert group.at is not None
    if group.replace is not None:  # REPLACE_CALL: determinism goes right after the seeding statement
        statement = parsed.statement_of(group.replace)
    else:
        statement = parsed.statements.get((group.at.line, group.at.col))
    if statement is None:
        return "cannot find where the program's seed goes"
    where = slot.before if group.kind is AnchorKind.BEFORE else slot.after
    where.setdefault(id(statement), []).extend(lines)
    return None


def _put_at_index(slot: _Inserts, body: Sequence[cst.BaseStatement], index: int,
                  lines: Sequence[cst.BaseStatement]) -> None:
    """Insert before module statement ``index`` (after the last one when ``index`` is the end)."""
    if index < len(body):
        slot.before.setdefault(id(body[index]), []).extend(lines)
    elif body:
        slot.after.setdefault(id(body[-1]), []).extend(lines)
    else:
        slot.at_end.extend(lines)


def _replace_func(spelled: str) -> Change:
    def change(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        args = list(node.args)
        if args and args[0].keyword is not None:  # `random.seed(a=S)`: Keras' seeder names it `seed`
            args[0] = args[0].with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)
        return node.with_changes(func=cst.parse_expression(spelled), args=args)

    return change


def _imports_end(parsed: Parsed) -> int:
    """The module index right after the last top-level import (else after the docstring)."""
    body = parsed.module.body
    for index in range(len(body) - 1, -1, -1):
        if edits.is_import(body[index]):
            return index + 1
    return 1 if body and edits.is_docstring(body[0]) else 0


def _after_imports(units: Sequence[Parsed], group: _Group) -> tuple[int, int]:
    """(unit, module index): right after the last top-level import above the first line the group
    fixes, looking back through earlier cells (else after the first cell's docstring)."""
    first_unit = group.unit
    cell = units[first_unit].unit.cell
    lines = [f.line for f in group.findings if f.cell == cell] or [len(units[first_unit].unit.text.splitlines()) + 1]
    stop = units[first_unit].statement_index(min(lines)) + 1
    for unit in range(first_unit, -1, -1):
        body = units[unit].module.body
        limit = min(stop, len(body)) if unit == first_unit else len(body)
        for index in range(limit - 1, -1, -1):
            if edits.is_import(body[index]):
                return unit, index + 1
    body = units[first_unit].module.body
    return first_unit, 1 if body and edits.is_docstring(body[0]) else 0


def _names_at(units: Sequence[Parsed], unit: int, index: int, taken: dict[str, set[str]]) -> Names:
    before: list[Binding] = []
    after: list[Binding] = []
    for u, parsed in enumerate(units):
        for i, stmt in enumerate(parsed.module.body):
            if edits.is_import(stmt):
                (before if (u, i) < (unit, index) else after).extend(bindings_of(stmt))
    return Names(before, after, taken)


def _blank_before(stmt: cst.BaseStatement) -> bool:
    lines: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
    return bool(lines) and lines[0].comment is None


class _Rewrite(cst.CSTTransformer):
    """Node changes by identity, and new statements spliced around statements by identity."""

    def __init__(self, changes: dict[int, list[Change]], inserts: _Inserts) -> None:
        super().__init__()
        self.changes = changes
        self.inserts = inserts

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        for change in self.changes.get(id(original_node), ()):
            updated_node = change(updated_node)
        if isinstance(original_node, (cst.Module, cst.IndentedBlock)):
            assert isinstance(updated_node, (cst.Module, cst.IndentedBlock))
            body: list[cst.BaseStatement] = []
            for old, new in zip(original_node.body, updated_node.body, strict=True):
                body += self.inserts.before.get(id(old), [])
                body.append(new)
                body += self.inserts.after.get(id(old), [])
            if isinstance(original_node, cst.Module) and not original_node.body:
                body += self.inserts.at_end
            updated_node = updated_node.with_changes(body=body)
        return updated_node
