"""The rule catalogue: the data in ``rules/`` loaded into typed, indexed objects.

Everything tfdetlint knows about TensorFlow, Keras, NumPy and ``random`` lives in ``rules/`` as
TOML; this module only reads it. Adding an API to a family is a data change.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONTROLLABLE_DOMAINS = frozenset({"tf", "keras", "numpy", "python"})


def rules_dir() -> Path:
    """Where the catalogue lives: inside the wheel, or ``rules/`` beside the package in a checkout."""
    packaged = resources.files("tfdetlint") / "_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: str
    scope: str
    fix: str

    @property
    def family(self) -> int:
        return int(self.code[3])


Rules = Mapping[str, Rule]  # rule code -> its metadata (rules.toml)


@dataclass(frozen=True)
class ArgCondition:
    """``param`` matches ``pattern`` (``"*"``: merely given); ``pos`` if it may come positionally."""

    param: str
    pattern: str
    pos: int | None = None

    def regex(self) -> re.Pattern[str] | None:
        return None if self.pattern == "*" else re.compile(self.pattern)


# The randomness a global seed controls (a random API's `domain` in rng.toml / shuffle.toml): what
# TFD501 asks to seed. "none" and "tf-generator" draws are not seeded by it.
GLOBAL_SEED_DOMAINS = frozenset({"tf", "numpy", "python", "keras"})


@dataclass(frozen=True)
class RandomApi:
    """A call that draws randomness (TFD1xx, TFD3xx) or seeds a generator."""

    name: str
    rule: str
    domain: str
    seed: str | None = None
    seed_pos: int | None = None
    unseeded_values: tuple[str, ...] = ("None",)
    stateful: bool = False
    seeded: bool = False
    safe_if: tuple[ArgCondition, ...] = ()
    hazard_if: tuple[ArgCondition, ...] = ()
    requires: tuple[ArgCondition, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class OpApi:
    """A call whose kernel is non-deterministic on some device (TFD2xx)."""

    name: str
    kernel: str
    cpu: str
    gpu: str
    pass_: str
    when: tuple[ArgCondition, ...] = ()
    unless: tuple[ArgCondition, ...] = ()
    gradient_only: bool = False
    eager: bool = False  # with gradient_only: also a hazard where the program runs it directly
    rule_override: str | None = None
    probe: str | None = None
    source: str = ""
    op_kernels: tuple[str, ...] = ()  # TF kernel names it runs (scripts/api_inventory.py checks them)

    def behaviours(self, cpu_only: bool) -> tuple[str, ...]:
        return (self.cpu,) if cpu_only else (self.cpu, self.gpu)

    def rule_for(self, cpu_only: bool) -> str | None:
        """The code this op gets, from what its kernels do (see ops.toml)."""
        if self.rule_override:
            return self.rule_override
        seen = self.behaviours(cpu_only)
        if "unfixed" in seen:
            return "TFD203"
        if "raises" in seen:
            return "TFD202"
        if "fixed" in seen:
            return "TFD201"
        return None

    def devices_where(self, behaviour: str) -> tuple[str, ...]:
        return tuple(d for d, b in (("CPU", self.cpu), ("GPU", self.gpu)) if b == behaviour)


@dataclass(frozen=True)
class OrderApi:
    """A tf.data stage flagged when ``param`` is given the literal ``value`` (TFD401, TFD403)."""

    name: str
    rule: str
    param: str
    param_pos: int | None
    value: str
    source: str = ""
    unless: tuple[ArgCondition, ...] = ()  # arguments that keep the order (read_config=ReadConfig(shuffle_seed=1))


@dataclass(frozen=True)
class ParallelStage:
    name: str
    fn_param: str
    fn_pos: int
    npc_param: str
    npc_pos: int


@dataclass(frozen=True)
class AttributeRule:
    owner: str
    names: frozenset[str]
    value: str
    rule: str
    source: str = ""


@dataclass(frozen=True)
class Consumer:
    """A call that draws randomness through default initializers (TFD501 only)."""

    name: str
    domain: str
    initializers: tuple[str, ...] = ()
    # Draws only through the defaults: an initializer passed explicitly is a call of its own,
    # reported (or not) by what it is; a variable holding one is not known to draw.
    default_only: bool = False


@dataclass(frozen=True)
class Setter:
    name: str
    domains: frozenset[str]
    seed_param: str
    seed_pos: int


@dataclass(frozen=True)
class TypeInfo:
    name: str
    constructors: frozenset[str]
    constructor_prefixes: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset()
    fn_methods: frozenset[str] = frozenset()
    unique_methods: frozenset[str] = frozenset()
    unique_keywords: frozenset[str] = frozenset()
    bases: frozenset[str] = frozenset()
    accessor: str | None = None
    duck_name: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Shape:
    """A call whose value holds several values of a type, in a shape its arguments decide
    (types.toml ``[[shape]]``). Shapes: "one" (the type itself), "dict" (subscripts are the
    type), "list" (subscripts and unpacked elements are the type)."""

    name: str
    type: str
    always: str = "one"  # the shape when no ``argument`` decides it
    argument: str | None = None
    position: int | None = None  # where ``argument`` may be passed positionally
    absent: str = "one"  # the shape without ``argument``
    sequence: str = "one"  # ... with a list, tuple or comprehension for it
    values: Mapping[str, str] = field(default_factory=dict)  # ... with these constants (others: "one")
    paired_by: str | None = None  # a keyword that, when true, makes the value (that shape, metadata)


@dataclass(frozen=True)
class EnvironmentApis:
    """Family TFD6xx (environment.toml): listings, where order becomes data, settings, distribution."""

    listings: Mapping[str, bool] = field(default_factory=dict)  # name -> sorted(...) orders its result
    listing_iterators: frozenset[str] = frozenset()  # listings that return an iterator, not a list
    dataset_sinks: frozenset[str] = frozenset()
    vocabulary_sinks: frozenset[str] = frozenset()
    split_sinks: frozenset[str] = frozenset()
    keep_order: frozenset[str] = frozenset()
    order_free: frozenset[str] = frozenset()
    settings: Mapping[str, Any] = field(default_factory=dict)
    loop_setters: frozenset[str] = frozenset()
    step_calls: frozenset[str] = frozenset()
    distributed: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)  # identity hash: one catalogue per process
class Catalogue:
    rules: Mapping[str, Rule]
    rewrites: tuple[tuple[str, str], ...]
    random_apis: Mapping[str, tuple[RandomApi, ...]]
    consumers: Mapping[str, str]  # name -> domain: randomness drawn through defaults (TFD501 only)
    consumer_entries: Mapping[str, Consumer]
    ops: Mapping[str, tuple[OpApi, ...]]
    order_apis: Mapping[str, tuple[OrderApi, ...]]
    parallel_stages: Mapping[str, ParallelStage]
    attribute_rules: tuple[AttributeRule, ...]
    setters: Mapping[str, Setter]
    keras_follows: Mapping[str, str]
    determinism_functions: frozenset[str]
    determinism_env: frozenset[str]
    determinism_env_true: frozenset[str]
    entropy_sources: frozenset[str]
    types: Mapping[str, TypeInfo]
    constructor_types: Mapping[str, str]
    training_methods: frozenset[str]
    training_duck_methods: frozenset[str]
    session_run: str
    training_functions: frozenset[str]
    layer_bases: frozenset[str]
    tape_names: frozenset[str]
    gradient_function_names: re.Pattern[str]
    seeded_test_bases: frozenset[str]
    test_main_calls: frozenset[str]
    runners: frozenset[str]
    flag_parsers: frozenset[str]
    own_graph_builders: frozenset[str]
    model_fn_first: frozenset[str]
    env_setters: frozenset[str]
    train_op_builders: frozenset[str]
    fn_keywords: frozenset[str]
    data_fn_callers: frozenset[str]
    seeding_scopes: frozenset[str]
    loss_bases: frozenset[str]
    gradient_keywords: frozenset[str]
    gradient_callers: frozenset[str]
    gradient_sinks: frozenset[str]
    gradient_sink_methods: frozenset[str]
    digest: str
    _canonical: dict[str, str] = field(default_factory=dict, repr=False)  # memo of canonical()
    _constructed: dict[str, str | None] = field(default_factory=dict, repr=False)  # memo of type_of_constructor()
    environment: EnvironmentApis = EnvironmentApis()
    shapes: Mapping[str, Shape] = field(default_factory=dict)
    # Constructors whose objects' calls the catalogue lists as ``X.__call__`` (a loss object).
    instance_calls: frozenset[str] = frozenset()
    # Calls that create trainable weights (tf.data functions cannot): the code making them builds a model.
    weight_makers: re.Pattern[str] | None = None
    # Symbolic model inputs (keras.Input): no trainable weight is upstream of them.
    model_inputs: frozenset[str] = frozenset()
    # Reads of a built model that train nothing (`model.summary()`, `plot_model(model)`).
    inspect_methods: frozenset[str] = frozenset()
    inspect_functions: frozenset[str] = frozenset()
    # Call names that say a file may train or differentiate (types.toml [training] evidence).
    gradient_evidence: frozenset[str] = frozenset()
    # Argument and field names that make a value a seed; namedtuple constructors (seeds.toml [entropy]).
    seed_destinations: re.Pattern[str] | None = None
    named_tuples: frozenset[str] = frozenset()

    def canonical(self, name: str) -> str:
        """Rewrite a resolved dotted name to its canonical spelling (names.toml)."""
        found = self._canonical.get(name)
        if found is None:
            found = name
            for prefix, replacement in self.rewrites:
                if name == prefix or name.startswith(prefix + "."):
                    found = replacement + name[len(prefix) :]
                    break
            self._canonical[name] = found
        return found

    def knows(self, name: str) -> bool:
        """Whether the analysis models this API (the rule registry's API names)."""
        from tfdetlint.registry import registry_for

        return name in registry_for(self).known

    def type_of_constructor(self, name: str) -> str | None:
        if name not in self._constructed:
            self._constructed[name] = self._type_of_constructor(name)
        return self._constructed[name]

    def _type_of_constructor(self, name: str) -> str | None:
        found = self.constructor_types.get(name)
        if found:
            return found
        for info in self.types.values():
            if any(name.startswith(p) for p in info.constructor_prefixes):
                return info.name
        return None


def _conditions(table: Mapping[str, Any] | None, positions: Mapping[str, int] | None) -> tuple[ArgCondition, ...]:
    if not table:
        return ()
    positions = positions or {}
    out = []
    for param, value in table.items():
        patterns = value if isinstance(value, list) else [value]
        # A list of literal spellings becomes one anchored alternation.
        pattern = patterns[0] if len(patterns) == 1 and not isinstance(value, list) else (
            "^(?:" + "|".join(re.escape(p) for p in patterns) + ")$"
        )
        out.append(ArgCondition(param, pattern, positions.get(param)))
    return tuple(out)


def _names(entry: Mapping[str, Any]) -> list[str]:
    return [entry["name"], *entry.get("aliases", [])]


def _group(items: Iterable[tuple[str, Any]]) -> dict[str, tuple[Any, ...]]:
    grouped: dict[str, list[Any]] = {}
    for key, item in items:
        grouped.setdefault(key, []).append(item)
    return {k: tuple(v) for k, v in grouped.items()}


def _load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _random_apis(data: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, RandomApi]]:
    for entry in data:
        positions = entry.get("param_pos", {})
        for name in _names(entry):
            yield name, RandomApi(
                name=name,
                rule=entry.get("rule", ""),
                domain=entry["domain"],
                seed=entry.get("seed"),
                seed_pos=entry.get("seed_pos"),
                unseeded_values=tuple(entry.get("unseeded_values", ["None"])),
                stateful=bool(entry.get("stateful", False)),
                seeded=bool(entry.get("seeded", False)),
                safe_if=_conditions(entry.get("safe_if"), positions),
                hazard_if=_conditions(entry.get("hazard_if"), positions),
                requires=tuple(ArgCondition(p, "*", positions.get(p)) for p in entry.get("requires", [])),
                source=entry.get("source", ""),
            )


def _ops(data: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, OpApi]]:
    for entry in data:
        for name in _names(entry):
            yield name, OpApi(
                name=name,
                kernel=entry["kernel"],
                cpu=entry["cpu"],
                gpu=entry["gpu"],
                pass_=entry["pass"],
                when=_conditions(entry.get("when"), entry.get("when_pos")),
                unless=_conditions(entry.get("unless"), entry.get("unless_pos")),
                gradient_only=bool(entry.get("gradient_only", False)) or entry["pass"] == "backward",
                eager=bool(entry.get("eager", False)),
                rule_override=entry.get("rule"),
                probe=entry.get("probe"),
                source=entry.get("source", ""),
                op_kernels=tuple(entry.get("op_kernels", [])),
            )


@cache
def catalogue_digest(directory: str | None = None) -> str:
    """What the cache keys on: the catalogue files' bytes, hashed without parsing them."""
    base = Path(directory) if directory else rules_dir()
    files = [base / "rules.toml", *sorted((base / "apis").glob("*.toml"))]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


def load_rules(directory: str | None = None) -> Rules:
    """The rules' metadata, read from rules.toml alone: what selectors and reporters need, so a
    run whose files all came from the cache never parses the API catalogue."""
    return _rules_in(str(Path(directory) if directory else rules_dir()))


@cache
def _rules_in(base: str) -> Rules:
    return {code: Rule(code, t["name"], t["summary"], t["severity"], t["scope"], t["fix"])
            for code, t in _load_toml(Path(base) / "rules.toml").items()}


def rule_codes(directory: str | None = None) -> frozenset[str]:
    return frozenset(load_rules(directory))


@lru_cache(maxsize=1)
def load_catalogue(directory: str | None = None) -> Catalogue:
    base = Path(directory) if directory else rules_dir()
    api_dir = base / "apis"
    digest = catalogue_digest(directory)
    names = _load_toml(api_dir / "names.toml")
    seeds = _load_toml(api_dir / "seeds.toml")
    rng = _load_toml(api_dir / "rng.toml")
    shuffle = _load_toml(api_dir / "shuffle.toml")
    ops = _load_toml(api_dir / "ops.toml")
    order = _load_toml(api_dir / "order.toml")
    types = _load_toml(api_dir / "types.toml")
    environment = _load_toml(api_dir / "environment.toml")

    rules = dict(load_rules(directory))
    rewrites = tuple(sorted(names["rewrite"].items(), key=lambda kv: -len(kv[0])))
    random_apis = _group(_random_apis([*rng.get("api", []), *shuffle.get("api", [])]))
    consumer_entries = {n: Consumer(n, c["domain"], tuple(c.get("initializers", ())), bool(c.get("default_only")))
                        for c in rng.get("consumer", []) for n in c["names"]}
    consumers = {n: c.domain for n, c in consumer_entries.items()}
    setters: dict[str, Setter] = {}
    for entry in seeds["setter"]:
        for name in _names(entry):
            setters[name] = Setter(name, frozenset(entry["domains"]), entry["seed_param"], entry["seed_pos"])
    order_apis = _group(
        (name, OrderApi(name, e["rule"], e["param"], e.get("param_pos"), e["value"], e.get("source", ""),
                        _conditions(e.get("unless"), None)))
        for e in order.get("api", [])
        for name in _names(e)
    )
    parallel = {
        e["name"]: ParallelStage(e["name"], e["fn_param"], e["fn_pos"], e["npc_param"], e["npc_pos"])
        for e in order.get("parallel", [])
    }
    attributes = tuple(
        AttributeRule(e["owner"], frozenset(e["names"]), e["value"], e["rule"], e.get("source", ""))
        for e in order.get("attribute", [])
    )
    type_infos = {
        t["name"]: TypeInfo(
            name=t["name"],
            constructors=frozenset(t.get("constructors", [])),
            constructor_prefixes=tuple(t.get("constructor_prefixes", [])),
            methods=frozenset(t.get("methods", [])),
            fn_methods=frozenset(t.get("fn_methods", [])),
            unique_methods=frozenset(t.get("unique_methods", [])),
            unique_keywords=frozenset(t.get("unique_keywords", [])),
            bases=frozenset(t.get("bases", [])),
            accessor=t.get("accessor"),
            duck_name=re.compile(t["duck_name"]) if t.get("duck_name") else None,
        )
        for t in [*types["type"], *environment.get("type", [])]
    }
    constructor_types = {c: info.name for info in type_infos.values() for c in info.constructors}
    training = types["training"]
    gradient = types["gradient"]
    tests = types["tests"]
    program = types["program"]
    op_table = _group(_ops(ops.get("op", [])))
    catalogue = Catalogue(
        rules=rules,
        rewrites=rewrites,
        random_apis=random_apis,
        consumers=consumers,
        consumer_entries=consumer_entries,
        ops=op_table,
        order_apis=order_apis,
        parallel_stages=parallel,
        attribute_rules=attributes,
        setters=setters,
        keras_follows=dict(seeds["keras"]["follows"]),
        determinism_functions=frozenset(seeds["determinism"]["functions"]),
        determinism_env=frozenset(seeds["determinism"]["env"]),
        determinism_env_true=frozenset(seeds["determinism"]["env_true"]),
        entropy_sources=frozenset(seeds["entropy"]["sources"]),
        types=type_infos,
        constructor_types=constructor_types,
        training_methods=frozenset(training["methods"]),
        training_duck_methods=frozenset(training["duck_methods"]),
        session_run=training["session_run"],
        training_functions=frozenset(training["functions"]),
        layer_bases=frozenset(gradient["layer_bases"]),
        tape_names=frozenset(gradient["tape"]),
        gradient_function_names=re.compile(gradient["function_names"]),
        seeded_test_bases=frozenset(tests["seeded_bases"]),
        test_main_calls=frozenset(tests["main_calls"]),
        runners=frozenset(program["runners"]),
        flag_parsers=frozenset(program["flag_parsers"]),
        own_graph_builders=frozenset(program["own_graph_builders"]),
        model_fn_first=frozenset(program["model_fn_first"]),
        env_setters=frozenset(program["env_setters"]),
        train_op_builders=frozenset(program["train_op_builders"]),
        fn_keywords=frozenset(program["fn_keywords"]),
        data_fn_callers=frozenset(program["data_fn_callers"]),
        seeding_scopes=frozenset(program["seeding_scopes"]),
        loss_bases=frozenset(gradient["loss_bases"]),
        gradient_keywords=frozenset(gradient["keywords"]),
        gradient_callers=frozenset(gradient["callers"]),
        gradient_sinks=frozenset(gradient["sinks"]),
        gradient_sink_methods=frozenset(gradient["sink_methods"]),
        digest=digest,
        environment=_environment(environment),
        shapes={name: Shape(name=name, type=e["type"], always=e.get("always", "one"), argument=e.get("argument"),
                            position=e.get("position"), absent=e.get("absent", "one"),
                            sequence=e.get("sequence", "one"), values=dict(e.get("values", {})),
                            paired_by=e.get("paired_by"))
                for e in types.get("shape", []) for name in e["calls"]},
        instance_calls=frozenset(name.removesuffix(".__call__") for name in op_table if name.endswith(".__call__")),
        weight_makers=re.compile(gradient["weight_makers"]) if gradient.get("weight_makers") else None,
        model_inputs=frozenset(gradient.get("inputs", [])),
        inspect_methods=frozenset(gradient.get("inspect_methods", [])),
        inspect_functions=frozenset(gradient.get("inspect_functions", [])),
        seed_destinations=re.compile(seeds["entropy"]["destinations"]) if "destinations" in seeds["entropy"] else None,
        named_tuples=frozenset(seeds["entropy"].get("named_tuples", [])),
        gradient_evidence=frozenset(training.get("evidence", [])),
    )
    return catalogue


def _environment(data: Mapping[str, Any]) -> EnvironmentApis:
    sinks = data.get("sinks", {})
    loop = data.get("loop_seed", {})
    return EnvironmentApis(
        listings={name: bool(entry.get("sortable", False)) for entry in data.get("listing", [])
                  for name in entry["names"]},
        listing_iterators=frozenset(name for entry in data.get("listing", []) if entry.get("returns") == "iterator"
                                    for name in entry["names"]),
        dataset_sinks=frozenset(sinks.get("datasets", [])),
        vocabulary_sinks=frozenset(sinks.get("vocabularies", [])),
        split_sinks=frozenset(sinks.get("splits", [])),
        keep_order=frozenset(sinks.get("keep_order", [])),
        order_free=frozenset(sinks.get("order_free", [])),
        settings=dict(data.get("settings", {})),
        loop_setters=frozenset(loop.get("setters", [])),
        step_calls=frozenset(loop.get("step_calls", [])),
        distributed=dict(data.get("distributed", {})),
    )


def rule_doc_path(code: str) -> Path:
    return rules_dir() / "docs" / f"{code}.md"
