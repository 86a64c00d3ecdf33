"""TFD4xx: tf.data stages allowed to reorder elements, and stateful randomness in parallel maps.

`num_parallel_calls` alone keeps input order (Options.deterministic defaults to True), so only
an explicit `deterministic=False`, `Options.deterministic = False` or `sloppy=True` reorders.
Op determinism forces order back, so none of these are flagged once it is on.
"""

from __future__ import annotations

from collections.abc import Iterator

from tfdetlint.analysis import FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.randomness import is_stateful, matches
from tfdetlint.analysis.values import Known
from tfdetlint.arguments import Hidden, argument, source_text
from tfdetlint.catalogue import Catalogue, OrderApi
from tfdetlint.checks import RawFinding, at_call


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
            where = f" (line {call.parallel_line})" if call.parallel_line is not None else ""
            yield at_call(call.node, report_pos(call.node), "TFD404",
                          f"`{call.api}` draws from per-process random state inside a function that "
                          f"`{call.parallel_stage}`{where} runs in parallel: which element gets which value "
                          "depends on thread timing, even with seeds; use a stateless op "
                          "(tf.random.stateless_*) with a per-element seed, or map serially",
                          call.api, (("in", call.parallel_stage),))
    yield from _stateful_in_helpers(facts)
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
                message = (f"`{rule.owner}.{assign.attr} = {written}` lets every parallel tf.data stage "
                           "return elements in a timing-dependent order; leave it True (the default)")
            elif rule.value == "False":
                message = (f"`{rule.owner}.{assign.attr} = {written}` lets parallel tf.data stages reorder "
                           f"elements unless `{fact.depends_on}` is true; leave it True (the default)")
            else:
                continue
            node = assign.node
            yield RawFinding(node.lineno, node.col_offset, node.end_lineno or node.lineno,
                             node.end_col_offset or node.col_offset, rule.rule, message,
                             f"{rule.owner}.{assign.attr}", node=node)


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
                       f"`{entry.name}({entry.param}={entry.value})`{via} returns elements in a timing-dependent "
                       f"order that differs run to run; drop `{entry.param}={written}` (order is kept by "
                       "default, even with num_parallel_calls) or enable op determinism",
                       entry.name, tuple(sorted(args)))
    if entry.value not in ("True", "False"):
        return None
    keeps = "true" if entry.value == "False" else "false"
    return at_call(call.node, pos, entry.rule,
                   f"`{entry.name}({entry.param}={written})` returns elements in a timing-dependent order unless "
                   f"`{fact.depends_on}` is {keeps}; pass a literal, or enable op determinism to keep the order",
                   entry.name, tuple(sorted(args)))


def _stateful_in_helpers(facts: FileFacts) -> Iterator[RawFinding]:
    """A project helper called inside a parallel map that draws from per-process state: reported at
    the call (the helper's own file cannot know it runs in a parallel map), naming the draw."""
    for call, effect in facts.helper_randomness:
        if call.parallel_stage is None or call.state.determinism or not effect.stateful:
            continue
        draw = effect.stateful[0]
        yield at_call(call.node, report_pos(call.node), "TFD404",
                      f"`{effect.name}()` draws from per-process random state (`{draw.api}` at {draw.where}) inside "
                      f"a function that `{call.parallel_stage}` (line {call.parallel_line}) runs in parallel: which "
                      "element gets which value depends on thread timing, even with seeds; use stateless ops with a "
                      "per-element seed, or map serially", call.api, (("in", call.parallel_stage),))
