"""Pass 5: where each call runs: inside a tf.data function, a parallel map, a gradient path,
or a seeded test scope. Contexts flow through the call graph: a helper called from a mapped
function runs inside the map too, at any depth. Across modules they flow as entry contexts: a
parallel stage that runs a function of another project module hands that module an
``EntryContext``, and that module's own analysis marks the function's code as in the stage.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from tfdetlint.analysis.callgraph import CallGraph
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
        parallel_roots: dict[int, EntryContext] = {}
        handed: list[Handed] = []
        for call in calls:
            stage = self.c.parallel_stages.get(call.api)
            parallel = stage is not None and _parallel_calls_given(call.node, stage.npc_param, stage.npc_pos)
            here = EntryContext("", path, call.node.lineno, call.api)
            for fn in self._data_function_args(call):
                target = self.g.code_of(fn, call.site.scope)
                if target is not None:
                    data_roots.add(target)
                    if parallel:
                        parallel_roots.setdefault(target, here)
                elif parallel and not call.state.determinism:
                    named = self.r.value_of(fn, call.site.scope).qname  # ds.map(util.parse, ...)
                    if named is not None and not self.c.knows(named):
                        handed.append((named, here, None))
        for entry in entries:
            root = self._entry_function(entry)
            if root is not None:
                parallel_roots.setdefault(root, entry)
        data_scopes = self.g.reachable(data_roots)
        parallel_of: dict[int, EntryContext] = {}
        for root, stage_at in parallel_roots.items():
            for scope in self.g.reachable({root}):
                parallel_of.setdefault(scope, stage_at)
        gradient_scopes = self.g.reachable(self._gradient_roots(calls)) - data_scopes
        sliced = self._gradient_slices(calls)
        test_scopes = self.g.reachable(seeded_scopes)
        for call in calls:
            scope = call.site.scope
            call.in_data_fn = scope in data_scopes
            mapped_by = parallel_of.get(scope)
            if mapped_by is not None:
                call.parallel_stage = mapped_by.stage
                call.parallel_line = mapped_by.line
                call.parallel_entry = mapped_by if mapped_by.function else None
                if not call.state.determinism and not self.c.knows(call.api):
                    # a project helper, called inside the stage: the stage runs it too
                    handed.append((call.api, mapped_by, call.node))
            call.in_test = scope in test_scopes
            call.gradient = not call.in_data_fn and (
                call.site.in_tape or scope in gradient_scopes or id(call.node) in sliced
            )
            if self._in_seeding_scope(call):
                call.state = State(ALL_DOMAINS, call.state.determinism)
        return handed

    # ---- tf.data functions
    def _data_function_args(self, call: ResolvedCall) -> list[ast.expr]:
        """The arguments of a call that are functions tf.data runs (``ds.map(parse)``)."""
        owner, _, method = call.api.rpartition(".")
        dataset = self.c.types.get("tensorflow.data.Dataset")
        if call.api in self.c.data_fn_callers:
            fn_args: list[ast.expr] = list(call.node.args[:1])
        elif dataset is not None and owner == dataset.name and method in dataset.fn_methods:
            fn_args = list(call.node.args[:1])
        else:
            return []
        return fn_args + [k.value for k in call.node.keywords if k.arg in self.c.fn_keywords]

    def _entry_function(self, entry: EntryContext) -> int | None:
        """The scope of the module-level function an entry context names."""
        binding = self.r.lookup(entry.function, 0, LAST)
        if binding is None or binding.kind != "def" or binding.scope is None:
            return None
        return binding.scope

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


def _parallel_calls_given(node: ast.Call, param: str, pos: int) -> bool:
    for keyword in node.keywords:
        if keyword.arg == param:
            return not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None)
    if len(node.args) > pos:
        value = node.args[pos]
        return not (isinstance(value, ast.Constant) and value.value is None)
    return False
