"""Fix intents: what repairs a finding, where, with which seed, and whether that is safe.

A rule's fix builder (``BUILDERS``, read through the registry) turns a raw finding into a
``FixIntent`` from the facts the check already used: the seed state at the call, whether the
call runs once, script or library, the program's own seed. The finding's ``fixable`` is the
intent's safety, so the report and ``--fix`` cannot disagree; ``tfdetlint.fix`` only locates the
intent's nodes in the libcst tree and renders the edit.

The seed a fix uses is the program's own where it has one (an earlier ``set_seed``'s argument,
an absl ``FLAGS.seed``, an argparse ``args.seed``, a module ``SEED`` constant), inserted where
that seed is known (in ``main()`` once flags are parsed, right after the program's own seeding,
after ``disable_v2_behavior()``, inside the ``with tf.Graph().as_default():`` block the program
builds in). Only a program with no seed gets the configured literal (``seed=None`` here).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any

from tfdetlint.analysis import FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.values import FlagDefinition, Known
from tfdetlint.arguments import argument, is_none, source_text
from tfdetlint.catalogue import Catalogue, RandomApi


class FixKind(str, Enum):
    SEED_PROGRAM = "seed-program"  # seed the program's global RNGs at the anchor
    ENABLE_DETERMINISM = "enable-determinism"  # (and seed the program first if nothing does)
    SET_GLOBAL_GENERATOR = "set-global-generator"
    SEED_ARGUMENT = "seed-argument"  # give the flagged call its seed (or replace an explicit None)
    FROM_SEED = "from-seed"  # Generator.from_non_deterministic_state() -> Generator.from_seed(SEED)
    REPLACE_SEED = "replace-seed"  # a seed from the clock becomes a fixed one
    FLIP_ARGUMENT = "flip-argument"  # deterministic=False -> True, sloppy=True -> False
    FLIP_ATTRIBUTE = "flip-attribute"  # options.deterministic = False -> True
    WRAP_SORTED = "wrap-sorted"  # glob.glob(p) -> sorted(glob.glob(p))
    LIST_TO_SORTED = "list-to-sorted"  # list(path.glob(p)) -> sorted(path.glob(p))


class Safety(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"  # a fix was considered and refused: ``notes`` say why


class AnchorKind(str, Enum):
    AFTER_IMPORTS = "after-imports"  # module level, after the imports above the first flagged line
    BEFORE = "before"  # before the statement at ``at`` (the first of main() once flags are parsed,
    #                    the first inside a `with tf.Graph().as_default():` block)
    AFTER = "after"  # after the statement at ``at`` (parse_args, disable_v2_behavior, the program's seeding)
    REPLACE_CALL = "replace-call"  # the seeding call at ``at`` becomes the all-domain seeder, same seed


@dataclass(frozen=True)
class Loc:
    """A place in the file: ``line`` 1-based (inside ``cell`` in a notebook), ``col`` 0-based.

    Built with AST positions (byte columns); the engine converts them to characters.
    """

    line: int
    col: int
    cell: int | None = None


@dataclass(frozen=True)
class Anchor:
    kind: AnchorKind
    at: Loc | None = None


@dataclass(frozen=True)
class FixIntent:
    kind: FixKind
    safety: Safety
    description: str
    target: Loc | None = None  # the call (its called name) or assignment to edit
    param: str | None = None
    pos: int | None = None
    literal: str | None = None  # flips: the flagged literal
    seed: str | None = None  # seed expression; None: the configured literal
    offset: int = 0  # per-call seeds are SEED, SEED + 1, ...: equal seeds give equal streams
    shared: bool = False  # the program's one seed itself, not a distinct per-call one (global setters)
    domains: tuple[str, ...] = ()  # seeders to insert: "all" (Keras' set_random_seed) or tf, tf1, numpy, python
    anchor: Anchor | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "safety": self.safety.value,
                                "description": self.description}
        for name in ("param", "pos", "literal", "seed"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.offset:
            data["offset"] = self.offset
        if self.shared:
            data["shared"] = True
        if self.domains:
            data["domains"] = list(self.domains)
        if self.notes:
            data["notes"] = list(self.notes)
        if self.target is not None:
            data["target"] = _loc_json(self.target)
        if self.anchor is not None:
            data["anchor"] = {"kind": self.anchor.kind.value,
                              **({"at": _loc_json(self.anchor.at)} if self.anchor.at else {})}
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> FixIntent:
        anchor = data.get("anchor")
        return FixIntent(
            kind=FixKind(data["kind"]), safety=Safety(data["safety"]), description=str(data["description"]),
            target=_loc(data["target"]) if data.get("target") else None,
            param=data.get("param"), pos=data.get("pos"), literal=data.get("literal"), seed=data.get("seed"),
            offset=int(data.get("offset", 0)), shared=bool(data.get("shared", False)), domains=tuple(data.get("domains", ())),
            anchor=Anchor(AnchorKind(anchor["kind"]), _loc(anchor["at"]) if anchor.get("at") else None)
            if anchor else None,
            notes=tuple(data.get("notes", ())),
        )

    def placed(self, place: Callable[[Loc], Loc]) -> FixIntent:
        """The intent with its AST positions moved by ``place`` (to cells and characters)."""
        anchor = self.anchor
        if anchor is not None and anchor.at is not None:
            anchor = Anchor(anchor.kind, place(anchor.at))
        return replace(self, target=place(self.target) if self.target else None, anchor=anchor)


def _loc_json(loc: Loc) -> list[int | None]:
    return [loc.line, loc.col, loc.cell]


def _loc(data: list[Any]) -> Loc:
    return Loc(int(data[0]), int(data[1]), None if data[2] is None else int(data[2]))


# ------------------------------------------------------------------------------ the program's seed
_SEED_NAME = re.compile(r"^(?:[A-Z_]*SEED[A-Z_]*|(?:random_|global_|rng_)?seed)$")
_SEED_FLAG = re.compile(r"^-{0,2}(?:random[-_])?seed$")
_DISABLERS = ("disable_v2_behavior", "disable_eager_execution")
_TF_FAMILY = frozenset({"tensorflow", "keras", "tf_keras"})
_PROGRAM_DOMAINS = ("tf", "numpy", "python", "keras")


@dataclass(frozen=True)
class SeedSource:
    """The program's seed: its expression and where it can be used."""

    text: str | None  # None: the program has no seed (the configured literal is used)
    kind: str  # literal | constant | flags | local | none
    function: ast.AST | None = None  # `local`: valid only in this function, after ``line``
    line: int = 0


@dataclass
class _TreeIndex:
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    parse_args: list[ast.Assign] = field(default_factory=list)  # `args = parser.parse_args()`


@dataclass
class Program:
    """What a file's fixes share: its seed, where seeding goes, and what it would need."""

    tree: ast.Module
    facts: FileFacts
    catalogue: Catalogue
    _offsets: dict[int, int] = field(default_factory=dict)
    _parents: dict[int, ast.AST | None] = field(default_factory=dict)

    # ---- structure
    @cached_property
    def index(self) -> _TreeIndex:
        """One pass over the statements (not into expressions: a 10 MB data table is one statement)."""
        index = _TreeIndex()
        for stmt in _statements(self.tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                index.imports.append(stmt)
            elif isinstance(stmt, ast.Assign):
                value = stmt.value
                if (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Attribute) and value.func.attr == "parse_args"):
                    index.parse_args.append(stmt)
        return index

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The node's parent, found by descending from the module along positions."""
        key = id(node)
        if key not in self._parents:
            path: list[ast.AST] = []
            if _find(self.tree, node, path):
                for above, below in zip(path, [*path[1:], node], strict=True):
                    self._parents[id(below)] = above
            else:
                self._parents[key] = None
        return self._parents.get(key)

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent(current)
        return current

    def function_of(self, node: ast.AST) -> ast.AST | None:
        """The innermost function (or lambda) the node is in; None at module level."""
        current = self.parent(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return current
            current = self.parent(current)
        return None

    def rebinds(self, builtin: str) -> bool:
        """Whether the file binds a builtin's name itself (a fix that calls it would call that)."""
        return builtin in self.bound_names

    @cached_property
    def bound_names(self) -> frozenset[str]:
        found: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(node.name)
            elif isinstance(node, ast.alias):
                found.add((node.asname or node.name).split(".")[0])
        return frozenset(found)

    @cached_property
    def imports_tf(self) -> bool:
        return bool(self.facts.imports & _TF_FAMILY)

    @cached_property
    def tf1(self) -> bool:
        """TF1 graph code: it imports tensorflow.compat.v1 itself."""
        for node in self.index.imports:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            if any(n == "tensorflow.compat.v1" or n.startswith("tensorflow.compat.v1.") for n in names):
                return True
        return False

    # ---- the seed
    @cached_property
    def setters(self) -> list[ResolvedCall]:
        """The program's own global seeding calls that run, with a real seed, in order."""
        found = []
        for call in self.facts.calls:
            setter = self.catalogue.setters.get(call.api)
            # A seed in a function the script never refers to never runs (``unreferenced``).
            if setter is None or not call.reached or call.unreferenced or not (setter.domains & set(_PROGRAM_DOMAINS)):
                continue
            if not self.facts.values.runs_by_default(call.site.guards, call.site.scope):
                continue  # `if FLAGS.seed:` with a falsy default: the default run is not seeded there
            seed = argument(call.node, setter.seed_param, setter.seed_pos)
            if isinstance(seed, ast.expr) and not is_none(seed) and not self._from_entropy(seed):
                found.append(call)
        return found

    @property
    def once_setters(self) -> list[ResolvedCall]:
        """The setters that run once: seeding placed after one in a loop would run every step."""
        return [c for c in self.setters if c.runs_once]

    def _from_entropy(self, expr: ast.expr) -> bool:
        for node in ast.walk(expr):
            found = self.facts.by_node.get(id(node)) if isinstance(node, ast.Call) else None
            if found is not None and found.api in self.catalogue.entropy_sources:
                return True
        return False

    def _seed_of(self, call: ResolvedCall) -> ast.expr:
        setter = self.catalogue.setters[call.api]
        seed = argument(call.node, setter.seed_param, setter.seed_pos)
        assert isinstance(seed, ast.expr)
        return seed

    @property
    def flags_main(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function absl's ``app.run`` runs once flags are parsed."""
        return self.facts.flags_main

    @cached_property
    def seed(self) -> SeedSource:
        if self.setters:
            first = self.setters[0]
            return self._classify(self._seed_of(first), first.node)
        flag = self._absl_seed_flag()
        if flag is not None and self.flags_main is not None:
            return SeedSource(flag, "flags")
        parsed = self._argparse_seed()
        if parsed is not None:
            return parsed
        constant = self._seed_constant()
        if constant is not None:
            return SeedSource(constant, "constant")
        return SeedSource(None, "none")

    def _classify(self, expr: ast.expr, at: ast.AST) -> SeedSource:
        text = source_text(expr)
        if isinstance(expr, ast.Constant) or (isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant)):
            return SeedSource(text, "literal")
        if isinstance(expr, ast.Name) and self._module_constant(expr.id):
            return SeedSource(text, "constant")
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "FLAGS":
            return SeedSource(text, "flags")
        return SeedSource(text, "local", self.function_of(at), getattr(at, "lineno", 0))

    def _module_constant(self, name: str) -> bool:
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                return isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int)
        return False

    def _seed_constant(self) -> str | None:
        for stmt in self.tree.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and _SEED_NAME.match(stmt.targets[0].id) and isinstance(stmt.value, ast.Constant)
                    and type(stmt.value.value) is int):
                return stmt.targets[0].id
        return None

    def _seed_flag(self, parser: str) -> FlagDefinition | None:
        return next((d for d in self.facts.values.flag_definitions()
                     if d.parser == parser and _SEED_FLAG.match(d.name) and d.kind in (None, "integer")
                     and self._int_default(d)), None)

    def _int_default(self, flag: FlagDefinition) -> bool:
        """A flag whose default is a number: one whose default is None (unseeded unless given)
        would hand None to the setter in a default run."""
        if flag.default is None:
            return False
        value = self.facts.values.of(flag.default, 0)
        return isinstance(value, Known) and isinstance(value.value, int) and not isinstance(value.value, bool)

    def _absl_seed_flag(self) -> str | None:
        flag = self._seed_flag("absl")
        return f"FLAGS.{flag.name}" if flag is not None and self._binds_flags() else None

    def _binds_flags(self) -> bool:
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FLAGS" for t in stmt.targets):
                return True
            if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == "FLAGS" for a in stmt.names):
                return True
        return False

    def _argparse_seed(self) -> SeedSource | None:
        flag = self._seed_flag("argparse")
        if flag is None or not self.index.parse_args:
            return None
        parse = self.index.parse_args[0]
        target = parse.targets[0]
        assert isinstance(target, ast.Name)
        return SeedSource(f"{target.id}.{flag.name}", "local", self.function_of(parse), parse.lineno)

    def seed_at(self, node: ast.AST, *, after: bool = False) -> str | None:
        """The program's seed expression if it can be written at ``node`` (``after``: right after
        the statement ``node``); else None (the configured literal)."""
        source = self.seed
        if source.text is None or source.kind in ("literal", "constant"):
            return source.text
        function = self.function_of(node)
        if source.kind == "flags":
            return source.text if function is not None else None
        line = getattr(node, "lineno", 0)
        if function is source.function and (line > source.line or (after and line >= source.line)):
            return source.text
        return None

    def anchor_seed(self) -> str | None:
        """The seed expression to write at the program's seeding anchor."""
        anchor, statement = self.seed_anchor
        if statement is None:
            return self.seed.text if self.seed.kind in ("literal", "constant") else None
        return self.seed_at(statement, after=anchor.kind is AnchorKind.AFTER)

    # ---- what the program needs, and where it goes
    @cached_property
    def needed(self) -> frozenset[str]:
        """The global-seed domains the program's unseeded calls need."""
        from tfdetlint.checks.program import unseeded_domain

        return frozenset(d for c in self.facts.calls if c.in_script(self.facts)
                         and (d := unseeded_domain(c, self.facts, self.catalogue)) and not self.seeded_per_call(c))

    def seeded_per_call(self, call: ResolvedCall) -> bool:
        """A splitter that runs once gets its own ``random_state`` (TFD304's fix), not a global seed."""
        entry = _random_entry(call.api, "TFD304", self.catalogue)
        return entry is not None and entry.rule == "TFD304" and call.runs_once

    @cached_property
    def missing(self) -> tuple[str, ...]:
        """The seeders the program's unseeded calls need (all-in-one, or per domain)."""
        return self.seeders_for(self.needed)

    def seeders_for(self, domains: Iterable[str]) -> tuple[str, ...]:
        needed = set(domains)
        if "keras" in needed:
            needed.discard("keras")
            needed.add(self.facts.keras_domain_follows)
        if not needed:
            return ()
        if self.imports_tf and not self.tf1 and not self.setters:
            return ("all",)
        tf = "tf1" if self.tf1 else "tf"
        return tuple(s for d, s in (("tf", tf), ("numpy", "numpy"), ("python", "python")) if d in needed)

    @cached_property
    def seed_anchor(self) -> tuple[Anchor, ast.stmt | None]:
        """Where program seeding goes, and the statement it is anchored to (None: module top)."""
        once = self.once_setters
        if once:
            own = [c for c in once if self.function_of(c.node) is self.function_of(once[0].node)]
            if len(self.setters) == 1 and self._extendable(once[0]):
                call = once[0]
                return Anchor(AnchorKind.REPLACE_CALL, _pos(report_pos(call.node))), self.statement_of(call.node)
            last = self.statement_of(own[-1].node)
            if last is not None:
                return Anchor(AnchorKind.AFTER, _stmt_loc(last)), last
        graph = self._graph_block()
        if graph is not None:
            return Anchor(AnchorKind.BEFORE, _stmt_loc(graph)), graph
        disabler = self._last_disabler()
        if disabler is not None:
            return Anchor(AnchorKind.AFTER, _stmt_loc(disabler)), disabler
        source = self.seed
        if source.kind == "flags" and self.flags_main is not None:
            first = _first_statement(self.flags_main.body)
            return Anchor(AnchorKind.BEFORE, _stmt_loc(first)), first
        if source.kind == "constant":
            constant = next((s for s in self.tree.body if isinstance(s, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == source.text for t in s.targets)), None)
            if constant is not None:
                return Anchor(AnchorKind.AFTER, _stmt_loc(constant)), constant
        if source.kind == "local" and source.function is not None:
            parse = next((s for s in self.index.parse_args if s.lineno == source.line), None)
            if parse is not None:
                return Anchor(AnchorKind.AFTER, _stmt_loc(parse)), parse
        return Anchor(AnchorKind.AFTER_IMPORTS), None

    def _extendable(self, call: ResolvedCall) -> bool:
        """A lone partial seeding call in TF2 code: Keras' set_random_seed with its seed seeds
        every domain and overrides no other seed of the program."""
        setter = self.catalogue.setters[call.api]
        return (self.imports_tf and not self.tf1 and "keras" not in setter.domains
                and isinstance(call.node.func, (ast.Attribute, ast.Name)))

    def _graph_block(self) -> ast.stmt | None:
        """In TF1 code, the first statement inside ``with <graph>.as_default():`` that holds the
        first unseeded TF call: a graph-level seed must be set in the graph the program builds."""
        if not self.tf1:
            return None
        from tfdetlint.checks.program import unseeded_domain

        first = next((c for c in self.facts.calls if c.in_script(self.facts)
                      and unseeded_domain(c, self.facts, self.catalogue) == "tf"), None)
        for call in [first] if first is not None else []:
            current = self.parent(call.node)
            block = None
            while current is not None:
                if isinstance(current, (ast.With, ast.AsyncWith)) and any(
                        isinstance(i.context_expr, ast.Call) and isinstance(i.context_expr.func, ast.Attribute)
                        and i.context_expr.func.attr == "as_default" for i in current.items):
                    block = current
                current = self.parent(current)
            if block is not None:
                return _first_statement(block.body)
        return None

    def _last_disabler(self) -> ast.stmt | None:
        found = [c for c in self.facts.calls if c.reached and c.api.rsplit(".", 1)[-1] in _DISABLERS]
        return self.statement_of(found[-1].node) if found else None

    def covers(self, node: ast.AST, anchor: Anchor | None = None, statement: ast.stmt | None = None) -> bool:
        """Whether code placed at ``anchor`` (default: the seeding anchor) runs before ``node``
        (program order, as far as we model it)."""
        if anchor is None:
            anchor, statement = self.seed_anchor
        if statement is None:
            return True
        line = getattr(statement, "end_lineno", None) or statement.lineno
        if anchor.kind is AnchorKind.BEFORE:
            line = statement.lineno - 1
        if anchor.kind is AnchorKind.REPLACE_CALL:
            line = statement.lineno
        anchor_function = self.function_of(statement)
        function = self.function_of(node)
        node_line = getattr(node, "lineno", 0)
        if anchor_function is None:
            return function is not None or node_line > line
        if function is anchor_function:
            return node_line > line
        # Elsewhere: module-level code runs before main(); other functions are called from it.
        return function is not None and not self._inside(node, anchor_function)

    def _inside(self, node: ast.AST, function: ast.AST) -> bool:
        current = self.parent(node)
        while current is not None:
            if current is function:
                return True
            current = self.parent(current)
        return False

    def program_intent(self, node: ast.AST) -> FixIntent | None:
        seeders = self.missing
        if not seeders or not self.covers(node):
            return None
        anchor, _ = self.seed_anchor
        if anchor.kind is AnchorKind.REPLACE_CALL:
            return FixIntent(FixKind.SEED_PROGRAM, Safety.SAFE, "seed every domain with the program's own seed",
                             domains=("all",), anchor=anchor)
        return FixIntent(FixKind.SEED_PROGRAM, Safety.SAFE, "seed the program", seed=self.anchor_seed(),
                         domains=seeders, anchor=anchor)

    def offset(self, node: ast.AST) -> int:
        """Distinct per-call seeds, in file order."""
        key = id(node)
        if key not in self._offsets:
            self._offsets[key] = len(self._offsets)
        return self._offsets[key]


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from _statements(case.body)


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]] | None:
    end = getattr(node, "end_lineno", None)
    if end is None:
        return None
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)), (end, getattr(node, "end_col_offset", 0))


def _find(current: ast.AST, node: ast.AST, path: list[ast.AST]) -> bool:
    """Extend ``path`` with the ancestors of ``node`` below ``current`` (positions prune the search)."""
    path.append(current)
    target = _span(node)
    for child in ast.iter_child_nodes(current):
        if child is node:
            return True
        span = _span(child)
        if span is not None and target is not None and not (span[0] <= target[0] and target[1] <= span[1]):
            continue
        if _find(child, node, path):
            return True
    path.pop()
    return False


def _pos(pos: tuple[int, int]) -> Loc:
    return Loc(pos[0], pos[1])


def _stmt_loc(stmt: ast.stmt) -> Loc:
    return Loc(stmt.lineno, stmt.col_offset)


def _first_statement(body: list[ast.stmt]) -> ast.stmt:
    """The first statement of a block, after its docstring (if more follows)."""
    first = body[0]
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    return body[1] if is_doc and len(body) > 1 else first


# ------------------------------------------------------------------------------------ the builders
FixBuilder = Callable[[Any, Program], "FixIntent | None"]
_PROGRAM_RULES = ("TFD101", "TFD102", "TFD103", "TFD104", "TFD301", "TFD302", "TFD303", "TFD305", "TFD501")
_DETERMINISM_NOTE = ("enable_op_determinism() makes unseeded TF random ops raise RuntimeError, and ops with "
                     "no deterministic GPU kernel raise UnimplementedError on GPU")


def _call_of(raw: Any, program: Program) -> ResolvedCall | None:
    node = getattr(raw, "node", None)
    return program.facts.by_node.get(id(node)) if node is not None else None


def _seed_program(raw: Any, program: Program) -> FixIntent | None:
    node = getattr(raw, "node", None)
    call = _call_of(raw, program)
    if call is not None and (call.estimator_graph or call.api in program.catalogue.own_graph_builders):
        # Draws in the graph an Estimator builds: only its RunConfig(tf_random_seed=) seeds them.
        return _seed_run_config(program) if raw.code == "TFD501" else None
    return None if node is None else program.program_intent(node)


_RUN_CONFIG = "tensorflow.estimator.RunConfig"


def _seed_run_config(program: Program) -> FixIntent | None:
    """``tf_random_seed=SEED`` on the file's one ``RunConfig(...)``, which then seeds the graphs
    its Estimators build. None when there are several, none (a new ``config=`` is not written),
    one that may run more than once, or one whose keywords come from ``**kwargs``."""
    configs = [c for c in program.facts.calls if c.api == _RUN_CONFIG]
    if len(configs) != 1:
        return None
    config = configs[0]
    if not config.runs_once or any(k.arg is None or k.arg == "tf_random_seed" for k in config.node.keywords):
        return None
    return FixIntent(FixKind.SEED_ARGUMENT, Safety.SAFE, "seed the Estimator's graph with RunConfig(tf_random_seed=)",
                     target=_pos(report_pos(config.node)), param="tf_random_seed", seed=program.seed_at(config.node),
                     shared=True)


def _random_entry(api: str, code: str, catalogue: Catalogue) -> RandomApi | None:
    entries = catalogue.random_apis.get(api, ())
    return next((e for e in entries if e.rule == code and e.seed), next((e for e in entries if e.seed), None))


def _seed_argument(call: ResolvedCall, entry: RandomApi, safety: Safety, program: Program,
                   description: str) -> FixIntent:
    return FixIntent(FixKind.SEED_ARGUMENT, safety, description, target=_pos(report_pos(call.node)),
                     param=entry.seed, pos=entry.seed_pos, seed=program.seed_at(call.node),
                     offset=program.offset(call.node))


def _generator(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    if call is None:
        return None
    script = call.in_script(program.facts)
    safety = Safety.SAFE if call.runs_once else Safety.UNSAFE
    if call.api.endswith(".get_global_generator"):
        # Setting the global generator when a library is imported changes it for every caller.
        anchor, _ = program.seed_anchor
        if anchor.kind is AnchorKind.REPLACE_CALL:
            anchor = Anchor(AnchorKind.AFTER, anchor.at)
        covered = script and program.covers(call.node)
        return FixIntent(FixKind.SET_GLOBAL_GENERATOR, Safety.SAFE if covered else Safety.UNSAFE,
                         "set the global generator from a seed", target=_pos(report_pos(call.node)),
                         seed=program.anchor_seed() if covered else None,
                         offset=program.offset(call.node),
                         anchor=anchor if covered and anchor.kind is not AnchorKind.REPLACE_CALL
                         else Anchor(AnchorKind.AFTER_IMPORTS))
    if call.api.endswith(".from_non_deterministic_state"):
        if not isinstance(call.node.func, ast.Attribute):
            return None
        return FixIntent(FixKind.FROM_SEED, safety, "Generator.from_seed(SEED)", target=_pos(report_pos(call.node)),
                         seed=program.seed_at(call.node), offset=program.offset(call.node))
    entry = _random_entry(call.api, "TFD105", program.catalogue)
    if entry is None:
        return None
    return _seed_argument(call, entry, safety, program, f"pass {entry.seed or 'a seed'}")


def _entropy(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    if call is None or (program.catalogue.setters.get(call.api) is None and not program.catalogue.random_apis.get(call.api)):
        return None  # a project helper that seeds from the clock: fixed in the helper
    setter = program.catalogue.setters.get(call.api)
    if setter is not None:
        return FixIntent(FixKind.REPLACE_SEED, Safety.UNSAFE, "use a fixed seed", target=_pos(report_pos(call.node)),
                         param=setter.seed_param, pos=setter.seed_pos, shared=True)
    entry = _random_entry(call.api, "", program.catalogue)
    if entry is None:
        return None
    return FixIntent(FixKind.REPLACE_SEED, Safety.UNSAFE, "use a fixed seed", target=_pos(report_pos(call.node)),
                     param=entry.seed, pos=entry.seed_pos, offset=program.offset(call.node))


def _split(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    if call is None:
        return None
    entry = _random_entry(call.api, "TFD304", program.catalogue)
    if entry is not None and program.seeded_per_call(call):
        return _seed_argument(call, entry, Safety.SAFE, program, "pass random_state")
    return program.program_intent(call.node)


def _raising_ops(program: Program) -> list[ResolvedCall]:
    """Calls that raise on every device once op determinism is on (TFD204's ops)."""
    found = []
    for call in program.facts.calls:
        if any(op.rule_for(call.in_data_fn) == "TFD204" for op in program.catalogue.ops.get(call.api, ())):
            found.append(call)
    return found


def _gpu_raising_ops(program: Program) -> list[ResolvedCall]:
    from tfdetlint.checks.ops import selected

    found = []
    for call in program.facts.calls:
        for op in program.catalogue.ops.get(call.api, ()):
            if selected(op, call) and op.rule_for(call.in_data_fn) == "TFD202":
                found.append(call)
                break
    return found


def _unseeded_estimator_draws(program: Program) -> list[ResolvedCall]:
    """TF draws with no seed of their own in a graph an Estimator builds that no RunConfig seeds."""
    from tfdetlint.analysis.randomness import unseeded_domain

    return [c for c in program.facts.calls
            if c.estimator_graph and "tf" not in c.state.seeds
            and unseeded_domain(c.api, c.node, program.catalogue) in ("tf", "keras")]


def _determinism(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    if call is None:
        return None
    raising = _raising_ops(program)
    if raising:
        where = ", ".join(f"`{c.api}` (line {c.node.lineno})" for c in raising)
        return FixIntent(FixKind.ENABLE_DETERMINISM, Safety.NONE, "enable op determinism",
                         notes=(f"not enabling op determinism: {where} would raise under it",))
    notes = [_DETERMINISM_NOTE]
    gpu = _gpu_raising_ops(program)
    if gpu:
        notes.append("on GPU these will raise under op determinism: "
                     + ", ".join(f"`{c.api}` (line {c.node.lineno})" for c in gpu))
    unseeded_graph = _unseeded_estimator_draws(program)
    if unseeded_graph:
        # A seed set on the default graph would not reach them, and they would raise under determinism.
        where = ", ".join(f"`{c.api}` (line {c.node.lineno})" for c in unseeded_graph[:3])
        return FixIntent(FixKind.ENABLE_DETERMINISM, Safety.NONE, "enable op determinism",
                         notes=(f"not enabling op determinism: {where} run in the graph an Estimator builds, "
                                "which no RunConfig(tf_random_seed=...) seeds, and would raise under it",))
    if "tf" not in call.state.seeds:
        # Unseeded TF random ops raise under determinism: seed the program too.
        if not program.covers(call.node):
            return None
        anchor, _ = program.seed_anchor
        seeders = ("all",) if anchor.kind is AnchorKind.REPLACE_CALL else program.seeders_for({"tf", *program.needed})
        return FixIntent(FixKind.ENABLE_DETERMINISM, Safety.UNSAFE, "seed the program and enable op determinism",
                         seed=program.anchor_seed(), domains=seeders, anchor=anchor, notes=tuple(notes))
    anchor, _ = program.seed_anchor
    once = program.once_setters
    last = program.statement_of(once[-1].node) if once else None
    if last is not None:
        anchor = Anchor(AnchorKind.AFTER, _stmt_loc(last))
    elif anchor.kind is AnchorKind.REPLACE_CALL:
        anchor = Anchor(AnchorKind.AFTER_IMPORTS)
    if not program.covers(call.node, anchor, last):
        return None  # enabled after the training it is for: the finding would stay
    return FixIntent(FixKind.ENABLE_DETERMINISM, Safety.UNSAFE, "enable op determinism", anchor=anchor,
                     notes=tuple(notes))


def _flip(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    if call is None:
        return None
    entry = next((e for e in program.catalogue.order_apis.get(call.api, ()) if e.rule == raw.code), None)
    if entry is None:
        return None
    flipped = {"False": "True", "True": "False"}.get(entry.value, "True")
    return FixIntent(FixKind.FLIP_ARGUMENT, Safety.UNSAFE, f"{entry.param}={flipped}",
                     target=_pos(report_pos(call.node)), param=entry.param, pos=entry.param_pos, literal=entry.value)


def _flip_attribute(raw: Any, program: Program) -> FixIntent | None:
    node = getattr(raw, "node", None)
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return None
    return FixIntent(FixKind.FLIP_ATTRIBUTE, Safety.UNSAFE, "set it to True",
                     target=Loc(node.lineno, node.col_offset), literal="False")


def _sorted_listing(raw: Any, program: Program) -> FixIntent | None:
    call = _call_of(raw, program)
    env = program.catalogue.environment
    if call is None or not env.listings.get(call.api, False):
        return None  # os.walk, os.scandir: sorting what they return does not order the files
    if program.rebinds("sorted"):
        return None
    outer = program.parent(call.node)
    if (isinstance(outer, ast.Call) and isinstance(outer.func, ast.Name) and outer.func.id == "list"
            and len(outer.args) == 1 and not outer.keywords and outer.args[0] is call.node):
        # Already read whole into a list: sorting it instead changes nothing else.
        return FixIntent(FixKind.LIST_TO_SORTED, Safety.SAFE, "sort it: list(...) -> sorted(...)",
                         target=_pos(report_pos(outer)))
    iterated = isinstance(outer, (ast.comprehension, ast.For, ast.AsyncFor)) and outer.iter is call.node
    if call.api in env.listing_iterators and not iterated:
        return FixIntent(FixKind.WRAP_SORTED, Safety.UNSAFE, "wrap it in sorted(...)", target=_pos(report_pos(call.node)),
                         notes=("sorted(...) turns the listing's iterator into a list: it is read whole, "
                                "and next() on it no longer works",))
    return FixIntent(FixKind.WRAP_SORTED, Safety.SAFE, "wrap it in sorted(...)", target=_pos(report_pos(call.node)))


BUILDERS: dict[str, FixBuilder] = {
    **{code: _seed_program for code in _PROGRAM_RULES},
    "TFD105": _generator,
    "TFD106": _entropy,
    "TFD304": _split,
    "TFD201": _determinism,
    "TFD502": _determinism,
    "TFD401": _flip,
    "TFD403": _flip,
    "TFD402": _flip_attribute,
    "TFD601": _sorted_listing,
}


def attach_fixes(raws: list[Any], facts: FileFacts, tree: ast.Module, catalogue: Catalogue) -> list[Any]:
    """The raw findings with their fix intents (``raw.fix``), from each rule's builder."""
    from tfdetlint.registry import registry_for

    registry = registry_for(catalogue)
    program = Program(tree, facts, catalogue)
    out = []
    for raw in sorted(raws, key=lambda r: (r.line, r.col, r.code)):
        spec = registry.rules.get(raw.code)
        builder = spec.fix_builder if spec is not None else None
        intent = builder(raw, program) if builder is not None else None
        if intent is not None and spec is not None and spec.fix.value == "none":
            intent = None  # the rule promises no fix
        out.append(replace(raw, fix=intent))
    return out

