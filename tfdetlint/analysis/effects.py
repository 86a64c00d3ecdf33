"""What a call does to the program's random set-up, as one data type applied to the state.

Seed setters, op determinism (the function or the environment variable), and the project's
own helpers all become an ``Effect``; the program-order pass applies effects without caring
which kind of call produced them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
