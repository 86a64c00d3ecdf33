"""The cheap test before parsing: can these bytes produce any finding at all?

A finding needs a call of a catalogue API, and every such call spells the API's last name
(`shuffle`, `bincount`, `deterministic=` ...) as an identifier in the file. Rules that only fire
in scripts also need a script marker. A file with neither is skipped without being parsed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tfdetlint.catalogue import Catalogue

_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")

# What makes a module a script (facts._script_status) or trains (program.py), as identifiers.
SCRIPT_MARKERS = frozenset(
    {"__main__", "fit", "train_on_batch", "fit_generator", "apply_gradients", "minimize",
     "Session", "InteractiveSession", "MonitoredTrainingSession", "train_and_evaluate"}
)


@lru_cache(maxsize=4)
def trigger_sets(catalogue: Catalogue) -> tuple[frozenset[bytes], frozenset[bytes], frozenset[bytes]]:
    """(anywhere triggers, script-only triggers, script markers) as bytes."""
    anywhere: set[str] = set()
    script_only: set[str] = set()

    def leaf(name: str) -> str:
        return name.rsplit(".", 1)[-1]

    for name, entries in catalogue.random_apis.items():
        for entry in entries:
            target = anywhere if entry.domain in ("none", "tf-generator") or entry.stateful else script_only
            target.add(leaf(name))
            if entry.seed:
                anywhere.add(entry.seed)  # a seed from the clock is flagged anywhere (TFD106)
    for name, ops in catalogue.ops.items():
        for op in ops:
            rule = op.rule_for(False)
            scope = catalogue.rules[rule].scope if rule else "script"
            (anywhere if scope == "anywhere" else script_only).add(leaf(name))
    for orders in catalogue.order_apis.values():
        for order in orders:
            anywhere.add(order.param)
            if order.param_pos is not None:
                # `map(f, 8, False)` passes `deterministic` without spelling its name.
                anywhere.add(leaf(order.name))
    for stage in catalogue.parallel_stages.values():
        anywhere.add(stage.npc_param)
    for attribute in catalogue.attribute_rules:
        anywhere.update(attribute.names)
    script_only.update(leaf(n) for n in catalogue.consumers)
    anywhere.update(leaf(n) for n in catalogue.setters)
    script_only.update(leaf(n) for n in catalogue.determinism_functions)
    # Training alone is a finding (TFD502): `sess.run(train_op)` in a loop spells only `run`.
    training = {*catalogue.training_methods, *catalogue.training_functions, catalogue.session_run}
    script_only.update(leaf(n) for n in training if n)
    script_only.update(catalogue.training_duck_methods)
    script_only.update(catalogue.determinism_env)
    # TFD6xx (environment.toml): listings, the calls where an order becomes data, sets and
    # hash(), the variables, distributed training. On the benchmark corpus `set`, `frozenset` and
    # `enumerate` add about 120 of 3,456 files to those parsed.
    env = catalogue.environment
    anywhere.update(leaf(n) for n in (*env.listings, *env.dataset_sinks, *env.vocabulary_sinks,
                                      *env.distributed.get("async", []), *env.distributed.get("data_service", [])))
    anywhere.update({"set", "frozenset", "enumerate", "hash", "use_locking", "replica_device_setter", *(
        str(env.settings.get(k, "")) for k in ("hash_seed_env", "cudnn_env"))} - {""})
    script_only.update({"shard", *(leaf(n) for n in env.loop_setters)})
    return _encode(anywhere), _encode(script_only), _encode(SCRIPT_MARKERS)


def _encode(words: set[str] | frozenset[str]) -> frozenset[bytes]:
    return frozenset(w.encode() for w in words)


def could_match(raw: bytes, catalogue: Catalogue, *, notebook: bool = False, force_script: bool | None = None) -> bool:
    anywhere, script_only, markers = trigger_sets(catalogue)
    words = set(_IDENT.findall(raw))
    if not words.isdisjoint(anywhere):
        return True
    if force_script is False:
        return False
    maybe_script = notebook or force_script is True or not words.isdisjoint(markers)
    # A script that imports code can draw its randomness or train inside the project's own
    # modules (TFD501/502 name them), which no word of its own shows.
    return maybe_script and (not words.isdisjoint(script_only) or b"import" in words)
