"""TFD4xx: tf.data stages allowed to reorder elements, and stateful randomness in parallel maps.

`num_parallel_calls` alone keeps input order (Options.deterministic defaults to True), so only
an explicit `deterministic=False`, `Options.deterministic = False` or `sloppy=True` reorders.
Op determinism forces order back, so none of these are flagged once it is on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from tfdetlint.analysis import Effect, FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.randomness import is_stateful, matches
from tfdetlint.analysis.values import Known
from tfdetlint.arguments import Hidden, argument, source_text
from tfdetlint.catalogue import Catalogue, OrderApi
from tfdetlint.checks import RawFinding, at_call, fitting, named, shorter, shown


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    for call in facts.calls:
        if call.state.determinism:
            continue
        for entry in catalogue.order_apis.get(call.api, ()):
            finding = _reordering(call, entry, facts)
            if finding is not None:
                yield finding
                break
        if call.parallel_stage is not None and is_stateful(call.api, catalogue):
            stage = _parallel(call, facts.path)
            yield at_call(call.node, report_pos(call.node), "TFD404",
                          named(call.api, f" draws from per-process random state {stage}"),
                          call.api, (("in", call.parallel_stage),), _PARALLEL_HELP)
    yield from _stateful_in_helpers(facts)
    yield from _stateful_mapped_helpers(facts)
    for assign in facts.attr_assigns:
        if assign.state.determinism:
            continue
        for rule in catalogue.attribute_rules:
            if assign.owner != rule.owner or assign.attr not in rule.names:
                continue
            fact = facts.values.of(assign.value, assign.scope)
            written = source_text(assign.value)
            if isinstance(fact, Known):
                if repr(fact.value) != rule.value:
                    continue
                message = fitting(f"`{shown(rule.owner)}.{assign.attr} = {written}` lets parallel tf.data stages "
                                  "reorder elements", f"`{assign.attr} = {written}` lets parallel tf.data stages reorder "
                                  "elements")
            elif rule.value == "False":
                message = fitting(f"`{shown(rule.owner)}.{assign.attr} = {written}` lets parallel tf.data stages "
                                  f"reorder elements unless `{fact.depends_on}` is true",
                                  f"`{assign.attr} = {written}` reorders parallel tf.data stages unless "
                                  f"`{fact.depends_on}` is true")
            else:
                continue
            node = assign.node
            yield RawFinding(node.lineno, node.col_offset, node.end_lineno or node.lineno,
                             node.end_col_offset or node.col_offset, rule.rule, message,
                             f"{rule.owner}.{assign.attr}", node=node,
                             help="every parallel stage then returns elements in a timing-dependent order; "
                                  "leave it True (the default)")


def _reordering(call: ResolvedCall, entry: OrderApi, facts: FileFacts) -> RawFinding | None:
    """``deterministic=False`` written out, through a constant, flag default or ``not``; or a value we
    cannot know, reported with what it depends on."""
    value = argument(call.node, entry.param, entry.param_pos)
    if isinstance(value, Hidden) or value is None:
        return None
    if any(matches(call.node, condition) for condition in entry.unless):
        return None
    fact = facts.values.of(value, call.site.scope)
    written = source_text(value)
    args = ((entry.param, written),
            *((k.arg, source_text(k.value)) for k in call.node.keywords if k.arg and k.arg != entry.param))
    pos = report_pos(call.node)
    if isinstance(fact, Known):
        if repr(fact.value) != entry.value:
            return None
        via = f" ({written}: {fact.via})" if fact.via else ""
        return at_call(call.node, pos, entry.rule,
                       fitting(*(f"`{name}({entry.param}={entry.value})`{note} returns elements in a timing-dependent order"
                                 for name, note in ((shown(entry.name), via), *((n, "") for n in shorter(entry.name))))),
                       entry.name, tuple(sorted(args)),
                       f"the order differs run to run; drop `{entry.param}={written}` (order is kept by default, "
                       "even with num_parallel_calls) or enable op determinism")
    if entry.value not in ("True", "False"):
        return None
    keeps = "true" if entry.value == "False" else "false"
    return at_call(call.node, pos, entry.rule,
                   fitting(*(f"`{name}({entry.param}={written})` returns elements in a timing-dependent order unless "
                             f"`{fact.depends_on}` is {keeps}" for name in shorter(entry.name))),
                   entry.name, tuple(sorted(args)), "pass a literal, or enable op determinism to keep the order")


def _stateful_in_helpers(facts: FileFacts) -> Iterator[RawFinding]:
    """A project helper called inside a parallel map that draws from per-process state: reported at
    the call (the helper's own file cannot know it runs in a parallel map), naming the draw."""
    for call, effect in facts.helper_randomness:
        if call.parallel_stage is None or call.state.determinism or not effect.stateful:
            continue
        message, why = _helper_draws(effect, _parallel(call, facts.path))
        yield at_call(call.node, report_pos(call.node), "TFD404", message, call.api, (("in", call.parallel_stage),), why)


def _stateful_mapped_helpers(facts: FileFacts) -> Iterator[RawFinding]:
    """A project function a parallel stage runs directly (``ds.map(util.parse, num_parallel_calls=4)``)
    that draws from per-process state: reported at the function handed over. ``node`` is the stage
    call, as the entry context it hands to that function's file names it."""
    for stage_call, function, name, effect in facts.mapped_helpers:
        if stage_call.state.determinism:
            continue
        message, why = _helper_draws(effect, f"in this parallel {stage_call.api.rsplit('.', 1)[-1]}")
        yield RawFinding(function.lineno, function.col_offset, function.end_lineno or function.lineno,
                         function.end_col_offset or function.col_offset, "TFD404", message, name,
                         (("in", stage_call.api),), node=stage_call.node, help=why)


def _helper_draws(effect: Effect, stage: str) -> tuple[str, str]:
    """The message and help of a finding about a helper whose first stateful draw is elsewhere."""
    draw = effect.stateful[0]
    return (fitting(f"`{effect.name}()` draws from random state (`{shown(draw.api)}` at {draw.where}) {stage}",
                    f"`{effect.name}()` draws from random state (at {draw.where}) {stage}"),
            f"`{draw.api}` at {draw.where} is per-process random state; {_PARALLEL_HELP}")


# Why a stateful draw in a parallel stage is a hazard, and what to do (the finding's help).
_PARALLEL_HELP = ("which element gets which value depends on thread timing, even with seeds; use a stateless op "
                  "(tf.random.stateless_*) with a per-element seed, or map serially")


def _parallel(call: ResolvedCall, path: str) -> str:
    """Where a draw runs in parallel: ``in a parallel map at line 8`` (the stage's method name), or
    ``at data.py:8`` when the stage is in another file (named from this file's folder)."""
    stage = (call.parallel_stage or "").rsplit(".", 1)[-1]
    entry = call.parallel_entry
    if entry is not None and not _same_file(entry.origin, path):
        return f"in a parallel {stage} at {_from_folder_of(path, entry.origin)}:{entry.line}"
    line = f" at line {call.parallel_line}" if call.parallel_line is not None else ""
    return f"in a parallel {stage}{line}"


def _same_file(one: str, other: str) -> bool:
    return bool(one and other) and os.path.abspath(one) == os.path.abspath(other)


def _from_folder_of(path: str, other: str) -> str:
    """``other`` as seen from ``path``'s folder (``data.py``, ``../data.py``); its name if no
    relative path exists (another drive)."""
    try:
        return os.path.relpath(os.path.abspath(other), os.path.dirname(os.path.abspath(path))).replace(os.sep, "/")
    except ValueError:
        return os.path.basename(other)
