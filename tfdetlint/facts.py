"""One pass over a module that collects the facts the rules need.

The walk records scopes, name bindings and, per scope, the events that matter in program
order (calls, references to local functions, environment and attribute assignments). Names
are then resolved lazily through imports and assignments, and a small simulation runs the
module top (and the functions it calls, the ``__main__`` block included) in order to know,
for each call, which global seeds are set and whether op determinism is on when it runs.

Only what the catalogue asks about is resolved; nothing here imports TensorFlow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from tfdetlint.arguments import argument, is_none
from tfdetlint.catalogue import Catalogue
from tfdetlint.project import Effect, ProjectIndex

Pos = tuple[int, int]
# Calls that run their function argument at once (absl's and TF1's app.run(main)): what the
# function sets holds after them, unlike a callback handed to a library for later.
RUNNERS = frozenset({"absl.app.run", "tensorflow.app.run"})
ALL_DOMAINS = frozenset({"tf", "numpy", "python", "keras", "tf-generator"})
_LAST = (1 << 30, 0)


@dataclass(frozen=True)
class Val:
    """What an expression is known to be."""

    qname: str | None = None  # a module, function or class reached through imports
    type: str | None = None  # an instance of a catalogue type
    local: int | None = None  # a function or class defined in this file (its scope id)
    instance_of: int | None = None  # an instance of a local class
    external: bool = False  # a value from code we do not model (never duck-typed)
    hint: str | None = None  # the identifier it was read from, for duck typing


UNKNOWN = Val()


@dataclass
class Binding:
    pos: Pos
    kind: str  # import | def | class | value | param | opaque
    qname: str | None = None
    scope: int | None = None
    value: ast.expr | None = None
    value_scope: int | None = None


@dataclass
class Scope:
    id: int
    kind: str  # module | function | class | lambda
    name: str
    parent: int | None
    node: ast.AST | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)
    methods: list[int] = field(default_factory=list)
    bases: list[ast.expr] = field(default_factory=list)


@dataclass
class CallSite:
    node: ast.Call
    scope: int
    in_tape: bool
    in_loop: bool
    module_level: bool


@dataclass(frozen=True)
class RefEvent:
    """A local function handed to something as a value (a callback): it may run later."""

    name: ast.Name
    scope: int


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


Event = CallSite | RefEvent | SetItemEvent | SetAttrEvent


@dataclass(frozen=True)
class State:
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
    in_test: bool = False
    in_data_fn: bool = False
    parallel_stage: str | None = None
    gradient: bool = False
    unreferenced: bool = False  # in a module-level function nothing in the file refers to
    session_without_train_op: bool = False  # Session.run in a file that builds no training op

    @property
    def node(self) -> ast.Call:
        return self.site.node

    def in_script(self, facts: FileFacts) -> bool:
        """Whether the script-only rules apply to this call: a function the script never refers to
        is API for importers, whose randomness and set-up are their caller's."""
        return facts.is_script and not self.unreferenced


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
    determinism_anywhere: bool
    by_node: dict[int, ResolvedCall] = field(default_factory=dict)
    helpers: list[tuple[ResolvedCall, Effect]] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)  # project file -> content digest


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


class _Walker:
    """Builds scopes, bindings and ordered events in one recursive pass."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.scopes: list[Scope] = [Scope(0, "module", "<module>", None, None)]
        self.sites: list[CallSite] = []
        self.lambda_scopes: dict[int, int] = {}  # id(lambda node) -> scope id
        self.def_scopes: dict[int, int] = {}  # id(def node) -> scope id
        self.main_blocks: list[ast.If] = []
        self.imports: set[str] = set()

    # ---- helpers
    def _new_scope(self, kind: str, name: str, parent: int, node: ast.AST) -> Scope:
        scope = Scope(len(self.scopes), kind, name, parent, node)
        self.scopes.append(scope)
        return scope

    def _bind(self, scope: int, name: str, binding: Binding) -> None:
        self.scopes[scope].bindings.setdefault(name, []).append(binding)

    def _event_scope(self, scope: int) -> int:
        # A class body runs where the class is defined, so its events belong to the enclosing scope.
        while self.scopes[scope].kind == "class":
            parent = self.scopes[scope].parent
            assert parent is not None
            scope = parent
        return scope

    def _emit(self, scope: int, event: Event) -> None:
        self.scopes[self._event_scope(scope)].events.append(event)

    def _bind_target(self, scope: int, target: ast.expr, value: ast.expr | None, pos: Pos) -> None:
        if isinstance(target, ast.Name):
            if value is None:
                self._bind(scope, target.id, Binding(pos, "opaque"))
            else:
                self._bind(scope, target.id, Binding(pos, "value", value=value, value_scope=scope))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(scope, element, None, pos)
        elif isinstance(target, ast.Starred):
            self._bind_target(scope, target.value, None, pos)

    # ---- the walk
    def walk(self, node: ast.AST, scope: int, in_tape: bool = False, in_loop: bool = False) -> None:
        method = getattr(self, "visit_" + node.__class__.__name__, None)
        if method is not None:
            method(node, scope, in_tape, in_loop)
            return
        for child in ast.iter_child_nodes(node):
            self.walk(child, scope, in_tape, in_loop)

    def walk_all(self, nodes: list[ast.stmt] | list[ast.expr], scope: int, in_tape: bool, in_loop: bool) -> None:
        for child in nodes:
            self.walk(child, scope, in_tape, in_loop)

    def visit_Import(self, node: ast.Import, scope: int, in_tape: bool, in_loop: bool) -> None:
        pos = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        for alias in node.names:
            root = alias.name.split(".", 1)[0]
            self.imports.add(root)
            if alias.asname:
                self._bind(scope, alias.asname, Binding(pos, "import", qname=alias.name))
            else:
                self._bind(scope, root, Binding(pos, "import", qname=root))

    def visit_ImportFrom(self, node: ast.ImportFrom, scope: int, in_tape: bool, in_loop: bool) -> None:
        pos = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        module = node.module or ""
        if node.level:
            prefix = "." * node.level + (module + "." if module else "")
            for alias in node.names:
                self._bind(scope, alias.asname or alias.name, Binding(pos, "import", qname=prefix + alias.name))
            return
        self.imports.add(module.split(".", 1)[0])
        for alias in node.names:
            if alias.name == "*":
                continue
            self._bind(scope, alias.asname or alias.name, Binding(pos, "import", qname=f"{module}.{alias.name}"))

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk_all(node.decorator_list, scope, in_tape, in_loop)
        self.walk(node.args, scope, in_tape, in_loop)
        if node.returns is not None:
            self.walk(node.returns, scope, in_tape, in_loop)
        inner = self._new_scope("function", node.name, scope, node)
        self.def_scopes[id(node)] = inner.id
        if self.scopes[scope].kind == "class":
            self.scopes[scope].methods.append(inner.id)
        self._bind(scope, node.name, Binding((node.lineno, node.col_offset), "def", scope=inner.id))
        self._bind_params(inner.id, node.args)
        self.walk_all(node.body, inner.id, False, False)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _bind_params(self, scope: int, args: ast.arguments) -> None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        for arg in every:
            self._bind(scope, arg.arg, Binding((0, 0), "param", value=arg.annotation, value_scope=scope))

    def visit_arguments(self, node: ast.arguments, scope: int, in_tape: bool, in_loop: bool) -> None:
        # Defaults run at definition time in the enclosing scope; annotations are not calls we model.
        self.walk_all([d for d in (*node.defaults, *node.kw_defaults) if d is not None], scope, in_tape, in_loop)

    def visit_Lambda(self, node: ast.Lambda, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.args, scope, in_tape, in_loop)
        inner = self._new_scope("lambda", "<lambda>", scope, node)
        self.lambda_scopes[id(node)] = inner.id
        self._bind_params(inner.id, node.args)
        self.walk(node.body, inner.id, False, False)

    def visit_ClassDef(self, node: ast.ClassDef, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk_all(node.decorator_list, scope, in_tape, in_loop)
        self.walk_all(node.bases, scope, in_tape, in_loop)
        inner = self._new_scope("class", node.name, scope, node)
        inner.bases = list(node.bases)
        self._bind(scope, node.name, Binding((node.lineno, node.col_offset), "class", scope=inner.id))
        self.walk_all(node.body, inner.id, in_tape, in_loop)

    def _end(self, node: ast.stmt) -> Pos:
        return (node.end_lineno or node.lineno, node.end_col_offset or 0)

    def visit_Assign(self, node: ast.Assign, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.value, scope, in_tape, in_loop)
        for target in node.targets:
            self._assign_target(node, target, node.value, scope, in_tape, in_loop)

    def _assign_target(self, node: ast.stmt, target: ast.expr, value: ast.expr, scope: int, in_tape: bool, in_loop: bool) -> None:
        if isinstance(target, ast.Subscript):
            self.walk(target, scope, in_tape, in_loop)
            self._emit(scope, SetItemEvent(target, value, scope))
        elif isinstance(target, ast.Attribute):
            self.walk(target.value, scope, in_tape, in_loop)
            self._emit(scope, SetAttrEvent(node, target, value, scope))
        else:
            self._bind_target(scope, target, value, self._end(node))

    def visit_AnnAssign(self, node: ast.AnnAssign, scope: int, in_tape: bool, in_loop: bool) -> None:
        if node.value is None:
            return
        self.walk(node.value, scope, in_tape, in_loop)
        self._assign_target(node, node.target, node.value, scope, in_tape, in_loop)

    def visit_AugAssign(self, node: ast.AugAssign, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.value, scope, in_tape, in_loop)
        if isinstance(node.target, ast.Name):
            self._bind(scope, node.target.id, Binding(self._end(node), "opaque"))

    def visit_NamedExpr(self, node: ast.NamedExpr, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.value, scope, in_tape, in_loop)
        pos = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        self._bind(scope, node.target.id, Binding(pos, "value", value=node.value, value_scope=scope))

    def _visit_with(self, node: ast.With | ast.AsyncWith, scope: int, in_tape: bool, in_loop: bool) -> None:
        tape = in_tape
        for item in node.items:
            self.walk(item.context_expr, scope, in_tape, in_loop)
            expr = item.context_expr
            if isinstance(expr, ast.Call) and terminal_name(expr.func) == "GradientTape":
                tape = True
            if item.optional_vars is not None:
                self._bind_target(scope, item.optional_vars, expr, self._end(node))
        self.walk_all(node.body, scope, tape, in_loop)

    visit_With = _visit_with
    visit_AsyncWith = _visit_with

    def _visit_loop(self, node: ast.For | ast.AsyncFor, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.iter, scope, in_tape, in_loop)
        self._bind_target(scope, node.target, None, (node.lineno, node.col_offset))
        self.walk_all(node.body, scope, in_tape, True)
        self.walk_all(node.orelse, scope, in_tape, in_loop)

    visit_For = _visit_loop
    visit_AsyncFor = _visit_loop

    def visit_While(self, node: ast.While, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.walk(node.test, scope, in_tape, in_loop)
        self.walk_all(node.body, scope, in_tape, True)
        self.walk_all(node.orelse, scope, in_tape, in_loop)

    def visit_If(self, node: ast.If, scope: int, in_tape: bool, in_loop: bool) -> None:
        if scope == 0 and is_main_guard(node.test):
            self.main_blocks.append(node)
        self.walk(node.test, scope, in_tape, in_loop)
        self.walk_all(node.body, scope, in_tape, in_loop)
        self.walk_all(node.orelse, scope, in_tape, in_loop)

    def visit_ExceptHandler(self, node: ast.ExceptHandler, scope: int, in_tape: bool, in_loop: bool) -> None:
        if node.type is not None:
            self.walk(node.type, scope, in_tape, in_loop)
        if node.name:
            self._bind(scope, node.name, Binding((node.lineno, node.col_offset), "opaque"))
        self.walk_all(node.body, scope, in_tape, in_loop)

    def visit_Return(self, node: ast.Return, scope: int, in_tape: bool, in_loop: bool) -> None:
        if node.value is not None:
            self.scopes[scope].returns.append(node.value)
            self.walk(node.value, scope, in_tape, in_loop)

    def visit_Call(self, node: ast.Call, scope: int, in_tape: bool, in_loop: bool) -> None:
        site = CallSite(node, scope, in_tape, in_loop, self._event_scope(scope) == 0)
        self.sites.append(site)
        self._emit(scope, site)
        self.walk(node.func, scope, in_tape, in_loop)
        for arg in node.args:
            self.walk(arg, scope, in_tape, in_loop)
            if isinstance(arg, ast.Name):
                self._emit(scope, RefEvent(arg, scope))
        for keyword in node.keywords:
            self.walk(keyword.value, scope, in_tape, in_loop)
            if isinstance(keyword.value, ast.Name):
                self._emit(scope, RefEvent(keyword.value, scope))


class FactBuilder:
    """Resolves names and runs the program-order simulation over what the walker recorded."""

    def __init__(self, walker: _Walker, catalogue: Catalogue, keras_version: str) -> None:
        self.w = walker
        self.c = catalogue
        self.scopes = walker.scopes
        self.keras_follows = catalogue.keras_follows.get(keras_version, "python")
        self._memo: dict[tuple[int, int], Val] = {}
        self._busy: set[tuple[int, int]] = set()
        self._resolved: dict[int, ResolvedCall | None] = {}
        self._returns_busy: set[int] = set()

    # ---- name resolution
    def lookup(self, name: str, scope_id: int, pos: Pos) -> Binding | None:
        scope: Scope | None = self.scopes[scope_id]
        innermost = True
        while scope is not None:
            if scope.kind == "class" and not innermost:
                scope = self.scopes[scope.parent] if scope.parent is not None else None
                continue
            found = scope.bindings.get(name)
            if found:
                if not innermost:
                    return found[-1]  # enclosing scopes: their code has run by the time we are called
                before = [b for b in found if b.pos <= pos]
                return before[-1] if before else found[0]
            innermost = False
            scope = self.scopes[scope.parent] if scope.parent is not None else None
        return None

    def value_of(self, expr: ast.expr, scope: int) -> Val:
        key = (id(expr), scope)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        if key in self._busy:
            return UNKNOWN
        self._busy.add(key)
        try:
            value = self._value_of(expr, scope)
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value

    def _value_of(self, expr: ast.expr, scope: int) -> Val:
        if isinstance(expr, ast.Name):
            return self._name_value(expr, scope)
        if isinstance(expr, ast.Attribute):
            base = self.value_of(expr.value, scope)
            if base.qname is not None:
                return Val(qname=self.c.canonical(f"{base.qname}.{expr.attr}"))
            if base.type is not None:
                return Val(qname=f"{base.type}.{expr.attr}", type=None, hint=base.type)
            if base.external or base.local is not None or base.instance_of is not None:
                return Val(external=True)
            return Val(hint=expr.attr)
        if isinstance(expr, ast.Call):
            return self._call_value(expr, scope)
        if isinstance(expr, ast.Await):
            return self.value_of(expr.value, scope)
        if isinstance(expr, ast.Constant):
            return Val(external=True)
        return UNKNOWN

    def _name_value(self, expr: ast.Name, scope: int) -> Val:
        binding = self.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
        if binding is None:
            return Val(hint=expr.id)
        if binding.kind == "import" and binding.qname is not None:
            return Val(qname=self.c.canonical(binding.qname))
        if binding.kind in ("def", "class"):
            return Val(local=binding.scope, hint=expr.id)
        if binding.kind == "value" and binding.value is not None and binding.value_scope is not None:
            value = self.value_of(binding.value, binding.value_scope)
            return value if value != UNKNOWN else Val(hint=expr.id)
        if binding.kind == "param" and binding.value is not None and binding.value_scope is not None:
            annotation = self.value_of(binding.value, binding.value_scope)
            if annotation.qname in self.c.types:
                return Val(type=annotation.qname)
        return Val(hint=expr.id)

    def _call_value(self, call: ast.Call, scope: int) -> Val:
        dynamic = self._dunder_import(call, scope)
        if dynamic is not None:
            return dynamic
        func = self.value_of(call.func, scope)
        if func.local is not None:
            local = self.scopes[func.local]
            if local.kind == "class":
                model = self._local_class_type(local.id)
                return Val(type=model) if model else Val(instance_of=local.id)
            return self._return_value(local.id)
        if func.qname is None:
            if isinstance(call.func, ast.Attribute) and not func.external:
                receiver = self.value_of(call.func.value, scope)
                duck = self._duck_api(receiver, call.func.attr)
                if duck is not None and duck.startswith("tensorflow.data.Dataset."):
                    return Val(type="tensorflow.data.Dataset")
            return UNKNOWN if not func.external else Val(external=True)
        type_name = self.c.type_of_constructor(func.qname)
        if type_name:
            return Val(type=type_name)
        owner, _, method = func.qname.rpartition(".")
        info = self.c.types.get(owner)
        if info is not None and func.hint == owner:
            if method in info.methods:
                return Val(type=owner)
            for other in self.c.types.values():
                if other.accessor == method:
                    return Val(type=other.name)
            return Val(external=True)
        return Val(external=True)

    def _dunder_import(self, call: ast.Call, scope: int) -> Val | None:
        """``__import__("os")`` is the module ``os`` (notebooks' ``%env`` becomes this; see sources)."""
        func = call.func
        if not (isinstance(func, ast.Name) and func.id == "__import__" and call.args):
            return None
        if self.lookup("__import__", scope, (func.lineno, func.col_offset)) is not None:
            return None
        name = call.args[0]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value):
            return None
        # Without a fromlist __import__ returns the top-level package.
        return Val(qname=self.c.canonical(name.value.split(".", 1)[0]))

    def _return_value(self, scope_id: int) -> Val:
        if scope_id in self._returns_busy:
            return UNKNOWN
        self._returns_busy.add(scope_id)
        try:
            for expr in self.scopes[scope_id].returns:
                value = self.value_of(expr, scope_id)
                if value.type is not None:
                    return Val(type=value.type)
        finally:
            self._returns_busy.discard(scope_id)
        return UNKNOWN

    def _local_class_type(self, class_id: int, depth: int = 0) -> str | None:
        if depth > 10:
            return None
        for base in self.scopes[class_id].bases:
            value = self.value_of(base, self.scopes[class_id].parent or 0)
            if value.local is not None and self.scopes[value.local].kind == "class":
                found = self._local_class_type(value.local, depth + 1)
                if found:
                    return found
            elif value.qname is not None:
                for info in self.c.types.values():
                    if value.qname in info.bases:
                        return info.name
        return None

    def class_base_names(self, class_id: int, depth: int = 0) -> set[str]:
        """Qualified names of a local class's bases, following local base classes."""
        names: set[str] = set()
        if depth > 10:
            return names
        for base in self.scopes[class_id].bases:
            value = self.value_of(base, self.scopes[class_id].parent or 0)
            if value.qname is not None:
                names.add(value.qname)
            elif value.local is not None and self.scopes[value.local].kind == "class":
                names |= self.class_base_names(value.local, depth + 1)
        return names

    # ---- calls
    def resolve_call(self, site: CallSite) -> ResolvedCall | None:
        key = id(site)
        if key in self._resolved:
            return self._resolved[key]
        result = self._resolve_call(site)
        self._resolved[key] = result
        return result

    def _resolve_call(self, site: CallSite) -> ResolvedCall | None:
        func = site.node.func
        name = terminal_name(func)
        if name is None:
            return None
        value = self.value_of(func, site.scope)
        if value.qname is not None:
            api = value.qname
            receiver = None
            if value.hint is not None and value.hint in self.c.types:
                receiver = Val(type=value.hint)
            return ResolvedCall(site, api, receiver)
        if isinstance(func, ast.Attribute):
            receiver = self.value_of(func.value, site.scope)
            duck = self._duck_api(receiver, func.attr) or self._duck_by_keywords(receiver, func.attr, site.node)
            if duck is not None:
                return ResolvedCall(site, duck, receiver)
        return None

    def _duck_by_keywords(self, receiver: Val, method: str, node: ast.Call) -> str | None:
        """A Dataset method on an untyped receiver, told by keywords only tf.data takes."""
        if receiver.external or receiver.type is not None or receiver.qname is not None:
            return None
        if receiver.local is not None or receiver.instance_of is not None:
            return None  # an object of a class defined here has its own methods
        dataset = self.c.types.get("tensorflow.data.Dataset")
        if dataset is None or method not in dataset.methods:
            return None
        if any(k.arg in dataset.unique_keywords for k in node.keywords):
            return f"{dataset.name}.{method}"
        return None

    def _duck_api(self, receiver: Val, method: str) -> str | None:
        """A method on a value of unknown type that can only be one library's."""
        if method in self.c.training_duck_methods and receiver.type is None:
            if self.w.imports & {"tensorflow", "keras", "tf_keras"}:
                return f"keras.optimizers.Optimizer.{method}"
            return None
        if receiver.external or receiver.type is not None or receiver.qname is not None:
            return None
        dataset = self.c.types.get("tensorflow.data.Dataset")
        if dataset is not None and method in dataset.unique_methods:
            return f"{dataset.name}.{method}"
        model = self.c.types.get("keras.Model")
        hint = receiver.hint or ""
        if (
            model is not None
            and model.duck_name is not None
            and model.duck_name.search(hint)
            and f"keras.Model.{method}" in self.c.training_methods | set(self.c.random_apis)
            and self.w.imports & {"tensorflow", "keras", "tf_keras"}
        ):
            return f"keras.Model.{method}"
        return None


def is_test_path(path: str) -> bool:
    """pytest's and unittest's naming: ``test_*.py`` and ``*_test.py``."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith(("_test.py", "_tests.py")) or name == "conftest.py"


def collect(tree: ast.Module, catalogue: Catalogue, *, notebook: bool, keras_version: str = "3",
            force_script: bool | None = None, path: str = "", project: ProjectIndex | None = None) -> FileFacts:
    walker = _Walker(catalogue)
    walker.walk_all(tree.body, 0, False, False)
    builder = FactBuilder(walker, catalogue, keras_version)
    simulation = _Simulation(builder, notebook=notebook, force_script=force_script, path=path, project=project)
    simulation.module = tree
    return simulation.run()


def summarise_function(tree: ast.Module, function: str, path: str, project: ProjectIndex, depth: int) -> Effect | None:
    """What calling ``function`` of this module does to the random state (for the project index)."""
    walker = _Walker(project.catalogue)
    walker.walk_all(tree.body, 0, False, False)
    builder = FactBuilder(walker, project.catalogue, project.keras_version)
    binding = builder.lookup(function, 0, _LAST)
    if binding is None or binding.kind != "def" or binding.scope is None:
        return None
    simulation = _Simulation(builder, notebook=False, force_script=False, path=path, project=project, depth=depth + 1)
    simulation.module = tree
    state = simulation._enter(binding.scope, State())
    if not state.seeds and not state.determinism:
        return None
    entropy = next((source for source in simulation.entropy_seeds), None)
    return Effect(function, path, state.seeds, state.determinism, entropy)


def referenced_names(tree: ast.AST) -> frozenset[str]:
    """Every identifier a piece of code reads: names, attributes, and strings (``__all__``, getattr)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            names.add(node.value)
    return frozenset(names)


class _Simulation:
    """Runs the module in program order to give each call the seed state it executes under."""

    def __init__(self, builder: FactBuilder, *, notebook: bool, force_script: bool | None, path: str = "",
                 project: ProjectIndex | None = None, depth: int = 0) -> None:
        self.path = path
        self.project = project
        self.depth = depth
        self.helpers: list[tuple[ResolvedCall, Effect]] = []
        self.entropy_seeds: list[str] = []
        self.b = builder
        self.c = builder.c
        self.scopes = builder.scopes
        self.notebook = notebook
        self.force_script = force_script
        self.visited: set[int] = set()
        self.trail: list[int] = []  # scopes in the order they were entered (to undo a root's run)
        self.calls: dict[int, ResolvedCall] = {}
        self.attrs: list[AttrAssign] = []
        self.det_anywhere = False
        self.seeded_scopes = self._seeded_test_scopes()
        self.module: ast.Module | None = None  # None: treat every function as live
        self.reached_from_top: set[int] = set()

    def _seeded_test_scopes(self) -> set[int]:
        seeded: set[int] = set()
        for scope in self.scopes:
            if scope.kind == "class" and self.b.class_base_names(scope.id) & self.c.seeded_test_bases:
                seeded.update(scope.methods)
        return seeded

    # ---- the simulation
    def _enter(self, scope_id: int, state: State) -> State:
        if scope_id in self.visited:
            return state
        self.visited.add(scope_id)
        self.trail.append(scope_id)
        if scope_id in self.seeded_scopes:
            state = State(ALL_DOMAINS, state.determinism)
        return self._run_events(scope_id, state)

    def _run_events(self, scope_id: int, state: State) -> State:
        for event in self.scopes[scope_id].events:
            if isinstance(event, CallSite):
                state = self._on_call(event, state)
            elif isinstance(event, RefEvent):
                target = self.b.value_of(event.name, event.scope)
                if target.local is not None:
                    # A callback runs later, so what it sets is not known to hold after this point.
                    self._invoke(target.local, state)
            elif isinstance(event, SetItemEvent):
                if self._is_determinism_env(event.target, event.value, event.scope):
                    state = State(state.seeds, True)
                    self.det_anywhere = True
            else:
                owner = self.b.value_of(event.target.value, event.scope)
                if owner.type is not None:
                    self.attrs.append(AttrAssign(event.node, owner.type, event.target.attr, event.value,
                                                 event.scope, state))
        return state

    def _invoke(self, scope_id: int, state: State) -> State:
        scope = self.scopes[scope_id]
        if scope.kind == "class":
            # Creating an instance runs __init__; other methods run when called (t.run(),
            # self.setup()), or, when only a framework calls them, with the final state.
            init = next((m for m in scope.methods if self.scopes[m].name == "__init__"), None)
            return self._enter(init, state) if init is not None else state
        return self._enter(scope_id, state)

    def _on_call(self, site: CallSite, state: State) -> State:
        resolved = self.b.resolve_call(site)
        if resolved is not None and id(site) not in self.calls:
            resolved.state = state
            resolved.reached = True
            self.calls[id(site)] = resolved
        if resolved is None:
            target = self.b.value_of(site.node.func, site.scope)
            if target.local is not None:
                return self._invoke(target.local, state)
            method = self._local_method(site)
            if method is not None:
                return self._enter(method, state)
            if self._runs_main(site):
                main = self.b.lookup("main", 0, _LAST)
                if main is not None and main.kind == "def" and main.scope is not None:
                    return self._invoke(main.scope, state)
            return state
        api = resolved.api
        if api in RUNNERS:
            target_scope = self._runner_target(site)
            if target_scope is not None:
                return self._invoke(target_scope, state)
        setter = self.c.setters.get(api)
        if setter is not None:
            seed = argument(site.node, setter.seed_param, setter.seed_pos)
            if isinstance(seed, ast.expr):
                if is_none(seed):
                    return state  # set_seed(None) / set_global_generator(None) un-seeds, it seeds nothing
                source = self._entropy_in(seed, site.scope)
                if source is not None:
                    self.entropy_seeds.append(source)
            return state.seeded(setter.domains)
        if api in self.c.determinism_functions:
            self.det_anywhere = True
            return State(state.seeds, True)
        if api in ("os.environ.setdefault", "os.putenv") and self._env_call_enables(site.node):
            self.det_anywhere = True
            return State(state.seeds, True)
        if self.project is not None and not self.c.knows(api):
            effect = self.project.effect(api, self.path, self.depth)
            if effect is not None:
                self.helpers.append((resolved, effect))
                if effect.entropy:
                    self.entropy_seeds.append(effect.entropy)
                if effect.determinism:
                    self.det_anywhere = True
                return State(state.seeds | effect.domains, state.determinism or effect.determinism)
        return state

    def _entropy_in(self, expr: ast.expr, scope: int) -> str | None:
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                value = self.b.value_of(node.func, scope)
                if value.qname in self.c.entropy_sources:
                    return value.qname
        return None

    def _local_method(self, site: CallSite) -> int | None:
        """``obj.method()`` on an instance of a class of this file, or ``self.method()`` inside one."""
        func = site.node.func
        if not isinstance(func, ast.Attribute):
            return None
        receiver = self.b.value_of(func.value, site.scope)
        class_id = receiver.instance_of
        if class_id is None and isinstance(func.value, ast.Name) and func.value.id == "self":
            parent = self.scopes[site.scope].parent
            if parent is not None and self.scopes[parent].kind == "class":
                class_id = parent
        if class_id is None:
            return None
        return next((m for m in self.scopes[class_id].methods if self.scopes[m].name == func.attr), None)

    def _runner_target(self, site: CallSite) -> int | None:
        node = site.node
        fn = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "main"), None)
        if fn is None:
            return None
        value = self.b.value_of(fn, site.scope)
        if value.local is not None and self.scopes[value.local].kind == "function":
            return value.local
        return None

    def _runs_main(self, site: CallSite) -> bool:
        # absl's app.run() with no function calls __main__.main
        node = site.node
        return site.module_level and terminal_name(node.func) == "run" and not node.args and any(
            isinstance(b, ast.If) for b in self.b.w.main_blocks
        ) and self._in_main_block(node)

    def _in_main_block(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return any(b.lineno <= line <= (b.end_lineno or b.lineno) for b in self.b.w.main_blocks)

    def _is_determinism_env(self, target: ast.Subscript, value: ast.expr, scope: int) -> bool:
        owner = self.b.value_of(target.value, scope)
        if owner.qname != "os.environ":
            return False
        return self._enables_determinism(target.slice, value)

    def _env_call_enables(self, node: ast.Call) -> bool:
        return len(node.args) >= 2 and self._enables_determinism(node.args[0], node.args[1])

    def _enables_determinism(self, key: ast.expr, value: ast.expr) -> bool:
        """``TF_DETERMINISTIC_OPS`` set to a true value, however the environment is written to."""
        return (
            isinstance(key, ast.Constant)
            and key.value in self.c.determinism_env
            and _constant_text(value) in self.c.determinism_env_true
        )

    def run(self) -> FileFacts:
        final = self._enter(0, State())
        self.reached_from_top = set(self.visited)
        # Code no path from the module top reaches (methods called on objects, callbacks handed
        # to libraries) runs at some point after the top has run: give it the final state, each
        # function on its own, so that a seed set in a function nobody calls counts for nothing.
        for scope in self.scopes:
            if scope.id not in self.visited and scope.kind in ("function", "lambda"):
                # Forget what this root's run entered (so the next root can enter it too),
                # without copying the visited set per root: that was quadratic in big files.
                mark = len(self.trail)
                self._enter(scope.id, final)
                self.visited.difference_update(self.trail[mark:])
                del self.trail[mark:]
                self.visited.add(scope.id)
        self._mark_contexts()
        calls = sorted(self.calls.values(), key=lambda r: (r.node.lineno, r.node.col_offset))
        is_test = self._is_test_module()
        if is_test:
            for call in calls:
                call.in_test = True
        train_op = builds_train_op(calls, self.c)
        if not train_op:
            for call in calls:
                call.session_without_train_op = call.api == self.c.session_run
        script, reason = self._script_status(calls, is_test)
        if script:
            # Only script-only rules read it, and most modules are libraries: skip the extra walk.
            self._mark_unreferenced()
        return FileFacts(
            calls=calls,
            attr_assigns=self.attrs,
            is_script=script,
            script_reason=reason,
            is_test_module=is_test,
            imports=frozenset(self.b.w.imports),
            keras_domain_follows=self.b.keras_follows,
            determinism_anywhere=self.det_anywhere,
            by_node={id(c.node): c for c in calls},
            helpers=self.helpers,
        )

    def _mark_unreferenced(self) -> None:
        """Calls inside module-level functions that nothing live in the module runs or names.

        Live: the module body, what the simulation ran from the top, decorated functions (a
        decorator may register them), and every function a live one names, to a fixed point.
        """
        if self.module is None:
            return
        top: dict[str, Scope] = {}
        for scope in self.scopes:
            if scope.kind == "function" and scope.parent == 0 and isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                top[scope.name] = scope
        if not top:
            return
        live: set[str] = set()
        pending: list[ast.AST] = []
        for stmt in self.module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.get(stmt.name) is not None:
                scope = top[stmt.name]
                if stmt.decorator_list or scope.id in self.reached_from_top:
                    live.add(stmt.name)
                    pending.append(stmt)
            else:
                pending.append(stmt)
        while pending:
            for name in referenced_names(pending.pop()):
                if name in top and name not in live:
                    live.add(name)
                    node = top[name].node
                    assert node is not None
                    pending.append(node)
        dead = {scope.id for name, scope in top.items() if name not in live}
        if not dead:
            return
        for call in self.calls.values():
            call.unreferenced = any(s in dead for s in self._scope_chain(call.site.scope))

    # ---- contexts: tf.data functions, parallel maps, gradient paths
    def _function_scope_of(self, arg: ast.expr, scope: int) -> int | None:
        if isinstance(arg, ast.Lambda):
            return self.b.w.lambda_scopes.get(id(arg))
        value = self.b.value_of(arg, scope)
        if value.local is not None and self.scopes[value.local].kind in ("function", "lambda"):
            return value.local
        return None

    def _mark_contexts(self) -> None:
        data_fn_scopes: set[int] = set()
        parallel_scopes: dict[int, str] = {}
        dataset = self.c.types.get("tensorflow.data.Dataset")
        for call in self.calls.values():
            owner, _, method = call.api.rpartition(".")
            if dataset is None or owner != dataset.name or method not in dataset.fn_methods:
                continue
            args = call.node.args
            fn = args[0] if args else next((k.value for k in call.node.keywords if k.arg in ("map_func", "predicate", "key_func", "scan_func")), None)
            if fn is None:
                continue
            target = self._function_scope_of(fn, call.site.scope)
            if target is None:
                continue
            data_fn_scopes.add(target)
            stage = self.c.parallel_stages.get(call.api)
            if stage is not None and _parallel_calls_given(call.node, stage.npc_param, stage.npc_pos):
                parallel_scopes[target] = call.api
        grad_scopes = self._gradient_scopes()
        for call in self.calls.values():
            chain = list(self._scope_chain(call.site.scope))
            call.in_data_fn = any(s in data_fn_scopes for s in chain)
            call.in_test = any(s in self.seeded_scopes for s in chain)
            call.parallel_stage = next((parallel_scopes[s] for s in chain if s in parallel_scopes), None)
            call.gradient = not call.in_data_fn and (call.site.in_tape or any(s in grad_scopes for s in chain))

    def _gradient_scopes(self) -> set[int]:
        scopes: set[int] = set()
        for scope in self.scopes:
            if scope.kind == "class" and self.b.class_base_names(scope.id) & self.c.layer_bases:
                scopes.update(scope.methods)
            elif scope.kind == "function" and self.c.gradient_function_names.match(scope.name):
                scopes.add(scope.id)
        return scopes

    def _scope_chain(self, scope_id: int) -> Iterator[int]:
        current: int | None = scope_id
        while current is not None:
            yield current
            current = self.scopes[current].parent

    # ---- script or library
    def _is_test_module(self) -> bool:
        if self.notebook:
            return False
        if is_test_path(self.path):
            return True
        for block in self.b.w.main_blocks:
            for stmt in block.body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and self._runs_tests(stmt.value):
                    return True
        return False

    def _runs_tests(self, call: ast.Call) -> bool:
        """``tf.test.main()``, ``absltest.main()``, ``unittest.main()``, a suite's own ``testing.test_main()``."""
        value = self.b.value_of(call.func, 0)
        name = value.qname or ""
        if name in self.c.test_main_calls:
            return True
        leaf = terminal_name(call.func) or ""
        return leaf in ("main", "test_main") and "test" in (name or leaf)

    def _script_status(self, calls: list[ResolvedCall], is_test: bool) -> tuple[bool, str]:
        if self.force_script is not None:
            return self.force_script, "configured"
        if self.notebook:
            return True, "notebook"
        if is_test:
            return False, "test module (its __main__ block runs a test runner)"
        if self.b.w.main_blocks:
            return True, 'has an `if __name__ == "__main__":` block'
        for call in calls:
            if call.site.module_level and is_training_call(call, self.c):
                return True, "trains at module level"
        return False, "library module (no __main__ block, no module-level training)"


def _constant_text(expr: ast.expr) -> str | None:
    """A constant's value as environment text; None for non-constants and huge numbers.

    ``str()`` of an int with more than 4300 digits raises ValueError (CPython's limit), and a
    value that long is never a flag anyway.
    """
    if not isinstance(expr, ast.Constant):
        return None
    value = expr.value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 64:
        return None
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    return None


def _parallel_calls_given(node: ast.Call, param: str, pos: int) -> bool:
    for keyword in node.keywords:
        if keyword.arg == param:
            return not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None)
    if len(node.args) > pos:
        value = node.args[pos]
        return not (isinstance(value, ast.Constant) and value.value is None)
    return False


def is_training_call(call: ResolvedCall, catalogue: Catalogue) -> bool:
    api = call.api
    if api in catalogue.training_methods or api in catalogue.training_functions:
        return True
    if api.rsplit(".", 1)[-1] in catalogue.training_duck_methods and api.startswith("keras.optimizers."):
        return True
    return api == catalogue.session_run and call.site.in_loop and not call.session_without_train_op


TRAIN_OP_BUILDERS = frozenset({"tensorflow.gradients", "tensorflow.estimator.Estimator.train",
                               "tensorflow.contrib.training.create_train_op", "tensorflow.contrib.slim.learning.train"})


def builds_train_op(calls: list[ResolvedCall], catalogue: Catalogue) -> bool:
    """Whether the file builds something that trains: an optimizer step, gradients, an optimizer.

    A TF1 loop of ``sess.run`` is training only then; otherwise it evaluates, decodes or exports."""
    for call in calls:
        api = call.api
        if api.rsplit(".", 1)[-1] in catalogue.training_duck_methods and api.startswith("keras.optimizers."):
            return True
        if api in TRAIN_OP_BUILDERS or (api.startswith("tensorflow.train.") and api.endswith("Optimizer")):
            return True
    return False
