"""Which global seed controls which randomness, in words and in logic."""

from __future__ import annotations

from tfdetlint.facts import FileFacts, State

SEED_CALLS = {
    "tf": "tf.random.set_seed(SEED)",
    "numpy": "np.random.seed(SEED)",
    "python": "random.seed(SEED)",
    "keras": "keras.utils.set_random_seed(SEED)",
    "tf-generator": "tf.random.set_global_generator(tf.random.Generator.from_seed(SEED))",
}


def covered(domain: str, state: State, facts: FileFacts) -> bool:
    """Whether a global seed that controls ``domain`` is in effect in ``state``."""
    if domain == "keras":
        return "keras" in state.seeds or facts.keras_domain_follows in state.seeds
    return domain in state.seeds


def describe(domain: str, facts: FileFacts) -> str:
    if domain == "tf":
        return "no TF global seed is set before it"
    if domain == "numpy":
        return "np.random.seed is not called before it"
    if domain == "python":
        return "random.seed is not called before it"
    if domain == "keras":
        if facts.keras_domain_follows == "python":
            return "unseeded Keras 3 layers and initializers follow Python's random seed, which is not set before it"
        return "no TF global seed is set before it (Keras 2 draws from TF random ops)"
    return "no global seed controls it"


def advice(domain: str, state: State, facts: FileFacts) -> str:
    if domain == "keras" and "tf" in state.seeds and facts.keras_domain_follows == "python":
        return "tf.random.set_seed alone does not cover Keras 3: call keras.utils.set_random_seed(SEED) instead"
    if domain == "keras":
        return "pass seed=... or call keras.utils.set_random_seed(SEED) first"
    return f"pass a seed or call {SEED_CALLS.get(domain, 'keras.utils.set_random_seed(SEED)')} first"
