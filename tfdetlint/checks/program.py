"""TFD5xx: program set-up of a training script: a global seed, and op determinism.

One finding per file each, at the first call that needs it; never in library modules, whose
callers seed and configure the program.
"""

from __future__ import annotations

from collections.abc import Iterator

from tfdetlint.analysis import FileFacts, ResolvedCall, is_training_call, randomness, report_pos
from tfdetlint.catalogue import Catalogue
from tfdetlint.checks import RawFinding, at_call
from tfdetlint.checks.domains import covered, helper_note

_NEEDS = {
    "tf": "the TF seed",
    "numpy": "NumPy's seed",
    "python": "Python's random seed",
    "keras": "the seed Keras layers and initializers follow",
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


def _keras_major(facts: FileFacts) -> str:
    return "3" if facts.keras_domain_follows == "python" else "2"


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    if not facts.is_script:
        return
    needing = [(c, d, f"`{c.api}`") for c in facts.calls
               if c.in_script(facts) and (d := unseeded_domain(c, facts, catalogue))]
    needing += list(_helper_draws(facts))
    if needing:
        needing.sort(key=lambda n: (n[0].order, n[0].node.lineno, n[0].node.col_offset))  # program order
        first, _, what = needing[0]
        domains = sorted({d for _, d, _ in needing})
        words = ", ".join(_NEEDS[d] for d in domains)
        note = helper_note(domains, facts, first)
        keras_note = f" (assuming Keras {_keras_major(facts)}: {facts.keras_reason})" if "keras" in domains else ""
        yield at_call(first.node, report_pos(first.node), "TFD501",
                      f"this script uses randomness (first: {what}) but no global seed covers it (missing: {words}){note}"
                      f"{keras_note}; call keras.utils.set_random_seed(SEED) at the start (it seeds Python, NumPy and "
                      "TF together)",
                      first.api)
    training = [(c, f"`{c.api}`") for c in facts.calls if c.in_script(facts) and is_training_call(c, catalogue)]
    training += [(c, e.trains) for c, e in facts.helper_randomness if e.trains and c.in_script(facts)]
    training.sort(key=lambda t: t[0].order)  # the first to run
    if training and not training[0][0].state.determinism:
        first_training, what = training[0]
        session = first_training.api == catalogue.session_run
        extra = (" (and tf.compat.v1.Session itself is outside what op determinism guarantees)" if session else "")
        yield at_call(first_training.node, report_pos(first_training.node), "TFD502",
                      f"this script trains ({what}) without op determinism: bias-add, convolution "
                      "and pooling gradients can differ run to run on GPU; call "
                      f"tf.config.experimental.enable_op_determinism() before training{extra}",
                      first_training.api)
