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
    def __init__(self, resolver: Resolver, graph: CallGraph, catalogue: Catalogue) -> None:
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
        gradient_scopes = self.g.reachable(self._gradient_roots(calls)) - data_scopes
        sliced = self._gradient_slices(calls)
        test_scopes = self.g.reachable(seeded_scopes)
        for call in calls:
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

    # ---- seeded scopes
    def _in_seeding_scope(self, call: ResolvedCall) -> bool:
        """Inside ``with DeterministicRandomTestTool().scope():`` every random op is seeded by the tool."""
        for item in call.site.with_items:
            if isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute) and item.func.attr == "scope":
                made_by = self.r.constructor_of(item.func.value, call.site.scope)
                if made_by is not None and made_by in self.c.seeding_scopes:
                    return True
        return False

