"""TFD2xx: ops whose kernels are non-deterministic (ops.toml says which, where and how).

A call's hazard depends on where it runs: inside a tf.data function it runs on the CPU and has
no gradient, so only CPU behaviour counts there. Back-prop hazards count only on a gradient
path (model, layer or loss code, or under a GradientTape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tfdetlint.analysis import FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.randomness import matches
from tfdetlint.catalogue import Catalogue, OpApi
from tfdetlint.checks import RawFinding, at_call, fitting, shorter, shown


def selected(op: OpApi, call: ResolvedCall, backward: bool = True) -> bool:
    """Whether this entry describes this call (method='nearest', weights given ...).
    ``backward``: whether the program may run a backward pass at all."""
    # A call of an object (a loss object) reads the arguments its constructor was given.
    node = call.made_by if call.made_by is not None else call.node
    if any(matches(node, c) is False for c in op.when):
        return False
    if any(matches(node, c) for c in op.unless):
        return False
    if op.pass_ == "layer":
        return backward and not call.in_data_fn and not call.no_gradient
    return (backward and call.gradient) or not op.gradient_only or (op.eager and call.eager)


def message(op: OpApi, rule: str, determinism: bool, cpu_only: bool) -> tuple[str, str]:
    """The message (the op, its kernel and what differs where) and the help (why, and the remedy)."""
    what = "its gradient" if op.pass_ in ("backward", "layer") else "it"

    # A call of an object (`X.__call__`) is named by its class: `CategoricalCrossentropy` object.
    api = op.name.removesuffix(".__call__")
    noun = " object" if api != op.name else ""

    def said(render: Callable[[str], str]) -> str:
        # The kernel is dropped before the API's name is shortened: the API is what the user wrote.
        return fitting(render(f"`{shown(api)}`{noun} ({op.kernel})"),
                       *(render(f"`{name}`{noun}") for name in shorter(api)))

    if rule == "TFD204":
        return (said(lambda api: f"{api} raises FailedPreconditionError once op determinism is enabled"),
                "remove it from the traced program")
    if rule == "TFD203":
        devices = ", ".join(op.devices_where("unfixed"))
        return (said(lambda api: f"{api} stays non-deterministic on {devices} even with op determinism on"),
                "op determinism raises no error for it (measured on CPU); use a deterministic equivalent")
    if rule == "TFD202":
        if determinism:
            return (said(lambda api: f"{api}: {what} raises UnimplementedError on GPU under op determinism"),
                    "it has no deterministic GPU kernel; use another op or run it on CPU")
        cpu_note = " and on CPU" if "fixed" in op.behaviours(True) else ""
        return (said(lambda api: f"{api}: {what} can differ run to run on GPU{cpu_note}, with no deterministic kernel"),
                "enabling op determinism makes it raise UnimplementedError on GPU; use another op or run it on CPU")
    devices = " and ".join(op.devices_where("fixed")) if not cpu_only else "CPU"
    return (said(lambda api: f"{api}: {what} can differ run to run on {devices}"),
            "call tf.config.experimental.enable_op_determinism() to get a deterministic kernel")


def backward_may_run(facts: FileFacts, call: ResolvedCall, rule: str) -> bool:
    """Whether a backward pass may run through this call. A script that neither trains nor
    takes a gradient (it exports, evaluates or summarises a model) runs none. TFD201 asks that
    script to make its own run deterministic, so nothing it runs counts; the other rules hold
    anywhere, and the script's classes and functions may be imported and trained elsewhere
    (a model class with a demo ``__main__``): only its module-level code is exempt."""
    if facts.takes_gradients or not facts.is_script:
        return True
    if rule == "TFD201":
        return not call.from_top
    return not call.site.module_level


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    for call in facts.calls:
        if call.in_test:
            continue  # a test run is not a training run
        for op in catalogue.ops.get(call.api, ()):
            cpu_only = call.in_data_fn
            rule = op.rule_for(cpu_only)
            if rule is None or not selected(op, call, backward_may_run(facts, call, rule)):
                continue
            determinism = call.state.determinism
            if rule == "TFD201" and (determinism or not call.in_script(facts)):
                continue
            if rule == "TFD204" and not determinism:
                continue
            text, remedy = message(op, rule, determinism, cpu_only)
            yield at_call(call.node, report_pos(call.node), rule, text, op.name, help=remedy)
            break
