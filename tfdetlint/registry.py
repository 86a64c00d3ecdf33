"""The rule registry: one object per code with everything the tool knows about that rule.

Metadata comes from ``rules/rules.toml``; the trigger words (the identifiers a file must spell
for the rule to fire) and the API names it acts on are derived from the catalogue tables that
drive the rule; the fix builder says how a finding of the rule is repaired. The pre-filter, the
engine's scope check, ``Catalogue.knows``, ``tfdetlint rules`` and the README's rule table are
all read from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING

from tfdetlint.catalogue import Catalogue, load_catalogue

if TYPE_CHECKING:
    from tfdetlint.analysis import FileFacts
    from tfdetlint.checks import RawFinding
    from tfdetlint.intents import FixBuilder


class Scope(str, Enum):
    """Where a rule fires. The engine enforces it, not each check."""

    SCRIPT = "script"  # training scripts and notebooks; a library's caller seeds and configures
    ANYWHERE = "anywhere"


class FixLevel(str, Enum):
    """The most a fix of this rule can be; each finding's own intent says what it is."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    summary: str
    severity: str
    scope: Scope
    fix: FixLevel
    triggers: frozenset[str]  # identifiers that can make this rule fire
    apis: frozenset[str]  # resolved API names this rule acts on

    @property
    def fires_in(self) -> str:
        return "scripts" if self.scope is Scope.SCRIPT else "anywhere"

    @property
    def fix_builder(self) -> FixBuilder | None:
        from tfdetlint.intents import BUILDERS

        return BUILDERS.get(self.code)


@dataclass(frozen=True, eq=False)
class Registry:
    rules: Mapping[str, RuleSpec]
    script_markers: frozenset[str]  # what makes a module a script, as identifiers
    known: frozenset[str]  # every API name the analysis models (Catalogue.knows)

    def __getitem__(self, code: str) -> RuleSpec:
        return self.rules[code]

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self.rules[c] for c in sorted(self.rules))

    def in_scope(self, raw: RawFinding, facts: FileFacts) -> bool:
        """Whether the finding's rule fires where it was found: a script-only rule fires only in a
        script, and not in a function the script never refers to (API for importers)."""
        spec = self.rules.get(raw.code)
        if spec is None or spec.scope is Scope.ANYWHERE:
            return True
        if not facts.is_script:
            return False
        call = facts.by_node.get(id(raw.node)) if raw.node is not None else None
        return call is None or call.in_script(facts)

    def triggers(self, scope: Scope) -> frozenset[str]:
        return frozenset(w for r in self.rules.values() if r.scope is scope for w in r.triggers)


# What makes a module a script (the analysis' script status, program.py's training), as identifiers.
SCRIPT_MARKERS = frozenset(
    {"__main__", "fit", "train_on_batch", "fit_generator", "apply_gradients", "minimize",
     "Session", "InteractiveSession", "MonitoredTrainingSession", "train_and_evaluate"}
)


def _leaf(name: str) -> str:
    # A call of an object a constructor made (`X.__call__`) spells the constructor's name.
    return name.removesuffix(".__call__").rsplit(".", 1)[-1]


class _Collector:
    def __init__(self) -> None:
        self.words: dict[str, set[str]] = {}
        self.apis: dict[str, set[str]] = {}

    def add(self, code: str | None, words: Iterable[str], apis: Iterable[str] = ()) -> None:
        if not code:
            return
        self.words.setdefault(code, set()).update(w for w in words if w)
        self.apis.setdefault(code, set()).update(apis)


def _collect(catalogue: Catalogue) -> _Collector:
    out = _Collector()
    for name, entries in catalogue.random_apis.items():
        for entry in entries:
            out.add(entry.rule, [_leaf(name)], [name])
            if entry.domain in ("tf", "numpy", "python", "keras"):
                out.add("TFD501", [_leaf(name)], [name])
            if entry.stateful:
                out.add("TFD404", [_leaf(name)], [name])
            # The seed parameter's name (`seed=`, `random_state=`, and `x` of random.Random(x)): as
            # the pre-filter always had it; tests/hardening's bad files rely on `x` getting parsed.
            out.add("TFD106", [entry.seed or ""], [name])
    for name, ops in catalogue.ops.items():
        for op in ops:
            for cpu_only in (False, True):
                out.add(op.rule_for(cpu_only), [_leaf(name)], [name])
    for name, orders in catalogue.order_apis.items():
        for order in orders:
            # `map(f, 8, False)` passes `deterministic` without spelling its name.
            out.add(order.rule, [order.param, _leaf(order.name) if order.param_pos is not None else ""], [name])
    for name, stage in catalogue.parallel_stages.items():
        out.add("TFD404", [stage.npc_param], [name])
    for attribute in catalogue.attribute_rules:
        out.add(attribute.rule, attribute.names, [attribute.owner])
    # A seed from the clock (TFD106) needs the clock call in the file: its name is the trigger.
    out.add("TFD106", [*map(_leaf, catalogue.entropy_sources), *map(_leaf, catalogue.setters)],
            [*catalogue.setters, *catalogue.entropy_sources])
    out.add("TFD501", map(_leaf, catalogue.consumers), catalogue.consumers)
    _collect_environment(catalogue, out)
    # Training alone is a finding (TFD502): `sess.run(train_op)` in a loop spells only `run`.
    training = {*catalogue.training_methods, *catalogue.training_functions, catalogue.session_run}
    out.add("TFD502", [*map(_leaf, training), *catalogue.training_duck_methods, *catalogue.determinism_env,
                       *map(_leaf, catalogue.determinism_functions)],
            [*training, *catalogue.determinism_functions])
    return out


def _collect_environment(catalogue: Catalogue, out: _Collector) -> None:
    """TFD6xx (environment.toml): listings and where their order becomes data, sets and hash(),
    the environment variables, seed setters in loops, distributed training."""
    env = catalogue.environment
    listings = [*env.listings, *env.dataset_sinks, *env.vocabulary_sinks]
    asynchronous, service = env.distributed.get("async", []), env.distributed.get("data_service", [])
    out.add("TFD601", map(_leaf, listings), env.listings)
    out.add("TFD602", ["set", "frozenset", "enumerate", "hash"])
    out.add("TFD603", [str(env.settings.get("hash_seed_env", ""))])
    out.add("TFD604", [str(env.settings.get("cudnn_env", ""))])
    out.add("TFD605", catalogue.determinism_env)
    out.add("TFD606", map(_leaf, env.loop_setters), env.loop_setters)
    out.add("TFD607", map(_leaf, catalogue.determinism_functions))
    out.add("TFD608", ["use_locking"])
    out.add("TFD609", [*map(_leaf, asynchronous), "replica_device_setter"], asynchronous)
    out.add("TFD610", map(_leaf, service), service)
    out.add("TFD611", ["shard"])


def build_registry(catalogue: Catalogue) -> Registry:
    collected = _collect(catalogue)
    rules = {
        code: RuleSpec(code, rule.name, rule.summary, rule.severity, Scope(rule.scope), FixLevel(rule.fix),
                       frozenset(collected.words.get(code, ())), frozenset(collected.apis.get(code, ())))
        for code, rule in catalogue.rules.items()
    }
    known = frozenset(
        {api for spec in rules.values() for api in spec.apis}
        | set(catalogue.constructor_types)  # resolution: what a call returns
        | set(catalogue.test_main_calls)  # test modules are not training runs
    )
    return Registry(rules, SCRIPT_MARKERS, known)


_registries: dict[int, tuple[Catalogue, Registry]] = {}


def registry_for(catalogue: Catalogue) -> Registry:
    """The registry of this catalogue (one per catalogue object, built once)."""
    found = _registries.get(id(catalogue))
    if found is None or found[0] is not catalogue:
        found = (catalogue, build_registry(catalogue))
        _registries[id(catalogue)] = found
    return found[1]


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    return registry_for(load_catalogue())


# ------------------------------------------------------------------ generated text (README, `rules`)
_FIX_WORDS = {FixLevel.SAFE: "safe", FixLevel.UNSAFE: "unsafe", FixLevel.NONE: "\u2013"}  # an en dash, as the table had
README_BEGIN = "<!-- rule table: generated by `python -m tfdetlint.registry --readme`; do not edit -->"
README_END = "<!-- end of rule table -->"


def rule_table(registry: Registry) -> str:
    """The README's rule table (markdown)."""
    lines = ["| Code | Name | Fires in | Fix |", "|---|---|---|---|"]
    lines += [f"| {r.code} | {r.name} | {r.fires_in} | {_FIX_WORDS[r.fix]} |" for r in registry]
    return "\n".join(lines) + "\n"


def rules_listing(registry: Registry) -> str:
    """``tfdetlint rules``."""
    marks = {FixLevel.SAFE: "[*]", FixLevel.UNSAFE: "[~]", FixLevel.NONE: "   "}
    width = max(len(r.name) for r in registry)
    lines = [f"{r.code}  {marks[r.fix]}  {r.name:<{width}}  {r.fires_in:<8}  {r.summary}" for r in registry]
    lines.append("")
    lines.append("[*] safe fix with --fix   [~] unsafe fix with --fix --unsafe-fixes   "
                 "(each finding says whether its own fix is safe, unsafe or unavailable)")
    return "\n".join(lines) + "\n"


def with_rule_table(readme: str, registry: Registry) -> str:
    """``readme`` with the text between the table markers regenerated."""
    start = readme.index(README_BEGIN) + len(README_BEGIN)
    end = readme.index(README_END)
    return readme[:start] + "\n" + rule_table(registry) + readme[end:]


def _main(argv: list[str]) -> int:
    from pathlib import Path

    if argv != ["--readme"]:
        print("usage: python -m tfdetlint.registry --readme   (rewrites README.md's rule table)")
        return 2
    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(with_rule_table(readme.read_text(encoding="utf-8"), load_registry()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))

