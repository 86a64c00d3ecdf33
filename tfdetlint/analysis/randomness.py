"""Whether one call of a catalogued API draws randomness, and whether it has its own seed.

These are facts about a call's arguments read against the catalogue (rng.toml, shuffle.toml):
``shuffle=False`` draws nothing, ``seed=None`` is no seed, ``*args`` may hide either.
"""

from __future__ import annotations

import ast

from tfdetlint.arguments import Hidden, argument, is_none, literal_text, source_text
from tfdetlint.catalogue import ArgCondition, Catalogue, RandomApi


def matches(call: ast.Call, condition: ArgCondition) -> bool | None:
    """Whether the argument satisfies the condition; None when *args/**kwargs hide it.

    ``"*"`` means the argument is given a value: an explicit ``None`` is the parameter's
    default in every API the catalogue lists, so it counts as not given
    (``bincount(x, weights=None)`` is the unweighted op).
    """
    value = argument(call, condition.param, condition.pos)
    if value is Hidden.MAYBE:
        return None
    if value is None:
        return False
    pattern = condition.regex()
    if pattern is None:
        return not is_none(value)
    return bool(pattern.search(literal_text(value)))


def applies(entry: RandomApi, call: ast.Call) -> bool:
    """Whether this call of the API draws randomness at all (shuffle=False, KFold(shuffle=True) ...)."""
    if any(matches(call, c) is not False for c in entry.safe_if):
        return False
    if entry.hazard_if and not any(matches(call, c) for c in entry.hazard_if):
        return False
    return all(matches(call, c) is not False for c in entry.requires)


def op_seed(entry: RandomApi, call: ast.Call) -> ast.expr | Hidden | None:
    if entry.seed is None:
        return None
    return argument(call, entry.seed, entry.seed_pos)


def is_unseeded(entry: RandomApi, seed: ast.expr | Hidden | None) -> bool:
    if seed is None:
        return True
    if seed is Hidden.MAYBE:
        return False
    return source_text(seed) in entry.unseeded_values


def seeded_initializer(expr: ast.expr) -> bool:
    """``GlorotUniform(seed=1)``, ``initializers.Orthogonal(seed=SEED)``: an initializer with its own seed."""
    if not isinstance(expr, ast.Call):
        return False
    return any(k.arg == "seed" and not is_none(k.value) for k in expr.keywords)


def consumer_domain(api: str, call: ast.Call, catalogue: Catalogue) -> str | None:
    """The global seed a layer's default random initializers draw from, unless all of them are seeded."""
    consumer = catalogue.consumer_entries.get(api)
    if consumer is None:
        return None
    if consumer.initializers:
        given = [argument(call, p, None) for p in consumer.initializers]
        if consumer.default_only and all(v is not None and not (isinstance(v, ast.expr) and is_none(v))
                                         for v in given):
            return None  # each initializer given (or hidden in **kwargs): no default one draws
        if all(isinstance(v, ast.expr) and seeded_initializer(v) for v in given):
            return None  # measured: Dense(kernel_initializer=GlorotUniform(seed=1)) is identical across processes
    return consumer.domain


def unseeded_domain(api: str, call: ast.Call, catalogue: Catalogue) -> str | None:
    """The controllable global-seed domain this call draws from with no seed of its own, if any."""
    domain = consumer_domain(api, call, catalogue)
    if domain is not None:
        return domain
    for entry in catalogue.random_apis.get(api, ()):
        if not entry.rule or entry.domain in ("none", "tf-generator"):
            continue
        if applies(entry, call) and is_unseeded(entry, op_seed(entry, call)):
            return entry.domain
    return None


def is_stateful(api: str, catalogue: Catalogue) -> bool:
    """Draws from per-process random state: a hazard inside a parallel tf.data map (TFD404)."""
    return any(e.stateful for e in catalogue.random_apis.get(api, ()))
