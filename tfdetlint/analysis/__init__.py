"""The analysis of one module, as passes: symbols -> resolve -> call graph -> program order ->
contexts -> value facts -> script or library. ``collect`` runs them and returns ``FileFacts``,
what the rules read; ``summarise_function`` gives the project index a helper's ``Effect``.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tfdetlint.analysis import keras
from tfdetlint.analysis.callgraph import CallGraph
from tfdetlint.analysis.contexts import Contexts, Handed
from tfdetlint.analysis.effects import Effect, Randomness, SeedParameter
from tfdetlint.analysis.model import (
    LAST,
    Binding,
    CallSite,
    FileFacts,
    Handoff,
    ResolvedCall,
    State,
    report_pos,
    terminal_name,
)
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
from tfdetlint.arguments import argument, is_none
from tfdetlint.catalogue import Catalogue
from tfdetlint.options import EntryContext
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
            force_script: bool | None = None, path: str = "", project: ProjectIndex | None = None,
            include_tests: bool = True, entries: Sequence[EntryContext] = (),
            model: ModuleModel | None = None) -> FileFacts:
    """What the checks need of a module. A test module whose findings will be dropped
    (``include_tests`` false) is not followed into the project's modules: nothing would use it
    (nor does it hand parallel stages on). ``entries``: functions of this module that parallel
    stages of other checked files run. ``model``: the one the project index built for the same
    bytes, when this module is also another's helper."""
    if model is None or model.tree is not tree:
        model = model_module(tree, catalogue)
    test_reason = test_module_reason(model.resolver, catalogue, path, notebook)
    is_test = test_reason is not None
    if is_test and not include_tests:
        project = None
    order = ProgramOrder(model.resolver, model.graph, model.values, catalogue, path=path, project=project)
    order.run_module()
    calls = sorted(order.calls.values(), key=lambda r: (r.node.lineno, r.node.col_offset))
    once = order.runs_once()
    for call in calls:
        call.runs_once = not call.site.in_loop and model.symbols.event_scope(call.site.scope) in once
        call.from_top = model.symbols.event_scope(call.site.scope) in order.reached_from_top
    handed = Contexts(model.resolver, model.graph, catalogue, tree).mark(calls, order.seeded_scopes, entries,
                                                                         os.path.abspath(path) if path else "")
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
    seed_defaults = _seed_defaults(model, order, catalogue, Path(path).name)
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
        mapped_helpers=list(order.mapped.values()),
        flags_main=flags_main,
        call_nodes=[site.node for site in model.symbols.sites],
        assigns=model.symbols.assigns,
        set_displays=model.symbols.set_displays,
        # A notebook's lines are not the user's (cells): its stages keep the caller-side findings.
        handoffs=handoffs(handed, path, project) if project is not None and not notebook else [],
        path=path,
        seed_defaults=seed_defaults,
        takes_gradients=any(effect.trains for _, effect in order.draws)
        or _takes_gradients(calls, model.symbols.sites, catalogue),
    )


def handoffs(handed: list[Handed], path: str, project: ProjectIndex) -> list[Handoff]:
    """The functions of the project's other modules that parallel stages run, as entry contexts
    for those modules (``util.jitter`` called in a mapped function: ``jitter`` of ``util.py``)."""
    found: dict[tuple[str, EntryContext, int], Handoff] = {}
    own = project.layout.real_path(path) if path and handed else None
    for qname, stage, node in handed:
        module, _, function = qname.rpartition(".")
        file = project.module_file(module, path, as_script=True) if module.strip(".") else None
        target = project.layout.real_path(str(file)) if file is not None else None
        if target is None or target == own:
            continue  # not the project's, or this module itself (its own contexts cover it)
        entry = replace(stage, function=function)  # the same stage, now entering ``function``
        handoff = Handoff(target, entry, node)
        found.setdefault((handoff.target, entry, id(node)), handoff)
    return list(found.values())


def _takes_gradients(calls: list[ResolvedCall], sites: list[CallSite], catalogue: Catalogue) -> bool:
    """Whether the file may run a backward pass: a training call, a train op, or any call named
    like one (``trainer.fit()``, ``tape.gradient``) on a receiver the analysis cannot type."""
    if builds_train_op(calls, catalogue) or any(is_training_call(c, catalogue) for c in calls):
        return True
    return any(terminal_name(site.node.func) in catalogue.gradient_evidence for site in sites)


def _seed_defaults(model: ModuleModel, order: ProgramOrder, catalogue: Catalogue,
                   file: str) -> list[tuple[ast.Call, str, SeedParameter]]:
    """Calls of local or project code whose None-default parameter seeds a generator from
    entropy: (call, the callee as named, the parameter)."""
    found = [(call.node, effect.name, param) for call, effect in order.draws for param in effect.seed_params]
    memo: dict[int, tuple[SeedParameter, ...]] = {}
    for site in model.symbols.sites:
        if model.resolver.resolve_call(site) is not None:
            continue
        target = model.graph.runs_now(site, None)
        if target is None or model.symbols.scopes[target].kind != "function":
            continue
        if target not in memo:
            memo[target] = entropy_parameters(model, target, catalogue, file)
        name = terminal_name(site.node.func) or model.symbols.scopes[target].name
        found += [(site.node, name, param) for param in memo[target]]
    return found


def summarise_function(model: ModuleModel, function: str, path: str, project: ProjectIndex, depth: int) -> Effect | None:
    """What calling ``function`` of this module does to the random state, and what it draws unseeded.
    ``MODULE_TOP``/``MODULE_MAIN``: what importing (``%run``-ning) the module does to the state."""
    if function in (MODULE_TOP, MODULE_MAIN):
        return _summarise_import(model, path, project, depth, as_main=function == MODULE_MAIN)
    if function.endswith("()"):
        return _summarise_result(model, function, path, project, depth)
    if "." in function:
        return _summarise_method(model, function, path, project, depth)
    binding = model.resolver.lookup(function, 0, LAST)
    if binding is None or binding.kind == "import":
        return _reexported(model, function, binding, path, project, depth)
    if binding.scope is None or binding.kind not in ("def", "class"):
        return None
    entry = binding.scope if binding.kind == "def" else model.resolver.method_of(binding.scope, "__init__")
    if entry is None:
        return None
    return _summarise_code(model, entry, function, path, project, depth)


def _summarise_method(model: ModuleModel, function: str, path: str, project: ProjectIndex,
                      depth: int) -> Effect | None:
    """``Aug.apply``: a method of a class of this module, as a bound method handed to a library
    runs it (``ds.map(Aug().apply)``)."""
    owner, _, name = function.partition(".")
    binding = model.resolver.lookup(owner, 0, LAST)
    if binding is None or binding.kind != "class" or binding.scope is None or "." in name:
        return None
    method = model.resolver.method_of(binding.scope, name)
    return _summarise_code(model, method, function, path, project, depth) if method is not None else None


def _summarise_result(model: ModuleModel, function: str, path: str, project: ProjectIndex,
                      depth: int) -> Effect | None:
    """``f()``: what calling the value ``f`` returns does, a builder's closure here or a function
    it names (``functools.partial(util.preprocess, ...)``), followed into its module."""
    binding = model.resolver.lookup(function.removesuffix("()"), 0, LAST)
    if binding is None or binding.scope is None or binding.kind != "def":
        return None
    value = model.resolver.returned(binding.scope)
    code = model.graph.code_of_value(value)
    if code is not None:
        return _summarise_code(model, code, function, path, project, depth)
    named = model.resolver.callee_name(value)
    effect = project.effect(named, path, depth + 1) if named is not None else None
    return replace(effect, name=function) if effect is not None else None


def _summarise_code(model: ModuleModel, entry: int, function: str, path: str, project: ProjectIndex,
                    depth: int) -> Effect | None:
    catalogue = project.catalogue
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
    seed_params = entropy_parameters(model, entry, catalogue, Path(path).name)
    if not state.seeds and not state.determinism and not draws and not stateful and not trains_text \
            and not seed_params:
        return None
    entropy = next(iter(order.entropy_seeds), None)
    return Effect(function, path, state.seeds, state.determinism, entropy, draws[:8], stateful[:8], trains_text,
                  seed_params)


def entropy_parameters(model: ModuleModel, entry: int, catalogue: Catalogue, file: str) -> tuple[SeedParameter, ...]:
    """Parameters of a function (or ``__init__``) that default to None and are the seed of a
    generator no global seed controls, created in its body (``RandomState(seed)``)."""
    node = model.symbols.scopes[entry].node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ()
    positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    defaults = dict(zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults, strict=True))
    defaults |= {a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is not None}
    if not any(is_none(d) for d in defaults.values()):
        return ()
    is_method = model.symbols.scopes[entry].parent is not None \
        and model.symbols.scopes[model.symbols.scopes[entry].parent or 0].kind == "class"
    offset = 1 if is_method and positional else 0
    found: list[SeedParameter] = []
    for site in (e for e in model.symbols.scopes[entry].events if isinstance(e, CallSite)):
        resolved = model.resolver.resolve_call(site)
        if resolved is None:
            continue
        for api in catalogue.random_apis.get(resolved.api, ()):
            if api.domain != "none" or not api.rule or api.seed is None:
                continue
            seed = argument(site.node, api.seed, api.seed_pos)
            if not (isinstance(seed, ast.Name) and seed.id in defaults and is_none(defaults[seed.id])):
                continue
            # still the parameter here: `if seed is None: seed = 0` before the call seeds it
            binding = model.resolver.lookup(seed.id, entry, (seed.lineno, seed.col_offset))
            if binding is not None and binding.kind == "param":
                position = positional.index(seed.id) - offset if seed.id in positional else None
                found.append(SeedParameter(seed.id, position, api.name, f"{file}:{site.node.lineno}"))
    return tuple(found)


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
