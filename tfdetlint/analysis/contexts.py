"""Pass 5: where each call runs: inside a tf.data function, a parallel map, a gradient path,
or a seeded test scope. Contexts flow through the call graph: a helper called from a mapped
function runs inside the map too, at any depth. Across modules they flow as entry contexts: a
parallel stage that runs a function of another project module hands that module an
``EntryContext``, and that module's own analysis marks the function's code as in the stage.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from tfdetlint.analysis.callgraph import CallGraph, data_function_args, runs_in_parallel
from tfdetlint.analysis.effects import ALL_DOMAINS
from tfdetlint.analysis.model import LAST, ResolvedCall, State
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.catalogue import Catalogue
from tfdetlint.options import EntryContext

# A function of another module that a parallel stage runs: its qualified name as resolved here,
# the stage (``function`` empty when the stage is in this file), and the call here that enters it.
Handed = tuple[str, EntryContext, ast.Call | None]

_MAX_SLICE = 200  # bound on the def-use walk from a gradient sink back to the ops that feed it


class Contexts:
    def __init__(self, resolver: Resolver, graph: CallGraph, catalogue: Catalogue,
                 module: ast.Module | None = None) -> None:
        self.module = module  # the parsed module, to follow module-level models forward
        self._assigned: dict[int, str] | None = None  # call -> the name its value is assigned to
        self.r = resolver
        self.g = graph
        self.c = catalogue
        self.scopes = resolver.scopes

    def mark(self, calls: Iterable[ResolvedCall], seeded_scopes: set[int], entries: Iterable[EntryContext] = (),
             path: str = "") -> list[Handed]:
        """Set each call's contexts. ``entries``: functions of this module that parallel stages
        of other files run. Returns the functions of other modules that the parallel stages seen
        here run (by qualified name), for those modules' own analysis."""
        calls = list(calls)
        data_roots: set[int] = set()
        # (function, stage) pairs: this file's own stages first, then those of other files
        parallel_roots: list[tuple[int, EntryContext]] = []
        handed: list[Handed] = []
        for call in calls:
            parallel = runs_in_parallel(call, self.c)
            here = EntryContext("", path, call.node.lineno, call.api)
            for fn in data_function_args(call, self.c):
                target = self.g.code_of(fn, call.site.scope)
                if target is not None:
                    data_roots.add(target)
                    if parallel:
                        parallel_roots.append((target, here))
                elif parallel and not call.state.determinism:
                    named = self.r.callee_name(self.r.value_of(fn, call.site.scope))  # ds.map(util.parse, ...)
                    if named is not None:
                        handed.append((named, here, call.node))
        for entry in entries:
            root, named = self._entry_function(entry)
            if root is not None:
                parallel_roots.append((root, entry))
            elif named is not None:
                handed.append((named, entry, None))  # a builder here returns another module's function
        data_scopes = self.g.reachable(data_roots)
        parallel_of: dict[int, list[EntryContext]] = {}
        for root, stage_at in parallel_roots:
            for scope in self.g.reachable({root}):
                stages = parallel_of.setdefault(scope, [])
                if stage_at not in stages:
                    stages.append(stage_at)
        builders, feeding = self._model_builders(calls)
        gradient_scopes = self.g.reachable(self._gradient_roots(calls) | builders) - data_scopes
        sliced = self._gradient_slices(calls) | feeding
        test_scopes = self.g.reachable(seeded_scopes)
        eager_scopes = self._run_from_top()
        applied = {id(site.node.func): site for site in self.r.w.sites if isinstance(site.node.func, ast.Call)}
        for call in calls:
            application = applied.get(id(call.node))
            if application is not None and call.api in self.c.ops:  # only op rules read it
                call.no_gradient = self._only_model_inputs(application.node, application.scope) \
                    or (application.module_level and self._never_trained(application.node))
            scope = call.site.scope
            call.in_data_fn = scope in data_scopes
            stages = parallel_of.get(scope, [])
            if stages:
                first = stages[0]  # the one findings name
                call.parallel_stage = first.stage
                call.parallel_line = first.line
                call.parallel_entry = first if first.function else None
                call.parallel_entries = tuple(stage for stage in stages if stage.function)
                if not call.state.determinism and not self.c.knows(call.api):
                    # a project helper, called inside the stages: they run it too
                    handed.extend((call.api, stage, call.node) for stage in stages)
            call.in_test = scope in test_scopes
            call.eager = scope in eager_scopes and not call.in_data_fn
            call.gradient = not call.in_data_fn and (
                call.site.in_tape or scope in gradient_scopes or id(call.node) in sliced
            )
            if self._in_seeding_scope(call):
                call.state = State(ALL_DOMAINS, call.state.determinism)
        return handed

    def _entry_function(self, entry: EntryContext) -> tuple[int | None, str | None]:
        """The code an entry context names: a module-level function ``f``, or for ``f()`` what
        ``f`` returns (a closure here, or by name a function of another module)."""
        name = entry.function.removesuffix("()")
        binding = self.r.lookup(name, 0, LAST)
        if binding is None or binding.kind != "def" or binding.scope is None:
            return None, None
        if name == entry.function:
            return binding.scope, None
        value = self.r.returned(binding.scope)
        code = self.g.code_of_value(value)
        return (code, None) if code is not None else (None, self.r.callee_name(value))

    def _run_from_top(self) -> set[int]:
        """Scopes the module's top level runs directly (calls, entry points), not as callbacks:
        code a library (tf.data, an Estimator's input_fn) runs may be placed on the CPU."""
        now: dict[int, set[int]] = {}
        for site in self.r.w.sites:
            target = self.g.runs_now(site, self.r.resolve_call(site))
            if target is not None:
                now.setdefault(self.r.w.event_scope(site.scope), set()).add(target)
        seen: set[int] = set()
        pending = [0]
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(now.get(current, ()))
        return seen

    # ---- gradient paths
    def _gradient_roots(self, calls: list[ResolvedCall]) -> set[int]:
        roots: set[int] = set()
        for scope in self.scopes:
            if scope.kind == "class" and self.r.class_base_names(scope.id) & (self.c.layer_bases | self.c.loss_bases):
                roots.update(scope.methods)
            elif scope.kind == "function" and self.c.gradient_function_names.match(scope.name):
                roots.add(scope.id)
        for call in calls:
            # model_fn=, loss=, strategy.run(step_fn): code the library differentiates
            for keyword in call.node.keywords:
                if keyword.arg in self.c.gradient_keywords:
                    target = self.g.code_of(keyword.value, call.site.scope)
                    if target is not None:
                        roots.add(target)
            if call.api in self.c.gradient_callers and call.node.args:
                target = self.g.code_of(call.node.args[0], call.site.scope)
                if target is not None:
                    roots.add(target)
        return roots

    def _model_builders(self, calls: list[ResolvedCall]) -> tuple[set[int], set[int]]:
        """Functions that create trainable weights (``tf.layers.conv2d``, ``Dense``): model code,
        differentiated when the model trains (tf.data functions cannot create variables). And,
        in a function that only calls such a builder, the calls whose value feeds it or is fed
        by it (``x = build_block(x)``, then ``resize(x)``): an inference helper's own
        preprocessing is not taken for model code."""
        pattern = self.c.weight_makers
        if pattern is None:
            return set(), set()
        makers = {c.site.scope for c in calls
                  if pattern.match(c.api) and self.scopes[c.site.scope].kind == "function"}
        if not makers:
            return set(), set()
        feeding: set[int] = set()
        by_scope: dict[int, list[ResolvedCall]] = {}
        for call in calls:
            by_scope.setdefault(call.site.scope, []).append(call)
        built: dict[int, list[ast.Call]] = {}
        for site in self.r.w.sites:
            if site.scope not in makers and self.scopes[site.scope].kind == "function" \
                    and self.g.runs_now(site, None) in makers:
                built.setdefault(site.scope, []).append(site.node)
        for scope_id, nodes in built.items():
            feeding |= self._connected(by_scope.get(scope_id, []), nodes, scope_id)
        # A program's driver (its main, a function that also trains) builds the model and
        # prepares the data: what it runs is not all model code.
        drivers = {c.site.scope for c in calls if self._drives_training(c)}
        main = self.g.module_main()
        return makers - drivers - {main}, feeding

    def _drives_training(self, call: ResolvedCall) -> bool:
        leaf = call.api.rsplit(".", 1)[-1]
        return (call.api in self.c.training_methods or call.api in self.c.training_functions
                or call.api == self.c.session_run or call.api in self.c.gradient_sinks
                or leaf in self.c.training_duck_methods or leaf in self.c.gradient_sink_methods)

    def _connected(self, calls: list[ResolvedCall], built: list[ast.Call], scope: int) -> set[int]:
        """Calls whose argument was assigned from a builder call, or whose value is handed to one."""
        made = {id(node) for node in built}
        handed = {n.id for node in built for arg in [*node.args, *(k.value for k in node.keywords)]
                  for n in ast.walk(arg) if isinstance(n, ast.Name)}
        found: set[int] = set()
        for call in calls:
            for arg in [*call.node.args, *(k.value for k in call.node.keywords)]:
                for name in (n for n in ast.walk(arg) if isinstance(n, ast.Name)):
                    binding = self.r.lookup(name.id, scope, (name.lineno, name.col_offset))
                    value = binding.value if binding is not None and binding.kind == "value" else None
                    if value is not None and any(id(n) in made for n in ast.walk(value)):
                        found.add(id(call.node))
            target = self._assigned_name(call.node)
            if target is not None and target in handed:
                found.add(id(call.node))
        return found

    def _assigned_name(self, node: ast.Call) -> str | None:
        """The name a call's value is assigned to (``x = tf.cast(resize(x), ...)`` counts too)."""
        if self._assigned is None:
            self._assigned = {}
            for assign in self.r.w.assigns:
                if len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name):
                    for inner in ast.walk(assign.value):
                        if isinstance(inner, ast.Call):
                            self._assigned.setdefault(id(inner), assign.targets[0].id)
        return self._assigned.get(id(node))

    def _gradient_slices(self, calls: list[ResolvedCall]) -> set[int]:
        """Calls whose results flow, through assignments in one scope, into a gradient sink
        (``minimize``, ``tf.gradients``, ``compute_gradients``, ``tape.gradient``, ``add_loss``)."""
        found: set[int] = set()
        for call in calls:
            leaf = call.api.rsplit(".", 1)[-1]
            if call.api not in self.c.gradient_sinks and leaf not in self.c.gradient_sink_methods:
                continue
            pending: list[tuple[ast.expr, int]] = [(a, call.site.scope) for a in call.node.args]
            pending += [(k.value, call.site.scope) for k in call.node.keywords]
            seen: set[int] = set()
            while pending and len(seen) < _MAX_SLICE:
                expr, scope = pending.pop()
                if id(expr) in seen:
                    continue
                seen.add(id(expr))
                for node in ast.walk(expr):
                    if isinstance(node, ast.Call):
                        found.add(id(node))
                    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                        binding = self.r.lookup(node.id, scope, (node.lineno, node.col_offset))
                        if binding is not None and binding.kind == "value" and binding.value is not None \
                                and binding.value_scope is not None:
                            pending.append((binding.value, binding.value_scope))
        return found

    def _only_model_inputs(self, application: ast.Call, scope: int) -> bool:
        """``Layer(...)(inputs)`` where every input is a ``keras.Input``: no trainable weight is
        upstream, so no gradient is taken through the layer."""
        args = [*application.args, *(k.value for k in application.keywords)]
        if not args:
            return False
        for arg in args:
            made = self.r.made_by(arg, scope)
            if made is None or self.r.value_of(made[0].func, made[1]).qname not in self.c.model_inputs:
                return False
        return True

    def _never_trained(self, application: ast.Call) -> bool:
        """A layer applied at module level whose output, followed through the module's later
        statements, only builds models that are summarised, plotted or run for inference: no
        gradient runs through it. Anything else that reads it (``fit``, ``compile``, a function,
        a loop) may train it."""
        if self.module is None:
            return False
        body = self.module.body
        index = next((i for i, stmt in enumerate(body)
                      if stmt.lineno <= application.lineno <= (stmt.end_lineno or stmt.lineno)), None)
        first = body[index] if index is not None else None
        if index is None or not isinstance(first, ast.Assign):
            return False
        carried = _assigned_names(first)
        if carried is None:
            return False
        for stmt in body[index + 1:]:
            reads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            if isinstance(stmt, ast.Assign) and (targets := _assigned_names(stmt)) is not None:
                carried = carried | targets if reads & carried else carried - targets
            elif reads & carried and not self._inspects(stmt, carried):
                return False
        return True

    def _inspects(self, stmt: ast.stmt, carried: set[str]) -> bool:
        """``model.summary()``, ``print(model)``, ``plot_model(model)``: reads that train nothing."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in carried:
            return func.attr in self.c.inspect_methods
        name = self.r.value_of(func, 0).qname
        return name in self.c.inspect_functions

    # ---- seeded scopes
    def _in_seeding_scope(self, call: ResolvedCall) -> bool:
        """Inside ``with DeterministicRandomTestTool().scope():`` every random op is seeded by the tool."""
        for item in call.site.with_items:
            if isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute) and item.func.attr == "scope":
                made_by = self.r.constructor_of(item.func.value, call.site.scope)
                if made_by is not None and made_by in self.c.seeding_scopes:
                    return True
        return False


def _assigned_names(stmt: ast.Assign) -> set[str] | None:
    """The plain names an assignment binds (``x = ...``, ``a, b = ...``); None for other targets."""
    names: set[str] = set()
    for target in stmt.targets:
        parts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        for part in parts:
            if not isinstance(part, ast.Name):
                return None
            names.add(part.id)
    return names
