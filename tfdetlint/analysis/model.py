"""The data the analysis passes hand to each other and to the rules.

Passes, in order: ``symbols`` (scopes, bindings, ordered events) -> ``resolve`` (what a name
or call is) -> ``callgraph`` (which local code a call runs, now or later as a callback) ->
``order`` (program order and the seed state each call runs under) -> ``contexts`` (data
function, parallel map, gradient path, seeded test scope) -> ``values`` (what an argument's
value is known to be). ``FileFacts`` is what the rules read.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tfdetlint.analysis.effects import Effect, SeedParameter
    from tfdetlint.analysis.values import ValueFacts
    from tfdetlint.options import EntryContext

Pos = tuple[int, int]
LAST: Pos = (1 << 30, 0)
ScopeKind = Literal["module", "function", "class", "lambda"]
# "unpacked": an element of an assigned value (`(train, test), info = tfds.load(...)`), at ``path``
BindingKind = Literal["import", "def", "class", "value", "param", "opaque", "global", "unpacked"]


@dataclass(frozen=True)
class Val:
    """What an expression is known to be."""

    qname: str | None = None  # a module, function or class reached through imports
    type: str | None = None  # an instance of a catalogue type
    local: int | None = None  # a function or class defined in this file (its scope id)
    instance_of: int | None = None  # an instance of a local class
    external: bool = False  # a value from code we do not model (never duck-typed)
    hint: str | None = None  # the identifier it was read from, for duck typing
    # A container of values (tfds.load's dict or list of Datasets, rules/apis/types.toml [[shape]]):
    element: Val | None = None  # what subscripting it gives (`d["train"]`)
    unpacks: bool = False  # unpacking it gives `element` too (a list or tuple; a dict unpacks to its keys)
    items: tuple[Val, ...] = ()  # a tuple of known length, by position (`(datasets, info)`)
    # What a call of an uncatalogued function returned (`fn = util.make_fn()`: "util.make_fn"):
    # another module's builder, whose result the project index can follow.
    returned_by: str | None = None


UNKNOWN = Val()


@dataclass
class Binding:
    pos: Pos
    kind: BindingKind
    qname: str | None = None
    scope: int | None = None
    value: ast.expr | None = None
    value_scope: int | None = None
    path: tuple[int, ...] = ()  # "unpacked": positions into ``value`` (`(a, b), c = v`: a is (0, 0))


@dataclass
class Scope:
    id: int
    kind: ScopeKind
    name: str
    parent: int | None
    node: ast.AST | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)
    methods: list[int] = field(default_factory=list)
    bases: list[ast.expr] = field(default_factory=list)
    # self.NAME = value assignments in this class's methods (for value facts and odd bindings)
    self_attrs: dict[str, list[tuple[ast.expr, int]]] = field(default_factory=dict)


@dataclass
class CallSite:
    node: ast.Call
    scope: int
    in_tape: bool
    in_loop: bool
    module_level: bool
    # scope ids of `with` blocks that seed what runs inside (DeterministicRandomTestTool().scope())
    with_items: tuple[ast.expr, ...] = ()
    guards: tuple[ast.expr, ...] = ()  # tests of the `if` blocks (in this scope) whose body holds the call


@dataclass(frozen=True)
class RefEvent:
    """A value handed to a call (``Estimator(model_fn=f)``, ``ds.map(self.parse)``): if it is
    local code, it is a callback that may run later."""

    name: ast.expr
    scope: int
    call: ast.Call
    keyword: str | None  # the parameter it was passed as, None when positional


@dataclass(frozen=True)
class SetItemEvent:
    target: ast.Subscript
    value: ast.expr
    scope: int


@dataclass(frozen=True)
class SetAttrEvent:
    node: ast.stmt
    target: ast.Attribute
    value: ast.expr
    scope: int


@dataclass(frozen=True)
class ImportEvent:
    """An import that runs a module's top level: ``import a.b`` runs ``a`` and ``a.b``, and a
    project module's top-level seeding holds from here on. ``as_main``: run as ``__main__``
    (a notebook's ``%run helper.py``), so its ``if __name__ == "__main__":`` block runs too."""

    node: ast.Import | ast.ImportFrom
    modules: tuple[str, ...]  # as written (``.helper`` for relative imports), packages first
    scope: int
    as_main: bool = False


Event = CallSite | RefEvent | SetItemEvent | SetAttrEvent | ImportEvent


@dataclass(frozen=True)
class State:
    """The program's random set-up at one point: seeded domains, and op determinism."""

    seeds: frozenset[str] = frozenset()
    determinism: bool = False

    def seeded(self, domains: frozenset[str]) -> State:
        return State(self.seeds | domains, self.determinism)


@dataclass
class ResolvedCall:
    site: CallSite
    api: str
    receiver: Val | None
    state: State = State()
    reached: bool = False
    order: int = 1 << 30  # when it first runs in the program-order simulation
    in_test: bool = False
    in_data_fn: bool = False
    parallel_stage: str | None = None
    parallel_line: int | None = None  # line of the map that runs this call in parallel
    parallel_entry: EntryContext | None = None  # set when that map is in another file
    parallel_entries: tuple[EntryContext, ...] = ()  # every map of other files that runs this call
    gradient: bool = False
    unreferenced: bool = False  # in a module-level function nothing in the file refers to
    runs_once: bool = False  # evaluated exactly once per run (not in a loop, nor in code called repeatedly)
    session_without_train_op: bool = False  # Session.run in a file that builds no training op
    made_by: ast.Call | None = None  # for ``X.__call__``: the constructor call that made the object
    no_gradient: bool = False  # a layer no gradient runs through (nothing trainable upstream, never trained)
    eager: bool = False  # the module's own code runs it directly (top level, main), not tf.data or a callback
    from_top: bool = False  # the module's own run reaches it (its top level, main, callbacks they hand over)
    # In a model_fn: the Estimator training call that runs it (`est.train(...)`), where the program reaches it.
    run_by: ResolvedCall | None = None
    # Runs in a graph an Estimator builds (its model_fn, its input_fn): only RunConfig(tf_random_seed=)
    # seeds that graph, never a seed set on the default graph.
    estimator_graph: bool = False

    @property
    def node(self) -> ast.Call:
        return self.site.node

    def in_script(self, facts: FileFacts) -> bool:
        """Whether the script-only rules apply to this call: a function the script never refers to
        is API for importers, whose randomness and set-up are their caller's."""
        return facts.is_script and not self.unreferenced


@dataclass(frozen=True)
class Handoff:
    """A function of another project file that runs inside a parallel tf.data stage: the file
    ``target`` (resolved path) is told ``entry``. ``node`` is this file's call into it (where this
    file reports the draws it sees through the helper's summary); None when nothing here calls it
    (the function is mapped directly, or returned by a builder of this file)."""

    target: str
    entry: EntryContext
    node: ast.Call | None = None


@dataclass
class AttrAssign:
    node: ast.stmt
    owner: str
    attr: str
    value: ast.expr
    scope: int
    state: State = State()


@dataclass
class FileFacts:
    calls: list[ResolvedCall]
    attr_assigns: list[AttrAssign]
    is_script: bool
    script_reason: str
    is_test_module: bool
    imports: frozenset[str]  # module roots imported anywhere
    keras_domain_follows: str
    keras_reason: str
    determinism_anywhere: bool
    values: ValueFacts
    tree: ast.Module  # the parsed module, for rules that follow local data flow (TFD6xx)
    by_node: dict[int, ResolvedCall] = field(default_factory=dict)
    helpers: list[tuple[ResolvedCall, Effect]] = field(default_factory=list)
    # randomness that runs in the project's own modules this file calls (TFD501, TFD404)
    helper_randomness: list[tuple[ResolvedCall, Effect]] = field(default_factory=list)
    # project functions parallel tf.data stages run, drawing from random state (TFD404):
    # the stage, the function as written, its name, its effect
    mapped_helpers: list[tuple[ResolvedCall, ast.expr, str, Effect]] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)  # project file -> content digest
    # Every call, assignment and set display of the module, from the symbols walk (for TFD6xx)
    call_nodes: list[ast.Call] = field(default_factory=list)
    assigns: list[ast.Assign] = field(default_factory=list)
    set_displays: list[ast.Set | ast.SetComp] = field(default_factory=list)
    # the function absl's app.run runs once flags are parsed (where FLAGS.seed can be read)
    flags_main: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    # functions of other project files that run inside this file's parallel stages (or inside
    # the stages of another file that reach this one): entry contexts for them
    handoffs: list[Handoff] = field(default_factory=list)
    path: str = ""  # the file, as the run names it
    # whether anything in the file may train or take a gradient (fit, minimize, tape.gradient ...)
    takes_gradients: bool = True
    # calls of local or project code whose None-default parameter seeds a generator from entropy (TFD105)
    seed_defaults: list[tuple[ast.Call, str, SeedParameter]] = field(default_factory=list)


def report_pos(node: ast.Call) -> Pos:
    """Where a finding about a call points: the called name, not the start of a long chain."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.end_lineno is not None and func.end_col_offset is not None:
        return func.end_lineno, func.end_col_offset - len(func.attr)
    return func.lineno, func.col_offset


def terminal_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)
