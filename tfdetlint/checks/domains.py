"""Which global seed controls which randomness, in words and in logic."""

from __future__ import annotations

from pathlib import Path

from tfdetlint.analysis import FileFacts, ResolvedCall, State

SEED_CALLS = {
    "tf": "tf.random.set_seed(SEED)",
    "numpy": "np.random.seed(SEED)",
    "python": "random.seed(SEED)",
    "keras": "keras.utils.set_random_seed(SEED)",
    "tf-generator": "tf.random.set_global_generator(tf.random.Generator.from_seed(SEED))",
}


# The remedy for TF randomness in the graph an Estimator builds (docs/program-model.md).
ESTIMATOR_REMEDY = ("pass config=RunConfig(tf_random_seed=SEED) to the Estimator: the graph it builds does not "
                    "see a seed set on the default graph")
_GRAPH_DOMAINS = ("tf", "keras")  # what the Estimator's graph seed controls (it runs Keras 2)


def covered(domain: str, state: State, facts: FileFacts) -> bool:
    """Whether a global seed that controls ``domain`` is in effect in ``state``."""
    if domain == "keras":
        return "keras" in state.seeds or facts.keras_domain_follows in state.seeds
    return domain in state.seeds


def describe(domain: str, state: State, facts: FileFacts, *, estimator_graph: bool = False) -> str:
    """Why no global seed covers a draw from ``domain``, in a few words (for the message).
    ``estimator_graph``: the draw runs in the graph an Estimator builds."""
    if estimator_graph and domain in _GRAPH_DOMAINS:
        return "nothing seeds the Estimator's graph"
    if domain == "tf":
        return "no TF global seed set before it"
    if domain == "numpy":
        return "no np.random.seed before it"
    if domain == "python":
        return "no random.seed before it"
    if domain == "keras":
        if facts.keras_domain_follows != "python":
            return "no TF global seed set before it (Keras 2 uses TF's)"
        if "tf" in state.seeds:
            return "Keras 3 follows Python's seed, not TF's"
        return "no Python seed (Keras 3 follows it) set before it"
    return "no global seed controls it"


def advice(domain: str, state: State, facts: FileFacts, seed_param: str | None = None, *,
           estimator_graph: bool = False) -> str:
    """The remedy (for the finding's help)."""
    own = f"pass `{seed_param}=`" if seed_param else "pass a seed"
    if estimator_graph and domain in _GRAPH_DOMAINS:
        return f"{own} or {ESTIMATOR_REMEDY}"
    if domain == "keras" and "tf" in state.seeds and facts.keras_domain_follows == "python":
        return "tf.random.set_seed alone does not cover Keras 3: call keras.utils.set_random_seed(SEED) instead"
    if domain == "keras":
        return "pass seed=... or call keras.utils.set_random_seed(SEED) first"
    return f"{own} or call {SEED_CALLS.get(domain, 'keras.utils.set_random_seed(SEED)')} first"


_WORDS = {"tf": "TensorFlow", "numpy": "NumPy", "python": "Python's random", "keras": "Keras layers",
          "tf-generator": "the global tf.random.Generator"}


def _words(domains: list[str]) -> str:
    names = [_WORDS.get(d, d) for d in domains]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def helper_note(missing: list[str], facts: FileFacts, before: ResolvedCall) -> str:
    """Why a seeding helper called before ``before`` did not cover it, naming the helper and its file
    (a clause for the finding's help; empty when no helper was called)."""
    for call, effect in facts.helpers:
        if (call.node.lineno, call.node.col_offset) > (before.node.lineno, before.node.col_offset) and call.reached:
            continue
        uncovered = [d for d in missing if d not in effect.domains
                     and not (d == "keras" and facts.keras_domain_follows in effect.domains)]
        if not uncovered:
            continue
        seeded = sorted(d for d in effect.domains if d in _WORDS and d != "keras")
        where = f" in {Path(effect.path).name}" if effect.path else ""
        what = f"seeds {_words(seeded)}" if seeded else "sets no seed"
        why = ", which Keras 3 layers use" if uncovered == ["keras"] and facts.keras_domain_follows == "python" else ""
        target = "Python's random" if uncovered == ["keras"] and facts.keras_domain_follows == "python" else _words(uncovered)
        return f"{effect.name}(){where} {what} but not {target}{why}"
    return ""
