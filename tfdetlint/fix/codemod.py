"""Turn a file's findings into edits, and apply them to its libcst modules.

What each rule's fix is, and when it is safe, is decided here (``plan``); ``apply`` only edits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from tfdetlint.catalogue import Catalogue, RandomApi
from tfdetlint.findings import Finding
from tfdetlint.fix import edits, notebook
from tfdetlint.fix.imports import Binding, Names, bindings_of
from tfdetlint.fix.locate import Parsed, runs_once

# Findings a global seed at the top of a script covers (Python, NumPy, TF and Keras together).
GLOBAL_RULES = frozenset({"TFD101", "TFD102", "TFD103", "TFD104", "TFD301", "TFD302", "TFD303", "TFD305", "TFD501"})
DETERMINISM_RULES = frozenset({"TFD502", "TFD201"})
FLIP_RULES = frozenset({"TFD401", "TFD403"})
INSERTIONS = ("global-seed", "global-generator", "determinism")
# Existing set-up lines that inserted set-up code goes after (so determinism follows the seed).
_SETUP_CALLS = ("set_random_seed", "set_seed", "seed", "set_global_generator", "enable_op_determinism")
# Calls whose first argument is a per-call seed; their literals are not reused for new seeds.
_SEEDED_CONSTRUCTORS = frozenset({"from_seed", "default_rng", "Random", "RandomState", "PCG64", "PCG64DXSM",
                                  "MT19937", "Philox", "SFC64", "SeedSequence"})
_SEED_KEYWORDS = frozenset({"seed", "random_state"})
_GLOBAL_SETTERS = frozenset({"set_seed", "set_random_seed", "seed"})
DETERMINISM_NOTE = ("tf.config.experimental.enable_op_determinism() was inserted: from now on unseeded TF "
                    "random ops raise RuntimeError, and ops with no deterministic GPU kernel raise "
                    "UnimplementedError on GPU")


@dataclass(frozen=True)
class Context:
    """What about the whole file decides how it is fixed."""

    seed: int
    is_script: bool
    tf1: bool  # imports tensorflow.compat.v1: seed with its set_random_seed
    tf_or_keras: bool  # imports TensorFlow or Keras at all (else NumPy/Python seeds only)
    domains: frozenset[str]  # the global-seed domains the file's unseeded calls need
    keras_follows: str  # "python" (Keras 3) or "tf" (Keras 2)
    taken: dict[str, set[str]]  # module-level names and what they are bound to


@dataclass
class Edit:
    finding: Finding
    kind: str  # global-seed | global-generator | determinism | call-seed | from-seed | replace-seed | flip-arg | flip-attr
    safety: str  # "safe" | "unsafe"
    unit: int  # index of the parsed unit the finding is in
    node: cst.CSTNode | None = None  # the call or assignment to rewrite (None: an insertion)
    param: str | None = None
    pos: int | None = None
    flagged: str | None = None  # flip: the literal that was flagged
    fixed_seed: bool = False  # replace-seed in a global setter: use SEED itself
    description: str = ""


@dataclass
class Outcome:
    texts: list[str]
    applied: list[Edit] = field(default_factory=list)
    hidden: list[Edit] = field(default_factory=list)  # unsafe fixes left for --unsafe-fixes
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- plan
def unit_of(finding: Finding, units: Sequence[Parsed]) -> int | None:
    for index, parsed in enumerate(units):
        if parsed.unit.cell == finding.cell:
            return index
    return None


def plan(findings: Sequence[Finding], units: Sequence[Parsed], ctx: Context,
         catalogue: Catalogue) -> tuple[list[Edit], list[tuple[Finding, str]]]:
    planned: list[Edit] = []
    skipped: list[tuple[Finding, str]] = []
    for finding in findings:
        rule = catalogue.rules.get(finding.code)
        if rule is None or rule.fix == "none":
            continue  # never touched
        unit = unit_of(finding, units)
        result = "the flagged code is in a cell that could not be parsed" if unit is None else \
            _plan_one(finding, unit, list(units), ctx, catalogue)
        if isinstance(result, Edit):
            planned.append(result)
        else:
            skipped.append((finding, result))
    return planned, skipped


def _plan_one(finding: Finding, unit: int, units: list[Parsed], ctx: Context, catalogue: Catalogue) -> Edit | str:
    code, api = finding.code, finding.api
    parsed = units[unit]
    call = parsed.calls.get((finding.line, finding.column - 1))
    if code in DETERMINISM_RULES:
        return Edit(finding, "determinism", "unsafe", unit, description="enable op determinism")
    if code == "TFD402":
        assign = parsed.assigns.get((finding.line, finding.column - 1))
        if assign is None:
            return "cannot find the flagged assignment"
        return Edit(finding, "flip-attr", "unsafe", unit, assign, flagged="False", description="set it to True")
    if call is None:
        if code in GLOBAL_RULES and ctx.is_script:
            return Edit(finding, "global-seed", "safe", unit, description="seed at the top of the script")
        return "cannot find the flagged call"
    if code in FLIP_RULES:
        return _plan_flip(finding, unit, call, catalogue)
    if code == "TFD106":
        return _plan_entropy(finding, unit, call, catalogue)
    once = runs_once(call, units, parsed)
    if code == "TFD105":
        return _plan_generator(finding, unit, call, once, ctx, catalogue)
    if code == "TFD304" and (once or not ctx.is_script):
        entry = _random_entry(api, code, catalogue)
        return Edit(finding, "call-seed", "safe" if once else "unsafe", unit, call, entry.seed if entry else
                    "random_state", entry.seed_pos if entry else None, description="pass random_state")
    if code in GLOBAL_RULES or code == "TFD304":
        if ctx.is_script:
            return Edit(finding, "global-seed", "safe", unit, description="seed at the top of the script")
        entry = _random_entry(api, code, catalogue)
        if entry is None or entry.seed is None:
            return "a library module is seeded by its caller, and this call takes no seed"
        # The caller's global seed would cover it; a fixed seed here changes what callers get.
        return Edit(finding, "call-seed", "unsafe", unit, call, entry.seed, entry.seed_pos,
                    description=f"pass {entry.seed}=SEED")
    return "no fix for this rule"


def _random_entry(api: str, code: str, catalogue: Catalogue) -> RandomApi | None:
    entries = catalogue.random_apis.get(api, ())
    return next((e for e in entries if e.rule == code and e.seed), next((e for e in entries if e.seed), None))


def _plan_flip(finding: Finding, unit: int, call: cst.Call, catalogue: Catalogue) -> Edit | str:
    entry = next((e for e in catalogue.order_apis.get(finding.api, ()) if e.rule == finding.code), None)
    if entry is None:
        return "no catalogue entry for this call"
    return Edit(finding, "flip-arg", "unsafe", unit, call, entry.param, entry.param_pos, flagged=entry.value,
                description=f"{entry.param}={_negate(entry.value)}")


def _plan_entropy(finding: Finding, unit: int, call: cst.Call, catalogue: Catalogue) -> Edit | str:
    setter = catalogue.setters.get(finding.api)
    if setter is not None:
        return Edit(finding, "replace-seed", "unsafe", unit, call, setter.seed_param, setter.seed_pos,
                    fixed_seed=True, description="use a fixed seed")
    entry = _random_entry(finding.api, "", catalogue)
    if entry is None:
        return "cannot tell which argument is the seed"
    return Edit(finding, "replace-seed", "unsafe", unit, call, entry.seed, entry.seed_pos,
                description="use a fixed seed")


def _plan_generator(finding: Finding, unit: int, call: cst.Call, once: bool, ctx: Context,
                    catalogue: Catalogue) -> Edit | str:
    safety = "safe" if once else "unsafe"
    if finding.api.endswith(".get_global_generator"):
        # Setting the global generator when a library is imported changes it for every caller.
        return Edit(finding, "global-generator", "safe" if ctx.is_script else "unsafe", unit,
                    description="set the global generator from a seed")
    if finding.api.endswith(".from_non_deterministic_state"):
        if not isinstance(call.func, cst.Attribute):
            return "the method is called through an alias"
        return Edit(finding, "from-seed", safety, unit, call, description="Generator.from_seed(SEED)")
    entry = _random_entry(finding.api, finding.code, catalogue)
    if entry is None:
        return "cannot tell which argument is the seed"
    return Edit(finding, "call-seed", safety, unit, call, entry.seed, entry.seed_pos, description="pass a seed")


def _negate(literal: str | None) -> str:
    return {"False": "True", "True": "False"}.get(literal or "", "True")


# --------------------------------------------------------------------------------------------- apply
class SeedAllocator:
    """Distinct per-call seeds SEED, SEED+1, ...: two generators with one seed draw the same numbers."""

    def __init__(self, base: int, used: set[int]) -> None:
        self.next_value = base
        self.used = used

    def take(self) -> int:
        while self.next_value in self.used:
            self.next_value += 1
        self.used.add(self.next_value)
        return self.next_value


def used_seeds(units: Sequence[Parsed]) -> set[int]:
    """Integer literals the file already passes as per-call seeds."""
    used: set[int] = set()
    for parsed in units:
        for call in parsed.calls.values():
            name = edits.terminal_name(call.func)
            if name is None or name.value in _GLOBAL_SETTERS:
                continue
            for index, arg in enumerate(call.args):
                seedish = (arg.keyword is not None and arg.keyword.value in _SEED_KEYWORDS) or (
                    index == 0 and arg.keyword is None and name.value in _SEEDED_CONSTRUCTORS)
                if seedish and isinstance(arg.value, cst.Integer):
                    used.add(int(arg.value.evaluated_value))
    return used


Change = Callable[[cst.CSTNode], cst.CSTNode]


class _Rewrite(cst.CSTTransformer):
    def __init__(self, changes: dict[int, list[Change]]) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        for change in self.changes.get(id(original_node), ()):
            updated_node = change(updated_node)
        return updated_node


def apply(units: Sequence[Parsed], chosen: Sequence[Edit], ctx: Context) -> Outcome:
    """Apply ``chosen`` (already filtered for safety); returns the new text of every unit."""
    outcome = Outcome([p.unit.text for p in units])
    allocator = SeedAllocator(ctx.seed, used_seeds(units))
    ordered = sorted(chosen, key=lambda e: (e.unit, e.finding.line, e.finding.column, e.finding.code))
    seeds = {id(e): allocator.take() for e in ordered if e.kind in ("call-seed", "from-seed", "global-generator")
             or (e.kind == "replace-seed" and not e.fixed_seed)}
    changes: dict[int, dict[int, list[Change]]] = {}
    for edit in ordered:
        if edit.kind in INSERTIONS:
            continue
        assert edit.node is not None
        change = _change_for(edit, seeds.get(id(edit), ctx.seed))
        changes.setdefault(edit.unit, {}).setdefault(id(edit.node), []).append(change)
        outcome.applied.append(edit)
    inserts = [e for e in ordered if e.kind in INSERTIONS]
    insertion: Insertion | None = None
    if inserts:
        insertion = _insertion(units, inserts, ctx, seeds, outcome)
    for index, parsed in enumerate(units):
        module = parsed.module
        if index in changes:
            module = module.visit(_Rewrite(changes[index]))
        if insertion is not None and insertion.unit == index:
            body = list(module.body)
            body[insertion.setup_at:insertion.setup_at] = insertion.setup
            body[insertion.imports_at:insertion.imports_at] = insertion.imports
            module = module.with_changes(body=body)
        outcome.texts[index] = module.code
    return outcome


def _change_for(edit: Edit, seed: int) -> Change:
    value = edits.int_expr(seed)

    def call_seed(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        return edits.set_seed_arg(node, edit.param, edit.pos, value)

    def from_seed(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        renamed = node.with_changes(func=node.func.with_changes(attr=cst.Name("from_seed")))
        return edits.add_first_positional(renamed, value)

    def flip_arg(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        index = edits.find_arg(node, edit.param, edit.pos)
        if index is None or not _is_name(node.args[index].value, edit.flagged):
            return node
        return edits.replace_arg_value(node, index, cst.Name(_negate(edit.flagged)))

    def flip_attr(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, (cst.Assign, cst.AnnAssign))
        if node.value is None or not _is_name(node.value, edit.flagged):
            return node
        return node.with_changes(value=cst.Name(_negate(edit.flagged)))

    return {"call-seed": call_seed, "replace-seed": call_seed, "from-seed": from_seed,
            "flip-arg": flip_arg, "flip-attr": flip_attr}[edit.kind]


def _is_name(node: cst.BaseExpression, value: str | None) -> bool:
    return isinstance(node, cst.Name) and node.value == value


# ----------------------------------------------------------------------------------------- insertion
@dataclass(frozen=True)
class Insertion:
    unit: int
    imports_at: int  # body index for imports the fix needs: right after the file's own
    imports: list[cst.SimpleStatementLine]
    setup_at: int  # body index for the set-up calls: after any set-up lines already there
    setup: list[cst.SimpleStatementLine]


def insertion_point(units: Sequence[Parsed], targets: Sequence[tuple[int, int]]) -> tuple[int, int, int]:
    """(unit, imports index, set-up index): right after the last top-level import above the first
    flagged line (else after the docstring), and for set-up calls also after any seed or
    determinism line already there."""
    first_unit, first_line = min(targets)
    stop = units[first_unit].statement_index(first_line)
    for unit in range(first_unit, -1, -1):
        body = units[unit].module.body
        limit = stop if unit == first_unit else len(body)
        for index in range(limit - 1, -1, -1):
            if edits.is_import(body[index]):
                return unit, index + 1, _after_setup(body, index + 1, limit)
    body = units[first_unit].module.body
    start = 1 if body and edits.is_docstring(body[0]) else 0
    return first_unit, start, _after_setup(body, start, stop)


def _after_setup(body: Sequence[cst.BaseStatement], index: int, limit: int) -> int:
    while index < limit:
        name = edits.called_name(body[index])
        if name is None or name.rsplit(".", 1)[-1] not in _SETUP_CALLS:
            break
        index += 1
    return index


def _names_at(units: Sequence[Parsed], unit: int, index: int, ctx: Context) -> Names:
    before: list[Binding] = []
    after: list[Binding] = []
    for u, parsed in enumerate(units):
        for i, stmt in enumerate(parsed.module.body):
            if edits.is_import(stmt):
                (before if (u, i) < (unit, index) else after).extend(bindings_of(stmt))
    return Names(before, after, ctx.taken)


def _insertion(units: Sequence[Parsed], inserts: list[Edit], ctx: Context, seeds: dict[int, int],
               outcome: Outcome) -> Insertion | None:
    targets = [(e.unit, e.finding.line) for e in inserts]
    in_notebook = bool(units) and units[0].unit.cell is not None
    point = notebook.seed_point(units, targets, needs_tf=ctx.tf_or_keras, tf1=ctx.tf1) if in_notebook else None
    unit, imports_at, index = point or insertion_point(units, targets)
    names = _names_at(units, unit, imports_at, ctx)
    code: list[str] = []
    for kind in INSERTIONS:
        group = [e for e in inserts if e.kind == kind]
        if not group:
            continue
        lines = _setup_code(kind, names, ctx, seeds.get(id(group[0]), ctx.seed))
        if lines is None:
            outcome.skipped += [(e.finding, "cannot import what the fix needs without rebinding a name this "
                                 "file uses") for e in group]
            continue
        code += lines
        outcome.applied += group
        if kind == "determinism":
            outcome.notes.append(DETERMINISM_NOTE)
    if not code:
        return None
    newline = units[unit].newline
    imports = [edits.statement(line, newline) for line in names.added]
    setup = [edits.statement(line, newline) for line in code]
    body = units[unit].module.body
    if 0 < index < len(body) and edits.is_import(body[index - 1]) and _blank_before(body[index]):
        # The file keeps a blank line between its imports and its code: so does the set-up block.
        setup[0] = setup[0].with_changes(leading_lines=[cst.EmptyLine(newline=cst.Newline(newline))])
    elif in_notebook and index == len(body) and notebook.blank_line_style(body):
        setup[0] = setup[0].with_changes(leading_lines=[cst.EmptyLine(newline=cst.Newline(newline))])
    return Insertion(unit, imports_at, imports, index, setup)


def _blank_before(stmt: cst.BaseStatement) -> bool:
    lines: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
    return bool(lines) and lines[0].comment is None


def _setup_code(kind: str, names: Names, ctx: Context, seed: int) -> list[str] | None:
    if kind == "global-seed":
        return _seed_code(names, ctx)
    if kind == "global-generator":
        setter = names.access(["tensorflow.random.set_global_generator"])
        generator = names.access(["tensorflow.random.Generator"])
        if setter is None or generator is None:
            return None
        return [f"{setter}({generator}.from_seed({seed}))"]
    enable = names.access(["tensorflow.config.experimental.enable_op_determinism"])
    return None if enable is None else [f"{enable}()"]


def _seed_code(names: Names, ctx: Context) -> list[str] | None:
    """The global seed: keras' set_random_seed seeds Python, NumPy and TF at once. TF1 graph code
    and files without TF or Keras get the seeds of the domains they use instead."""
    if ctx.tf_or_keras and not ctx.tf1:
        wanted = [["keras.utils.set_random_seed", "tensorflow.keras.utils.set_random_seed",
                   "tf_keras.utils.set_random_seed"]]
    else:
        wanted = [["tensorflow.compat.v1.set_random_seed"]] if ctx.tf1 else []
        if "numpy" in ctx.domains:
            wanted.append(["numpy.random.seed"])
        if "python" in ctx.domains or ("keras" in ctx.domains and ctx.keras_follows == "python"):
            wanted.append(["random.seed"])
    calls = [names.access(qnames) for qnames in wanted]
    if not calls or any(call is None for call in calls):
        return None
    return [f"{call}({ctx.seed})" for call in calls]
