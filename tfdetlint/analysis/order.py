"""Pass 4: run the module in program order to give each call the seed state it executes under.

The module top runs first, entering the local code each call runs now (``main()``,
``app.run(main)``, methods, ``__init__``); callbacks run where they are handed over, with the
state of that moment, except that a graph an Estimator builds does not see the default graph's
seed. Code nothing reaches from the top runs afterwards with the final state, each function on
its own. Every call's effect on the state (a seed setter, op determinism, a project helper) is
an ``Effect`` applied the same way.
"""

from __future__ import annotations

import ast

from tfdetlint.analysis.callgraph import CallGraph, data_function_args, runs_in_parallel
from tfdetlint.analysis.effects import ALL_DOMAINS, Effect, Randomness, determinism, seeding
from tfdetlint.analysis.model import (
    AttrAssign,
    CallSite,
    Event,
    ImportEvent,
    RefEvent,
    ResolvedCall,
    SetAttrEvent,
    SetItemEvent,
    State,
)
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.analysis.values import Known, ValueFacts
from tfdetlint.arguments import argument, is_none
from tfdetlint.catalogue import Catalogue
from tfdetlint.project import ProjectIndex


class ProgramOrder:
    def __init__(self, resolver: Resolver, graph: CallGraph, values: ValueFacts, catalogue: Catalogue, *,
                 path: str = "", project: ProjectIndex | None = None, depth: int = 0) -> None:
        self.r = resolver
        self.g = graph
        self.v = values
        self.c = catalogue
        self.scopes = resolver.scopes
        self.path = path
        self.project = project
        self.depth = depth
        self.helpers: list[tuple[ResolvedCall, Effect]] = []  # project helpers that seed or set determinism
        self.draws: list[tuple[ResolvedCall, Effect]] = []  # project helpers that draw randomness
        # project functions parallel tf.data stages run (`ds.map(util.parse, num_parallel_calls=4)`),
        # whose draws from random state the stage reports (TFD404): stage, function, its name, effect
        self.mapped: dict[int, tuple[ResolvedCall, ast.expr, str, Effect]] = {}
        self._resolved_at: dict[int, ResolvedCall] = {}  # id(call node) -> the call, once reached
        self.entropy_seeds: list[str] = []
        self.visited: set[int] = set()
        self.trail: list[int] = []  # scopes in the order they were entered (to undo a root's run)
        self.calls: dict[int, ResolvedCall] = {}
        self.attrs: list[AttrAssign] = []
        self.det_anywhere = False
        self.seeded_scopes = self._seeded_test_scopes()
        self.reached_from_top: set[int] = set()
        # Scopes the module top runs through calls (not callbacks handed to a library): what running
        # the module does itself.
        self.entered_now: set[int] = {0}
        self.estimator_seeded = self._estimator_seeded()
        self.deferred: list[int] = []  # model_fns handed to an Estimator, run when it trains
        self.run_by: ResolvedCall | None = None  # the Estimator training call running its model_fn now
        self.in_estimator_graph = False  # running code an Estimator calls in the graph it builds
        # Per scope entered from the module top: the calls that entered it, and whether each can
        # enter it more than once (in a loop, or as a callback whose caller decides).
        self.entries: dict[int, dict[int, tuple[int, bool]]] = {}
        self._from_top = False
        # Lines of the `if __name__ == "__main__":` blocks skipped: set when the module is imported.
        self.skipped_lines: list[tuple[int, int]] = []

    def _estimator_seeded(self) -> bool:
        """Whether some ``RunConfig(tf_random_seed=...)`` seeds the graphs Estimators build on a
        default run (not ``tf_random_seed=FLAGS.seed`` with the flag's default None)."""
        for site in self.r.w.sites:
            for keyword in site.node.keywords:
                if keyword.arg == "tf_random_seed" and not is_none(keyword.value):
                    value = self.v.of(keyword.value, site.scope)
                    if not (isinstance(value, Known) and value.value is None):
                        return True
        return False

    def _seeded_test_scopes(self) -> set[int]:
        seeded: set[int] = set()
        for scope in self.scopes:
            if scope.kind == "class" and self.r.class_base_names(scope.id) & self.c.seeded_test_bases:
                seeded.update(scope.methods)
        return seeded

    # ---- running
    def run_module(self) -> State:
        self._from_top = True
        final = self.enter(0, State())
        self.in_estimator_graph = True
        for deferred in self.deferred:  # model_fns no training call ran: evaluated, predicted, exported
            self._entered_by(deferred, None, 0, repeats=True)
            self.enter(deferred, self._estimator_graph(final))
        self.in_estimator_graph = False
        self._from_top = False
        self.reached_from_top = set(self.visited)
        for scope in self.scopes:
            if scope.id not in self.visited and scope.kind in ("function", "lambda"):
                # Forget what this root's run entered (so the next root can enter it too),
                # without copying the visited set per root: that was quadratic in big files.
                mark = len(self.trail)
                self.enter(scope.id, final)
                self.visited.difference_update(self.trail[mark:])
                del self.trail[mark:]
                self.visited.add(scope.id)
        return final

    def run_imported(self, as_main: bool) -> State:
        """The module's top level as an import runs it: without its ``__main__`` block, unless
        it runs as ``__main__`` (a notebook's ``%run``)."""
        if not as_main:
            self.skipped_lines = [(b.lineno, b.end_lineno or b.lineno) for b in self.r.w.main_blocks]
        return self.enter(0, State())

    def enter(self, scope_id: int, state: State) -> State:
        if scope_id in self.visited:
            return state
        self.visited.add(scope_id)
        self.trail.append(scope_id)
        if scope_id in self.seeded_scopes:
            state = State(ALL_DOMAINS, state.determinism)
        training: ResolvedCall | None = None  # an Estimator training call whose arguments are being run
        for event in self.scopes[scope_id].events:
            if scope_id == 0 and self.skipped_lines and self._skipped(event):
                continue
            if training is not None and not _inside(_event_node(event), training.node):
                self._run_deferred(state, training)  # after its input_fn: the Estimator calls model_fn then
                training = None
            if isinstance(event, CallSite):
                state = self._on_call(event, state)
                called = self.calls.get(id(event))
                if called is not None and self.deferred and self._runs_model_fn(called.api):
                    training = called
            elif isinstance(event, RefEvent):
                self._on_callback(event, state)
            elif isinstance(event, ImportEvent):
                state = self._on_import(event, state)
            elif isinstance(event, SetItemEvent):
                if self._is_determinism_env(event.target, event.value, event.scope):
                    state = determinism("os.environ").apply(state)
                    self.det_anywhere = True
            else:
                self._on_set_attr(event, state)
        if training is not None:
            self._run_deferred(state, training)
        return state

    def _skipped(self, event: Event) -> bool:
        node = _event_node(event)
        return any(start <= node.lineno <= end for start, end in self.skipped_lines)

    def _runs_model_fn(self, api: str) -> bool:
        """``Estimator.train``, ``train_and_evaluate``: the Estimator builds its graph and calls the
        model_fn inside them. Evaluation restores the trained variables instead, so only training
        runs the model_fn's draws where they matter."""
        return api in self.c.own_graph_builders and (api in self.c.training_methods
                                                     or api in self.c.training_functions)

    def _on_import(self, event: ImportEvent, state: State) -> State:
        """A project module's top level runs at its first import: the seeds it sets, the op
        determinism it enables, hold from here on (``import seeding_helper``, ``%run helper.py``)."""
        if self.project is None:
            return state
        for module in event.modules:
            effect = self.project.module_effect(module, self.path, self.depth, as_main=event.as_main)
            if effect is not None and effect.changes_state:
                self.det_anywhere = self.det_anywhere or effect.determinism
                state = effect.apply(state)
        return state

    def _on_set_attr(self, event: SetAttrEvent, state: State) -> None:
        owner = self.r.value_of(event.target.value, event.scope)
        if owner.type is not None:
            self.attrs.append(AttrAssign(event.node, owner.type, event.target.attr, event.value, event.scope, state))

    def _on_callback(self, event: RefEvent, state: State) -> None:
        code = self.g.code_of(event.name, event.scope)
        if code is None:
            self._on_mapped_helper(event)
            return
        # A callback runs later, so what it sets is not known to hold after this point.
        receiver = self.r.value_of(event.call.func, event.scope)
        builder = receiver.qname is not None and (
            receiver.qname in self.c.own_graph_builders
            or self.c.type_of_constructor(receiver.qname) == "tensorflow.estimator.Estimator"
        )
        if builder:
            state = self._estimator_graph(state)
        if builder and self._is_model_fn(event, receiver.qname):
            self.deferred.append(code)  # the Estimator calls model_fn inside train(), after input_fn
            return
        self._entered_by(code, event.call, event.scope, repeats=True)
        outer, self.in_estimator_graph = self.in_estimator_graph, self.in_estimator_graph or builder
        self.enter(code, state)
        self.in_estimator_graph = outer

    def _on_mapped_helper(self, event: RefEvent) -> None:
        """A function of another project module handed to a parallel tf.data stage: its summary,
        for the stage's finding when that module's own file is not checked with this one."""
        stage = self._resolved_at.get(id(event.call))
        if self.project is None or stage is None or id(event.name) in self.mapped \
                or not runs_in_parallel(stage, self.c) \
                or not any(arg is event.name for arg in data_function_args(stage, self.c)):
            return
        named = self.r.callee_name(self.r.value_of(event.name, event.scope)) or self._method_made(event.name, event.scope)
        effect = self.project.effect(named, self.path, self.depth) if named is not None else None
        if named is not None and effect is not None and effect.stateful:
            self.mapped[id(event.name)] = (stage, event.name, named, effect)


    def _method_made(self, expr: ast.expr, scope: int) -> str | None:
        """``Aug().apply`` or ``augmenter.apply`` (``augmenter = Aug()``), ``Aug`` another module's:
        ``pkg.aug.Aug.apply``, for the project index to find when ``Aug`` is a class there."""
        if not isinstance(expr, ast.Attribute):
            return None
        maker = self.r.value_of(expr.value, scope).returned_by
        return f"{maker}.{expr.attr}" if maker is not None else None

    def _estimator_graph(self, state: State) -> State:
        """The state in a graph an Estimator builds: tf.compat.v1.set_random_seed on the default
        graph does not reach it (docs/program-model.md); RunConfig(tf_random_seed=) seeds it."""
        seeds = state.seeds | {"tf"} if self.estimator_seeded else state.seeds - {"tf"}
        return State(seeds, state.determinism)

    def _is_model_fn(self, event: RefEvent, builder: str | None) -> bool:
        """``model_fn=f``, or ``Estimator(f)``: model_fn is the constructors' first parameter."""
        if event.keyword is not None:
            return event.keyword == "model_fn"
        return builder in self.c.model_fn_first and bool(event.call.args) and event.call.args[0] is event.name

    def _run_deferred(self, state: State, training: ResolvedCall) -> None:
        """Run the model_fns handed to Estimators as the training call ``training`` runs them: their
        calls are reported at that call (``run_by``), where the program reaches them."""
        outer, self.run_by = self.run_by, training
        in_graph, self.in_estimator_graph = self.in_estimator_graph, True
        for deferred in self.deferred:
            self._entered_by(deferred, None, 0, repeats=True)
            self.enter(deferred, self._estimator_graph(state))
        self.run_by, self.in_estimator_graph = outer, in_graph

    def _on_call(self, site: CallSite, state: State) -> State:
        resolved = self.r.resolve_call(site)
        if resolved is not None and id(site) not in self.calls:
            resolved.state = state
            resolved.reached = True
            resolved.order = len(self.calls)
            resolved.run_by = self.run_by
            resolved.estimator_graph = self.in_estimator_graph
            self.calls[id(site)] = resolved
            self._resolved_at[id(site.node)] = resolved
        target = self.g.runs_now(site, resolved)
        if target is not None:
            if self._from_top and self.g.w.event_scope(site.scope) in self.entered_now:
                self.entered_now.add(target)
            self._entered_by(target, site.node, site.scope, repeats=site.in_loop)
            return self.enter(target, state)
        if resolved is None:
            return state
        effect = self._effect(site, resolved)
        if effect is None:
            return state
        if effect.determinism:
            self.det_anywhere = True
        return effect.apply(state)

    def _entered_by(self, target: int, call: ast.Call | None, scope: int, *, repeats: bool) -> None:
        if not self._from_top:
            return  # code nothing at the top reaches never runs in the program
        callers = self.entries.setdefault(target, {})
        # `app.run(main)` both runs `main` now and hands it over: the run counts, not the handing.
        key = id(call)
        caller = self.g.w.event_scope(scope)
        earlier = callers.get(key)
        callers[key] = (caller, repeats and (earlier is None or earlier[1]))

    def runs_once(self) -> set[int]:
        """The scopes that run exactly once per run of the program: the module, and code entered
        from exactly one call that runs once and is not in a loop. Methods and callbacks that
        several places (or a library's callers) may call are not."""
        once: set[int] = {0}
        changed = True
        while changed:  # a fixpoint rather than recursion: call chains can be long and cyclic
            changed = False
            for scope, callers in self.entries.items():
                if scope in once or len(callers) != 1:
                    continue
                caller, repeats = next(iter(callers.values()))
                if not repeats and caller in once:
                    once.add(scope)
                    changed = True
        return once

    def _effect(self, site: CallSite, resolved: ResolvedCall) -> Effect | None:
        api = resolved.api
        setter = self.c.setters.get(api)
        if (setter is not None or api in self.c.determinism_functions) and not self.v.runs_by_default(
                site.guards, site.scope):
            return None  # inside `if FLAGS.seed:` with the flag's default falsy: a default run never gets here
        if setter is not None:
            seed = argument(site.node, setter.seed_param, setter.seed_pos)
            entropy = None
            if isinstance(seed, ast.expr):
                value = self.v.of(seed, site.scope)
                if is_none(seed) or (isinstance(value, Known) and value.value is None):
                    # set_seed(None), or a seed parameter/flag whose default is None: seeds nothing
                    return None
                entropy = self.v.entropy_in(seed, site.scope)
                if entropy is not None:
                    self.entropy_seeds.append(entropy)
            return seeding(api, setter.domains, entropy)
        if api in self.c.determinism_functions:
            return determinism(api)
        if api in self.c.env_setters and self._env_call_enables(site.node):
            return determinism(api)
        if self.project is not None and not self.c.knows(api):
            effect = self.project.effect(api, self.path, self.depth)
            if effect is not None:
                if effect.changes_state or effect.entropy:
                    self.helpers.append((resolved, effect))
                if effect.randomness or effect.stateful or effect.trains or effect.seed_params:
                    self.draws.append((resolved, effect))
                if effect.entropy:
                    self.entropy_seeds.append(effect.entropy)
                return effect
        return None

    def _is_determinism_env(self, target: ast.Subscript, value: ast.expr, scope: int) -> bool:
        owner = self.r.value_of(target.value, scope)
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
            and constant_text(value) in self.c.determinism_env_true
        )

    def randomness(self, unseeded: list[tuple[ResolvedCall, str]]) -> tuple[Randomness, ...]:
        """Draws in this run that no seed set so far covers, for a caller's summary."""
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return tuple(Randomness(domain, call.api, f"{name}:{call.node.lineno}") for call, domain in unseeded)


def _event_node(event: Event) -> ast.stmt | ast.expr:
    if isinstance(event, (CallSite, SetAttrEvent, ImportEvent)):
        return event.node
    return event.call if isinstance(event, RefEvent) else event.target


def _inside(node: ast.stmt | ast.expr, call: ast.Call) -> bool:
    """Whether ``node`` is part of the call expression ``call`` (one of its arguments)."""
    start = (node.lineno, node.col_offset)
    return (call.lineno, call.col_offset) <= start <= (call.end_lineno or call.lineno, call.end_col_offset or 0)


def constant_text(expr: ast.expr) -> str | None:
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

