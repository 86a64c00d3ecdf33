"""The analysis of one module, as passes: symbols -> resolve -> call graph -> program order ->
contexts -> value facts -> script or library. ``collect`` runs them and returns ``FileFacts``,
what the rules read; ``summarise_function`` gives the project index a helper's ``Effect``.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tfdetlint.analysis import keras
from tfdetlint.analysis.callgraph import CallGraph
from tfdetlint.analysis.contexts import Contexts
from tfdetlint.analysis.effects import Effect, Randomness
from tfdetlint.analysis.model import LAST, Binding, FileFacts, ResolvedCall, State, report_pos
from tfdetlint.analysis.order import ProgramOrder
from tfdetlint.analysis.randomness import is_stateful, unseeded_domain
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.analysis.script import (
    builds_train_op,
    dead_functions,
    is_training_call,
    scope_chain,
    script_status,
    test_module_reason,
)
from tfdetlint.analysis.symbols import SymbolTable, build_symbols
from tfdetlint.analysis.values import ValueFacts
from tfdetlint.catalogue import Catalogue
from tfdetlint.project import MODULE_MAIN, MODULE_TOP, ProjectIndex

__all__ = ["Effect", "FileFacts", "ModuleModel", "ResolvedCall", "State", "collect", "is_training_call",
           "model_module", "report_pos", "summarise_function"]


@dataclass
class ModuleModel:
    """A parsed module's symbols and resolver: built once, shared by every summary of its functions."""

    tree: ast.Module
    symbols: SymbolTable
    resolver: Resolver
    graph: CallGraph
    values: ValueFacts


def model_module(tree: ast.Module, catalogue: Catalogue) -> ModuleModel:
    symbols = build_symbols(tree)
    resolver = Resolver(symbols, catalogue)
    return ModuleModel(tree, symbols, resolver, CallGraph(resolver, symbols, catalogue),
                       ValueFacts(resolver, symbols, catalogue))


def collect(tree: ast.Module, catalogue: Catalogue, *, notebook: bool, keras_version: str | None = None,
            force_script: bool | None = None, path: str = "", project: ProjectIndex | None = None) -> FileFacts:
    model = model_module(tree, catalogue)
    order = ProgramOrder(model.resolver, model.graph, model.values, catalogue, path=path, project=project)
    order.run_module()
    calls = sorted(order.calls.values(), key=lambda r: (r.node.lineno, r.node.col_offset))
    once = order.runs_once()
    for call in calls:
        call.runs_once = not call.site.in_loop and model.symbols.event_scope(call.site.scope) in once
    Contexts(model.resolver, model.graph, catalogue).mark(calls, order.seeded_scopes)
    test_reason = test_module_reason(model.resolver, catalogue, path, notebook)
    is_test = test_reason is not None
    if is_test:
        for call in calls:
            call.in_test = True
    if not builds_train_op(calls, catalogue):
        for call in calls:
            call.session_without_train_op = call.api == catalogue.session_run
    main = model.graph.module_main()
    main_trains = main is not None and main in order.reached_from_top and any(
        is_training_call(c, catalogue) and c.site.scope in model.graph.reachable({main}) for c in calls
    )
    top_trains = any(is_training_call(c, catalogue) and model.symbols.event_scope(c.site.scope) in order.entered_now
                     for c in calls)
    script, reason = script_status(model.resolver, catalogue, calls, test_reason=test_reason, notebook=notebook,
                                   force_script=force_script, main_trains=main_trains, top_trains=top_trains)
    if script:
        dead = dead_functions(tree, model.symbols.scopes, order.reached_from_top)
        if dead:
            for call in calls:
                call.unreferenced = any(s in dead for s in scope_chain(model.symbols.scopes, call.site.scope))
    flags_main = next((node for c in calls if c.api in catalogue.flag_parsers and c.reached
                       and (target := model.graph.runs_now(c.site, c)) is not None
                       and isinstance(node := model.symbols.scopes[target].node, (ast.FunctionDef, ast.AsyncFunctionDef))),
                      None)
    hint = project.keras_hint(path) if project is not None else None
    estimator = any(c.api.startswith("tensorflow.estimator.") for c in calls)
    version, keras_reason = keras.infer(model.symbols, keras_version, hint, estimator)
    return FileFacts(
        calls=calls,
        attr_assigns=order.attrs,
        is_script=script,
        script_reason=reason,
        is_test_module=is_test,
        imports=frozenset(model.symbols.imports),
        keras_domain_follows=catalogue.keras_follows.get(version, "python"),
        keras_reason=keras_reason,
        determinism_anywhere=order.det_anywhere,
        values=model.values,
        tree=tree,
        by_node={id(c.node): c for c in calls},
        helpers=order.helpers,
        helper_randomness=order.draws,
        flags_main=flags_main,
        call_nodes=[site.node for site in model.symbols.sites],
        assigns=model.symbols.assigns,
        set_displays=model.symbols.set_displays,
    )


def summarise_function(model: ModuleModel, function: str, path: str, project: ProjectIndex, depth: int) -> Effect | None:
    """What calling ``function`` of this module does to the random state, and what it draws unseeded.
    ``MODULE_TOP``/``MODULE_MAIN``: what importing (``%run``-ning) the module does to the state."""
    catalogue = project.catalogue
    if function in (MODULE_TOP, MODULE_MAIN):
        return _summarise_import(model, path, project, depth, as_main=function == MODULE_MAIN)
    binding = model.resolver.lookup(function, 0, LAST)
    if binding is None or binding.kind == "import":
        return _reexported(model, function, binding, path, project, depth)
    if binding.scope is None or binding.kind not in ("def", "class"):
        return None
    entry = binding.scope if binding.kind == "def" else model.resolver.method_of(binding.scope, "__init__")
    if entry is None:
        return None
    order = ProgramOrder(model.resolver, model.graph, model.values, catalogue, path=path, project=project,
                         depth=depth + 1)
    state = order.enter(entry, State())
    unseeded: list[tuple[ResolvedCall, str]] = []
    for call in order.calls.values():
        domain = unseeded_domain(call.api, call.node, catalogue)
        if domain is not None and domain not in call.state.seeds:
            unseeded.append((call, domain))
    draws: tuple[Randomness, ...] = order.randomness(unseeded)
    draws += tuple(r for call, e in order.draws for r in e.randomness if r.domain not in call.state.seeds)
    stateful = order.randomness([(c, "stateful") for c in order.calls.values() if is_stateful(c.api, catalogue)])
    stateful += tuple(r for _, e in order.draws for r in e.stateful)
    training = sorted((c for c in order.calls.values() if is_training_call(c, catalogue) and not c.state.determinism),
                      key=lambda c: c.order)
    trains = order.randomness([(training[0], "training")])[0] if training else None
    trains_text = f"`{trains.api}` at {trains.where}" if trains else next(
        (e.trains for _, e in order.draws if e.trains), None)
    if not state.seeds and not state.determinism and not draws and not stateful and not trains_text:
        return None
    entropy = next(iter(order.entropy_seeds), None)
    return Effect(function, path, state.seeds, state.determinism, entropy, draws[:8], stateful[:8], trains_text)


def _reexported(model: ModuleModel, function: str, binding: Binding | None, path: str, project: ProjectIndex,
                depth: int) -> Effect | None:
    """A package's ``__init__`` that re-exports the function (``from .train import gan_train``,
    ``from pkg.train import *``): calling it is calling the module that defines it."""
    if binding is not None:
        return project.effect(binding.qname, path, depth + 1) if binding.qname else None
    for stmt in model.tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(alias.name == "*" for alias in stmt.names):
            source = "." * stmt.level + (stmt.module or "")
            effect = project.effect(f"{source}.{function}", path, depth + 1)
            if effect is not None:
                return effect
    return None


def _summarise_import(model: ModuleModel, path: str, project: ProjectIndex, depth: int, *,
                      as_main: bool) -> Effect | None:
    """The seeds and op determinism a module's top level sets when it is imported. Its draws are
    left out: a module's own top-level randomness is reported when that module is checked."""
    order = ProgramOrder(model.resolver, model.graph, model.values, project.catalogue, path=path, project=project,
                         depth=depth + 1)
    state = order.run_imported(as_main)
    if not state.seeds and not state.determinism:
        return None
    name = Path(path).stem
    return Effect(name, path, state.seeds, state.determinism, next(iter(order.entropy_seeds), None))
