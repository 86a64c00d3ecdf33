"""Pass 3: which local code a call runs now, and which it is handed to run later (callbacks).

Entry points (``app.run(main)``, ``tf.app.run()`` running the module's ``main``,
``fire.Fire(main)``), local functions, methods (``self.build()``, ``obj.step()``), classes
(``__init__``) and callable objects (``__call__``) run now; functions, lambdas, bound methods,
``functools.partial(f)`` and builders' closures handed to a call run later, when the callee
calls them. ``callees`` gives, per scope, what it runs now, for contexts to flow through.
"""

from __future__ import annotations

import ast

from tfdetlint.analysis.model import LAST, CallSite, ResolvedCall, Val
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.analysis.symbols import SymbolTable
from tfdetlint.arguments import is_none
from tfdetlint.catalogue import Catalogue


class CallGraph:
    def __init__(self, resolver: Resolver, symbols: SymbolTable, catalogue: Catalogue) -> None:
        self.r = resolver
        self.w = symbols
        self.c = catalogue
        self.scopes = symbols.scopes
        self._callees: dict[int, set[int]] | None = None

    def code_of(self, expr: ast.expr, scope: int) -> int | None:
        """The local function, lambda or method an expression denotes as something to call."""
        return self.code_of_value(self.r.value_of(expr, scope))

    def code_of_value(self, value: Val) -> int | None:
        """The local function, lambda or method a value is, as something to call."""
        if value.local is not None:
            kind = self.scopes[value.local].kind
            if kind in ("function", "lambda"):
                return value.local
            return None
        if value.instance_of is not None:
            return self.r.method_of(value.instance_of, "__call__")  # a callable object
        return None

    def runs_now(self, site: CallSite, resolved: ResolvedCall | None) -> int | None:
        """The local scope this call enters before it returns, if any."""
        if resolved is not None:
            if resolved.api in self.c.runners:
                return self._runner_target(site)
            return None
        value = self.r.value_of(site.node.func, site.scope)
        if value.local is not None:
            scope = self.scopes[value.local]
            if scope.kind == "class":
                return self.r.method_of(scope.id, "__init__")
            return value.local
        if value.instance_of is not None:
            return self.r.method_of(value.instance_of, "__call__")
        if self._runs_module_main(site):
            return self.module_main()
        return None

    def module_main(self) -> int | None:
        main = self.r.lookup("main", 0, LAST)
        if main is not None and main.kind == "def" and main.scope is not None:
            return main.scope
        return None

    def _runner_target(self, site: CallSite) -> int | None:
        node = site.node
        fn = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("main", "component")), None)
        if fn is None:
            return self.module_main()  # tf.app.run() / absl app.run() with no argument run __main__.main
        return self.code_of(fn, site.scope)

    def _runs_module_main(self, site: CallSite) -> bool:
        # An unresolved `app.run()` with no argument under __main__ (an alias we cannot follow).
        node = site.node
        if not (site.module_level and not node.args and isinstance(node.func, ast.Attribute)):
            return False
        if node.func.attr != "run" or not self.w.main_blocks:
            return False
        line = node.lineno
        return any(b.lineno <= line <= (b.end_lineno or b.lineno) for b in self.w.main_blocks)

    def callees(self) -> dict[int, set[int]]:
        """Per scope, the local code its calls run now or hand on as callbacks."""
        if self._callees is not None:
            return self._callees
        edges: dict[int, set[int]] = {}
        for site in self.w.sites:
            owner = self.w.event_scope(site.scope)
            targets = edges.setdefault(owner, set())
            now = self.runs_now(site, self.r.resolve_call(site))
            if now is not None:
                targets.add(now)
            for arg in [*site.node.args, *(k.value for k in site.node.keywords)]:
                if isinstance(arg, (ast.Name, ast.Attribute, ast.Call, ast.Lambda)):
                    code = self.code_of(arg, site.scope)
                    if code is not None:
                        targets.add(code)
        self._callees = edges
        return edges

    def reachable(self, roots: set[int]) -> set[int]:
        """Scopes reached from ``roots`` through calls and callbacks, and everything nested in them."""
        edges = self.callees()
        children: dict[int, list[int]] = {}
        for scope in self.scopes:
            if scope.parent is not None:
                children.setdefault(scope.parent, []).append(scope.id)
        seen: set[int] = set()
        pending = list(roots)
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending.extend(edges.get(current, ()))
            pending.extend(c for c in children.get(current, ()) if self.scopes[c].kind in ("lambda", "function"))
        return seen


def data_function_args(call: ResolvedCall, catalogue: Catalogue) -> list[ast.expr]:
    """The arguments of a call that are functions tf.data runs (``ds.map(parse)``)."""
    owner, _, method = call.api.rpartition(".")
    dataset = catalogue.types.get("tensorflow.data.Dataset")
    if call.api in catalogue.data_fn_callers:
        fn_args: list[ast.expr] = list(call.node.args[:1])
    elif dataset is not None and owner == dataset.name and method in dataset.fn_methods:
        fn_args = list(call.node.args[:1])
    else:
        return []
    return fn_args + [k.value for k in call.node.keywords if k.arg in catalogue.fn_keywords]


def runs_in_parallel(call: ResolvedCall, catalogue: Catalogue) -> bool:
    """A tf.data stage given ``num_parallel_calls`` (not None): it runs its function on several
    elements at once."""
    stage = catalogue.parallel_stages.get(call.api)
    if stage is None:
        return False
    node = call.node
    for keyword in node.keywords:
        if keyword.arg == stage.npc_param:
            return not is_none(keyword.value)
    if len(node.args) > stage.npc_pos:
        return not is_none(node.args[stage.npc_pos])
    return False
