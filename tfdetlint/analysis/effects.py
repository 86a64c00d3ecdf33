"""What a call does to the program's random set-up, as one data type applied to the state.

Seed setters, op determinism (the function or the environment variable), and the project's
own helpers all become an ``Effect``; the program-order pass applies effects without caring
which kind of call produced them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tfdetlint.analysis.model import State

ALL_DOMAINS = frozenset({"tf", "numpy", "python", "keras", "tf-generator"})


@dataclass(frozen=True)
class Randomness:
    """A draw that needs a global seed, seen in code a call runs (a helper in another module)."""

    domain: str
    api: str
    where: str  # "file.py:LINE"


@dataclass(frozen=True)
class SeedParameter:
    """A parameter, None by default, that a helper hands to a generator no global seed controls
    (``def __init__(self, seed=None): self.rs = np.random.RandomState(seed)``): a call leaving it
    out creates the generator from OS entropy."""

    name: str
    position: int | None  # its position in a call (``self`` not counted), None for keyword-only
    api: str  # the generator it seeds
    where: str  # "file.py:LINE" of the generator's creation


@dataclass(frozen=True)
class Effect:
    """What calling something does to the program's random state."""

    name: str  # the call as the user wrote it, e.g. "seed_everything"
    path: str  # the file that defines it ("" for library calls and configured functions)
    domains: frozenset[str] = frozenset()
    determinism: bool = False
    entropy: str | None = None  # the clock/entropy call its seed comes from, if any
    randomness: tuple[Randomness, ...] = ()  # unseeded draws inside it (project helpers only)
    stateful: tuple[Randomness, ...] = ()  # draws from per-process random state, seeded or not (TFD404)
    trains: str | None = None  # "api at file:line" of the training it runs without op determinism (TFD502)
    seed_params: tuple[SeedParameter, ...] = ()  # parameters left None seed a generator from entropy (TFD105)

    @property
    def changes_state(self) -> bool:
        return bool(self.domains) or self.determinism

    def apply(self, state: State) -> State:
        if not self.changes_state:
            return state
        return State(state.seeds | self.domains, state.determinism or self.determinism)


def seeding(name: str, domains: frozenset[str], entropy: str | None = None) -> Effect:
    return Effect(name, "", domains, False, entropy)


def determinism(name: str) -> Effect:
    return Effect(name, "", frozenset(), True)


def effect_to_json(effect: Effect | None) -> dict[str, Any] | None:
    """The effect as JSON data, for the summaries kept in the content cache."""
    if effect is None:
        return None
    return {**asdict(effect), "domains": sorted(effect.domains),
            "randomness": [asdict(r) for r in effect.randomness], "stateful": [asdict(r) for r in effect.stateful],
            "seed_params": [asdict(p) for p in effect.seed_params]}


def effect_from_json(data: Any) -> Effect | None:
    """The effect ``effect_to_json`` wrote; raises ``ValueError`` on data of any other shape
    (an entry damaged on disk must read as a miss, never as a wrong summary)."""
    if data is None:
        return None
    try:
        effect = Effect(
            name=_text(data["name"]), path=_text(data["path"]),
            domains=frozenset(_text(d) for d in data["domains"]), determinism=_flag(data["determinism"]),
            entropy=None if data["entropy"] is None else _text(data["entropy"]),
            randomness=tuple(_randomness(r) for r in data["randomness"]),
            stateful=tuple(_randomness(r) for r in data["stateful"]),
            trains=None if data["trains"] is None else _text(data["trains"]),
            seed_params=tuple(_seed_parameter(p) for p in data["seed_params"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a summary: {exc}") from None
    return effect


def _seed_parameter(data: Any) -> SeedParameter:
    position = data["position"]
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        raise TypeError(f"expected a position, got {type(position).__name__}")
    return SeedParameter(_text(data["name"]), position, _text(data["api"]), _text(data["where"]))


def _randomness(data: Any) -> Randomness:
    return Randomness(_text(data["domain"]), _text(data["api"]), _text(data["where"]))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
