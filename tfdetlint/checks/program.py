"""TFD5xx: program set-up of a training script: a global seed, and op determinism.

One finding per file each, at the first call that needs it; never in library modules, whose
callers seed and configure the program.
"""

from __future__ import annotations

from collections.abc import Iterator

from tfdetlint.analysis import FileFacts, ResolvedCall, is_training_call, randomness, report_pos
from tfdetlint.arguments import source_text
from tfdetlint.catalogue import Catalogue
from tfdetlint.checks import RawFinding, at_call, fitting, shorter
from tfdetlint.checks.domains import ESTIMATOR_REMEDY, covered, helper_note

# The global seeds a script can miss, as the message names them.
_NEEDS = {
    "tf": "TF",
    "numpy": "NumPy",
    "python": "Python",
    "keras": "Keras",
}


def unseeded_domain(call: ResolvedCall, facts: FileFacts, catalogue: Catalogue) -> str | None:
    """The controllable domain this call draws from without a seed in effect, if any."""
    domain = randomness.unseeded_domain(call.api, call.node, catalogue)
    if domain is None or domain not in _NEEDS or covered(domain, call.state, facts):
        return None
    return domain


def _helper_draws(facts: FileFacts) -> Iterator[tuple[ResolvedCall, str, str]]:
    """Unseeded draws inside project helpers this script calls: (call, domain, "api at file:line")."""
    for call, effect in facts.helper_randomness:
        if not call.in_script(facts):
            continue
        for draw in effect.randomness:
            if draw.domain in _NEEDS and not covered(draw.domain, call.state, facts):
                yield call, draw.domain, f"`{draw.api}` at {draw.where}"


def _skipped_setup(facts: FileFacts, apis: set[str]) -> list[str]:
    """Why a seed setter (or determinism switch) in the script does not count: its ``if`` is
    false with the defaults (``if FLAGS.tf_random_seed:``, default None). A run given the flag
    is set up; the default run is not."""
    for call in facts.calls:
        if call.api in apis and call.in_script(facts) and (
                skipped := facts.values.skipping_guard(call.site.guards, call.site.scope)) is not None:
            guard, fact = skipped
            how = f" ({fact.via})" if fact.via else ""
            return [f"`{shorter(call.api)[0]}` at line {call.node.lineno} runs only when `{source_text(guard)}` "
                    f"holds, which is {fact.value!r} by default{how}"]
    return []


def _where_run(call: ResolvedCall, domain: str, what: str) -> tuple[ResolvedCall, str, str]:
    """A draw in a model_fn is reported at the Estimator training call that runs it: the program
    reaches the draw there, and there its graph's seed (RunConfig) is chosen."""
    if call.run_by is None:
        return call, domain, what
    line = "" if " at " in what else f" at line {call.node.lineno}"
    return call.run_by, domain, f"{what}{line} in model_fn"


def _keras_major(facts: FileFacts) -> str:
    return "3" if facts.keras_domain_follows == "python" else "2"


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    if not facts.is_script:
        return
    needing = [(c, d, f"`{c.api}`") for c in facts.calls
               if c.in_script(facts) and (d := unseeded_domain(c, facts, catalogue))]
    needing += list(_helper_draws(facts))
    if needing:
        # Program order; a draw the default run skips (`if FLAGS.noise > 0:`, default 0) is not the
        # first use while another draw runs by default.
        needing.sort(key=lambda n: (not facts.values.runs_by_default(n[0].site.guards, n[0].site.scope),
                                    n[0].order, n[0].node.lineno, n[0].node.col_offset))
        first, _, what = _where_run(*needing[0])
        domains = sorted({d for _, d, _ in needing})
        # "Keras 3" (which follows Python's seed) or "Keras 2" (which follows TF's): the user can check it.
        words = ", ".join(f"Keras {_keras_major(facts)}" if d == "keras" else _NEEDS[d] for d in domains)
        why = [note] if (note := helper_note(domains, facts, first)) else []
        skipped = _skipped_setup(facts, set(catalogue.setters))
        why += skipped
        run = "a default run of this script" if skipped else "this script"
        if "keras" in domains:
            why.append(f"Keras {_keras_major(facts)} assumed ({facts.keras_reason})")
        remedy = "call keras.utils.set_random_seed(SEED) at the start (it seeds Python, NumPy and TF together)"
        if needing[0][0].estimator_graph and needing[0][1] in ("tf", "keras"):  # (Keras 2 with an Estimator)
            remedy = ESTIMATOR_REMEDY
        yield at_call(first.node, report_pos(first.node), "TFD501",
                      fitting(*(f"no global seed is set for {words} in {run} (first use: {use})"
                                for use in _shown_uses(what))),
                      first.api, help="; ".join([remedy, *why]))
    training = [(c, f"`{c.api}`") for c in facts.calls if c.in_script(facts) and is_training_call(c, catalogue)]
    training += [(c, e.trains) for c, e in facts.helper_randomness if e.trains and c.in_script(facts)]
    training.sort(key=lambda t: t[0].order)  # the first to run
    if training and not training[0][0].state.determinism:
        first_training, what = training[0]
        skipped = _skipped_setup(facts, set(catalogue.determinism_functions))
        run = "by default" if skipped else ""
        session = first_training.api == catalogue.session_run
        extra = (" (and tf.compat.v1.Session itself is outside what op determinism guarantees)" if session else "")
        yield at_call(first_training.node, report_pos(first_training.node), "TFD502",
                      fitting(*(f"this script trains ({use}) without op determinism{run and ' ' + run}"
                                for use in _shown_uses(what))),
                      first_training.api,
                      help="; ".join(["bias-add, convolution and pooling gradients can differ run to run on GPU; call "
                                      f"tf.config.experimental.enable_op_determinism() before training{extra}",
                                      *skipped]))


def _shown_uses(what: str) -> list[str]:
    """A use (the API in backquotes, maybe with ``at file:line``) with each name of its API, longest first."""
    api, _, rest = what.removeprefix("`").partition("`")
    return [f"`{name}`{rest}" for name in shorter(api)] if what.startswith("`") else [what]
