"""Pass 1: scopes, name bindings and, per scope, the events that matter in program order.

One recursive walk over the module records what each scope binds (imports, defs, classes,
assignments, parameters), the calls it makes and the values it hands to other code, in the
order they run. Nothing is resolved here; ``resolve`` does that lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from tfdetlint.analysis.model import (
    Binding,
    CallSite,
    Event,
    ImportEvent,
    Pos,
    RefEvent,
    Scope,
    ScopeKind,
    SetAttrEvent,
    SetItemEvent,
    is_main_guard,
    terminal_name,
)
from tfdetlint.notebook_cells import RUN_ALIAS


class SymbolTable:
    """Scopes, bindings and ordered events of one module."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = [Scope(0, "module", "<module>", None, None)]
        self.sites: list[CallSite] = []
        self.lambda_scopes: dict[int, int] = {}  # id(lambda node) -> scope id
        self.def_scopes: dict[int, int] = {}  # id(def node) -> scope id
        self.main_blocks: list[ast.If] = []
        self.imports: set[str] = set()
        self.import_names: set[str] = set()  # full dotted names imported (for Keras version hints)
        self.param_defaults: dict[tuple[int, str], ast.expr] = {}  # (function scope, name) -> default
        # Nodes the TFD6xx rules look for, gathered on this walk so they need no walk of their own.
        self.assigns: list[ast.Assign] = []
        self.set_displays: list[ast.Set | ast.SetComp] = []
        self._with_items: list[ast.expr] = []
        self._guards: list[ast.expr] = []
        self.keras2_only: str | None = None  # a Keras-2-only API spelled in the file

    # ---- helpers
    def _new_scope(self, kind: ScopeKind, name: str, parent: int, node: ast.AST) -> Scope:
        scope = Scope(len(self.scopes), kind, name, parent, node)
        self.scopes.append(scope)
        return scope

    def _bind(self, scope: int, name: str, binding: Binding) -> None:
        self.scopes[scope].bindings.setdefault(name, []).append(binding)

    def event_scope(self, scope: int) -> int:
        # A class body runs where the class is defined, so its events belong to the enclosing scope.
        while self.scopes[scope].kind == "class":
            parent = self.scopes[scope].parent
            assert parent is not None
            scope = parent
        return scope

    def _emit(self, scope: int, event: Event) -> None:
        self.scopes[self.event_scope(scope)].events.append(event)

    def _bind_target(self, scope: int, target: ast.expr, value: ast.expr | None, pos: Pos,
                     path: tuple[int, ...] = ()) -> None:
        if isinstance(target, ast.Name):
            if value is None:
                self._bind(scope, target.id, Binding(pos, "opaque"))
            elif path:
                self._bind(scope, target.id, Binding(pos, "unpacked", value=value, value_scope=scope, path=path))
            else:
                self._bind(scope, target.id, Binding(pos, "value", value=value, value_scope=scope))
        elif isinstance(target, (ast.Tuple, ast.List)):
            # `train, test = tfds.load(..., split=[...])`: each name is an element of the value,
            # by position; from a starred element on, positions are not known.
            starred = next((i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)), len(target.elts))
            for index, element in enumerate(target.elts):
                self._bind_target(scope, element, value if index < starred else None, pos, (*path, index))
        elif isinstance(target, ast.Starred):
            self._bind_target(scope, target.value, None, pos)

    def _enclosing_class(self, scope: int) -> Scope | None:
        parent = self.scopes[scope].parent
        if self.scopes[scope].kind == "function" and parent is not None and self.scopes[parent].kind == "class":
            return self.scopes[parent]
        return None

    # ---- the walk
    def walk(self, node: ast.AST, scope: int, in_tape: bool = False, in_loop: bool = False) -> None:
        if node.__class__ in _LEAVES:
            return  # names, constants, contexts and operators hold nothing this pass records
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
        self._emit(scope, ImportEvent(node, tuple(_with_packages(a.name for a in node.names)), scope))
        for alias in node.names:
            root = alias.name.split(".", 1)[0]
            self.imports.add(root)
            self.import_names.add(alias.name)
            if alias.asname:
                self._bind(scope, alias.asname, Binding(pos, "import", qname=alias.name))
            else:
                self._bind(scope, root, Binding(pos, "import", qname=root))

    def visit_ImportFrom(self, node: ast.ImportFrom, scope: int, in_tape: bool, in_loop: bool) -> None:
        pos = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        module = node.module or ""
        self._emit(scope, _import_event(node, module, scope))
        if node.level:
            prefix = "." * node.level + (module + "." if module else "")
            for alias in node.names:
                self._bind(scope, alias.asname or alias.name, Binding(pos, "import", qname=prefix + alias.name))
            return
        self.imports.add(module.split(".", 1)[0])
        for alias in node.names:
            if alias.name == "*":
                continue
            self.import_names.add(f"{module}.{alias.name}")
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
        saved, self._with_items = self._with_items, []
        saved_guards, self._guards = self._guards, []
        self.walk_all(node.body, inner.id, False, False)
        self._with_items = saved
        self._guards = saved_guards

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _bind_params(self, scope: int, args: ast.arguments) -> None:
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs: list[tuple[ast.arg, ast.expr | None]] = list(zip(positional, defaults, strict=True))
        pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        pairs += [(a, None) for a in (args.vararg, args.kwarg) if a is not None]
        for arg, default in pairs:
            # A parameter's binding keeps its annotation (for types) and its default (for values).
            self._bind(scope, arg.arg, Binding((0, 0), "param", value=arg.annotation, value_scope=scope))
            if default is not None:
                self.param_defaults[(scope, arg.arg)] = default

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
        self.assigns.append(node)
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
            if isinstance(target.value, ast.Name):
                # `tf.model = keras.Sequential()`, `self.rate = rate`: the attribute is used as a variable.
                owner = target.value.id
                cls = self._enclosing_class(scope) if owner == "self" else None
                if cls is not None:
                    cls.self_attrs.setdefault(target.attr, []).append((value, scope))
                else:
                    self._bind(scope, f"{owner}.{target.attr}",
                               Binding(self._end(node), "value", value=value, value_scope=scope))
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

    def visit_Global(self, node: ast.Global, scope: int, in_tape: bool, in_loop: bool) -> None:
        for name in node.names:
            self._bind(scope, name, Binding((0, 0), "global"))

    def _visit_with(self, node: ast.With | ast.AsyncWith, scope: int, in_tape: bool, in_loop: bool) -> None:
        tape = in_tape
        added = 0
        for item in node.items:
            self.walk(item.context_expr, scope, in_tape, in_loop)
            expr = item.context_expr
            if isinstance(expr, ast.Call) and terminal_name(expr.func) == "GradientTape":
                tape = True
            if item.optional_vars is not None:
                # `as (a, b)` unpacks what __enter__ returns, not the context manager itself.
                value = expr if isinstance(item.optional_vars, ast.Name) else None
                self._bind_target(scope, item.optional_vars, value, self._end(node))
            self._with_items.append(expr)
            added += 1
        self.walk_all(node.body, scope, tape, in_loop)
        del self._with_items[len(self._with_items) - added :]

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
        self.walk(node.test, scope, in_tape, True)  # tested before every iteration
        self.walk_all(node.body, scope, in_tape, True)
        self.walk_all(node.orelse, scope, in_tape, in_loop)

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp, scope: int,
                             in_tape: bool, in_loop: bool) -> None:
        # Only the first iterable is evaluated once; the element, the conditions and the inner
        # iterables run once per item. Targets stay unbound: they live in the comprehension's scope.
        if isinstance(node, ast.SetComp):
            self.set_displays.append(node)
        for index, generator in enumerate(node.generators):
            self.walk(generator.iter, scope, in_tape, in_loop if index == 0 else True)
            self.walk_all(generator.ifs, scope, in_tape, True)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self.walk_all(parts, scope, in_tape, True)

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_DictComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension

    def visit_Set(self, node: ast.Set, scope: int, in_tape: bool, in_loop: bool) -> None:
        self.set_displays.append(node)
        self.walk_all(node.elts, scope, in_tape, in_loop)

    def visit_If(self, node: ast.If, scope: int, in_tape: bool, in_loop: bool) -> None:
        if scope == 0 and is_main_guard(node.test):
            self.main_blocks.append(node)
        self.walk(node.test, scope, in_tape, in_loop)
        self._guards.append(node.test)
        self.walk_all(node.body, scope, in_tape, in_loop)
        self._guards.pop()
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

    def visit_Attribute(self, node: ast.Attribute, scope: int, in_tape: bool, in_loop: bool) -> None:
        inner = node.value
        if self.keras2_only is None and isinstance(inner, ast.Attribute) \
                and (inner.attr, node.attr) in _KERAS2_ONLY_PATHS:
            self.keras2_only = f"{inner.attr}.{node.attr}"
        self.walk(inner, scope, in_tape, in_loop)

    def visit_Call(self, node: ast.Call, scope: int, in_tape: bool, in_loop: bool) -> None:
        site = CallSite(node, scope, in_tape, in_loop, self.event_scope(scope) == 0, tuple(self._with_items),
                        tuple(self._guards))
        self.sites.append(site)
        # `Estimator(model_fn=f).train(...)`: the receiver's call runs before the method it returns
        chained = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call)
        if chained:
            self.walk(node.func, scope, in_tape, in_loop)
        self._emit(scope, site)
        if not chained:
            self.walk(node.func, scope, in_tape, in_loop)
        for arg in node.args:
            self.walk(arg, scope, in_tape, in_loop)
            if _may_be_callable(arg):
                self._emit(scope, RefEvent(arg, scope, node, None))
        for keyword in node.keywords:
            self.walk(keyword.value, scope, in_tape, in_loop)
            if _may_be_callable(keyword.value):
                self._emit(scope, RefEvent(keyword.value, scope, node, keyword.arg))


_LEAVES = frozenset({
    ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue,
    *(cls for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop) for cls in base.__subclasses__()),
})

# `layers.experimental.preprocessing` and `optimizers.legacy` exist only in Keras 2 (tf_keras).
_KERAS2_ONLY_PATHS = frozenset({("experimental", "preprocessing"), ("optimizers", "legacy")})


def _may_be_callable(expr: ast.expr) -> bool:
    """Arguments that can hand local code to a callee: ``f``, ``self.parser``, ``partial(f)``, ``builder()``."""
    if isinstance(expr, ast.Starred):
        return False
    return isinstance(expr, (ast.Name, ast.Attribute, ast.Call, ast.Lambda))


def _with_packages(modules: Iterable[str]) -> list[str]:
    """Each module with the packages above it, which importing it runs first (``a``, ``a.b``)."""
    found: list[str] = []
    for module in modules:
        dots = len(module) - len(module.lstrip("."))
        parts = module[dots:].split(".") if module[dots:] else []
        for end in range(1, len(parts) + 1):
            found.append(module[:dots] + ".".join(parts[:end]))
    return list(dict.fromkeys(found))


def _import_event(node: ast.ImportFrom, module: str, scope: int) -> ImportEvent:
    """``from a.b import c`` runs ``a``, ``a.b`` and, when ``c`` is a submodule, ``a.b.c``."""
    base = "." * node.level + module
    names = [a.name for a in node.names if a.name != "*" and a.asname != RUN_ALIAS]
    if node.level:
        # `from . import helper`: the package's own __init__ is rarely ours; its modules are.
        candidates = [base] if module else []
        candidates += [base + ("." if module else "") + name for name in names]
    else:
        candidates = [base, *(f"{base}.{name}" for name in names)]
    as_main = any(a.asname == RUN_ALIAS for a in node.names)
    return ImportEvent(node, tuple(_with_packages(candidates)), scope, as_main)


def build_symbols(tree: ast.Module) -> SymbolTable:
    table = SymbolTable()
    table.walk_all(tree.body, 0, False, False)
    return table
