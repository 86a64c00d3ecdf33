"""TFD5xx: program set-up of a training script: a global seed, and op determinism.

One finding per file each, at the first call that needs it; never in library modules, whose
callers seed and configure the program.
"""

from __future__ import annotations

from collections.abc import Iterator

from tfdetlint.catalogue import Catalogue
from tfdetlint.checks import RawFinding, at_call
from tfdetlint.checks.domains import covered, helper_note
from tfdetlint.checks.seeding import applies, is_unseeded, op_seed
from tfdetlint.facts import FileFacts, ResolvedCall, is_training_call, report_pos

_NEEDS = {
    "tf": "the TF seed",
    "numpy": "NumPy's seed",
    "python": "Python's random seed",
    "keras": "the seed Keras layers and initializers follow",
}


def unseeded_domain(call: ResolvedCall, facts: FileFacts, catalogue: Catalogue) -> str | None:
    """The controllable domain this call draws from without a seed in effect, if any."""
    consumer = catalogue.consumers.get(call.api)
    if consumer is not None:
        return None if covered(consumer, call.state, facts) else consumer
    for entry in catalogue.random_apis.get(call.api, ()):
        if not entry.rule or entry.domain not in _NEEDS:
            continue
        if applies(entry, call.node) and is_unseeded(entry, op_seed(entry, call.node)):
            return None if covered(entry.domain, call.state, facts) else entry.domain
    return None


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    if not facts.is_script:
        return
    needing = [(c, d) for c in facts.calls if c.in_script(facts) and (d := unseeded_domain(c, facts, catalogue))]
    if needing:
        first = needing[0][0]
        domains = sorted({d for _, d in needing})
        words = ", ".join(_NEEDS[d] for d in domains)
        note = helper_note(domains, facts, first)
        yield at_call(first.node, report_pos(first.node), "TFD501",
                      f"this script uses randomness (first: `{first.api}`) but no global seed covers it (missing: {words}){note}; "
                      "call keras.utils.set_random_seed(SEED) at the start (it seeds Python, NumPy and TF together)",
                      first.api)
    training = [c for c in facts.calls if c.in_script(facts) and is_training_call(c, catalogue)]
    if training and not training[0].state.determinism:
        first_training = training[0]
        session = first_training.api == catalogue.session_run
        extra = (" (and tf.compat.v1.Session itself is outside what op determinism guarantees)" if session else "")
        yield at_call(first_training.node, report_pos(first_training.node), "TFD502",
                      f"this script trains (`{first_training.api}`) without op determinism: bias-add, convolution "
                      "and pooling gradients can differ run to run on GPU; call "
                      f"tf.config.experimental.enable_op_determinism() before training{extra}",
                      first_training.api)
