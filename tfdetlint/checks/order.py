"""TFD4xx: tf.data stages allowed to reorder elements, and stateful randomness in parallel maps.

`num_parallel_calls` alone keeps input order (Options.deterministic defaults to True), so only
an explicit `deterministic=False`, `Options.deterministic = False` or `sloppy=True` reorders.
Op determinism forces order back, so none of these are flagged once it is on.
"""

from __future__ import annotations

from collections.abc import Iterator

from tfdetlint.arguments import Hidden, argument, source_text
from tfdetlint.catalogue import Catalogue
from tfdetlint.checks import RawFinding, at_call
from tfdetlint.facts import FileFacts, report_pos


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    for call in facts.calls:
        if call.state.determinism:
            continue
        for entry in catalogue.order_apis.get(call.api, ()):
            value = argument(call.node, entry.param, entry.param_pos)
            if isinstance(value, Hidden) or value is None or source_text(value) != entry.value:
                continue
            args = ((entry.param, entry.value),
                    *((k.arg, source_text(k.value)) for k in call.node.keywords if k.arg and k.arg != entry.param))
            yield at_call(call.node, report_pos(call.node), entry.rule,
                          f"`{entry.name}({entry.param}={entry.value})` returns elements in a timing-dependent "
                          f"order that differs run to run; drop `{entry.param}={entry.value}` (order is kept by "
                          "default, even with num_parallel_calls) or enable op determinism",
                          entry.name, tuple(sorted(args)))
        if call.parallel_stage is not None:
            stateful = [e for e in catalogue.random_apis.get(call.api, ()) if e.stateful]
            if stateful:
                yield at_call(call.node, report_pos(call.node), "TFD404",
                              f"`{call.api}` draws from per-process random state inside a function that "
                              f"`{call.parallel_stage}` runs in parallel: which element gets which value depends on "
                              "thread timing, even with seeds; use a stateless op (tf.random.stateless_*) with a "
                              "per-element seed, or map serially",
                              call.api, (("in", call.parallel_stage),))
    for assign in facts.attr_assigns:
        if assign.state.determinism:
            continue
        for rule in catalogue.attribute_rules:
            if assign.owner == rule.owner and assign.attr in rule.names and source_text(assign.value) == rule.value:
                node = assign.node
                yield RawFinding(node.lineno, node.col_offset, node.end_lineno or node.lineno,
                                 node.end_col_offset or node.col_offset, rule.rule,
                                 f"`{rule.owner}.{assign.attr} = {rule.value}` lets every parallel tf.data stage "
                                 "return elements in a timing-dependent order; leave it True (the default)",
                                 f"{rule.owner}.{assign.attr}", node=node)

