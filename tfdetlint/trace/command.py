"""``tfdetlint trace``: run pairs of the user's program and explain the difference.

Pairs, each two fresh processes with the same environment:
  traced     -- with per-op dumps (names root ops)
  plain      -- no dumps (order hazards may hide under the dump's overhead)
  seeded     -- keras.utils.set_random_seed before the program      (only if something differed)
  determined -- seed plus enable_op_determinism()                    (only if seeding did not help)
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

from tfdetlint.findings import Finding
from tfdetlint.machine import Difference
from tfdetlint.machine import compare as compare_env
from tfdetlint.trace.compare import Location, PairComparison, Root, compare_runs
from tfdetlint.trace.runs import BootOptions, Run, run_pair, split_command

PairName = Literal["traced", "plain", "seeded", "determined"]
SEED = 0
SEED_PRELUDE = f"keras.utils.set_random_seed({SEED})"


class Remedy(str, Enum):
    NONE = "none"  # nothing to fix: the runs agree
    SEED = "seed"
    DETERMINISM = "determinism"
    RAISES = "raises"
    UNEXPLAINED = "unexplained"


class Seen(str, Enum):
    OBSERVED = "observed"
    NOT_OBSERVED = "not observed in this run"
    NOT_REACHED = "not reached"


@dataclass
class PairOutcome:
    name: PairName
    options: BootOptions
    runs: tuple[Run, Run]
    comparison: PairComparison
    env_differences: list[Difference] = field(default_factory=list)  # between the two runs' env

    @property
    def env_differs(self) -> bool:
        """Whether the runs' environments differ in something that can change results."""
        return any(d.relevant for d in self.env_differences)


@dataclass
class RootReport:
    root: Root
    remedy: Remedy
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FindingStatus:
    finding: Finding
    seen: Seen


@dataclass
class TraceResult:
    command: list[str]
    pairs: list[PairOutcome]
    reproducible: bool
    remedy: Remedy
    raised_at: Location | None
    raised: str
    roots: list[RootReport]
    findings: list[FindingStatus]
    seconds: float
    order_only_plain: bool  # differed without tracing only: an order or timing hazard
    failed: list[Run] = field(default_factory=list)  # crashed, hung or killed runs

    def pair(self, name: PairName) -> PairOutcome | None:
        return next((p for p in self.pairs if p.name == name), None)


@dataclass(frozen=True)
class TraceSettings:
    timeout: float = 300.0
    max_ops: int = 20000
    op_regex: str | None = None
    dump_cap: int = 256 << 20
    compare: str = "all"
    steps: int | None = None
    jobs: int = 2
    cwd: Path | None = None
    keep: Path | None = None  # where to leave the records and dumps (default: a temporary folder)


def _pair(
    name: PairName, command: list[str], options: BootOptions, s: TraceSettings, work: Path
) -> PairOutcome:
    runs = run_pair(command, options, s.timeout, work / name, s.jobs, s.cwd)
    return PairOutcome(name, options, runs, compare_runs(*runs, compare=s.compare), env_differences(*runs))


def env_differences(a: Run, b: Run) -> list[Difference]:
    """What differs between two runs' env fingerprints, as ``tfdetlint env --diff`` explains it
    (nothing when either run recorded none)."""
    if a.env is None or b.env is None:
        return []
    return compare_env(a.env, b.env)


def _options(s: TraceSettings, dump: bool, seed: int | None = None, det: bool = False) -> BootOptions:
    return BootOptions(
        dump=dump,
        seed=seed,
        determinism=det,
        max_ops=s.max_ops,
        op_regex=s.op_regex,
        dump_cap=s.dump_cap,
        steps=s.steps,
        keep_dump=s.keep is not None,
    )


def _broken(pair: PairOutcome) -> list[Run]:
    return [r for r in pair.runs if r.status in ("timeout", "crashed")]


def _raised(pair: PairOutcome) -> tuple[Location | None, str]:
    for run in pair.runs:
        # A run interrupted at the hard dump cap raised KeyboardInterrupt because of tracing.
        if run.status == "exception" and not run.record.get("dump_stopped"):
            stack = run.record.get("stack") or []
            where = Location(str(stack[-1][0]), int(stack[-1][1])) if stack else None
            return where, f"{run.record.get('exception')}: {run.record.get('message', '')}"
    return None, ""


def _needs_plain(traced: PairComparison) -> bool:
    """Untraced runs are needed unless tracing already named a cause that is no order hazard:
    tracing slows ops down and can hide (or change) the order of parallel tf.data stages."""
    if traced.identical or not traced.roots:
        return True
    return any(root.pipeline for root in traced.roots)


def trace(command: list[str], s: TraceSettings) -> TraceResult:
    """Run the pairs the story needs and put it together."""
    split_command(command)  # a bad command fails before any run
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tfdetlint-trace-") as tmp:
        work = s.keep if s.keep is not None else Path(tmp)
        pairs = [_pair("traced", command, _options(s, True), s, work)]
        failed = _broken(pairs[0])
        traced = pairs[0]
        if not failed and _needs_plain(traced.comparison):
            pairs.append(_pair("plain", command, _options(s, False), s, work))
            failed = _broken(pairs[-1])
        differs = any(not p.comparison.identical for p in pairs)
        named = bool(traced.comparison.roots)
        if differs and not failed:
            # Tracing the remedies too lets each root op be judged on its own.
            seeded = _pair("seeded", command, _options(s, named, SEED), s, work)
            pairs.append(seeded)
            if not seeded.comparison.identical or seeded.comparison.roots:
                pairs.append(_pair("determined", command, _options(s, named, SEED, True), s, work))
        result = _story(command, pairs, failed)
        result.seconds = time.monotonic() - start
        result.findings = []
        return result


def _story(command: list[str], pairs: list[PairOutcome], failed: list[Run]) -> TraceResult:
    by_name = {p.name: p for p in pairs}
    base = [by_name[n] for n in ("traced", "plain") if n in by_name]
    reproducible = not failed and all(p.comparison.identical for p in base)
    raised_at, raised = _raised(by_name["determined"]) if "determined" in by_name else (None, "")
    remedy = Remedy.NONE if reproducible else _program_remedy(by_name, raised)
    roots = [RootReport(r, _root_remedy(r, by_name, remedy)) for r in by_name["traced"].comparison.roots]
    order_only = (
        "plain" in by_name and not by_name["plain"].comparison.identical and by_name["traced"].comparison.identical
    )
    return TraceResult(
        command=command,
        pairs=pairs,
        reproducible=reproducible,
        remedy=remedy,
        raised_at=raised_at,
        raised=raised,
        roots=roots,
        findings=[],
        seconds=0.0,
        order_only_plain=order_only,
        failed=failed,
    )


def _program_remedy(by_name: dict[PairName, PairOutcome], raised: str) -> Remedy:
    if "seeded" not in by_name:
        return Remedy.UNEXPLAINED
    seeded = by_name["seeded"].comparison
    if seeded.identical and not seeded.roots:
        return Remedy.SEED
    if raised:
        return Remedy.RAISES
    determined = by_name.get("determined")
    if determined is not None and determined.comparison.identical and not determined.comparison.roots:
        return Remedy.DETERMINISM
    return Remedy.UNEXPLAINED


def _present(root: Root, pair: PairOutcome | None) -> bool:
    """Whether the same hazard still shows in a remedy pair (absent pair: unknown, assume yes)."""
    if pair is None:
        return True
    if pair.options.dump:
        return any(r.identity == root.identity for r in pair.comparison.roots)
    return not pair.comparison.identical


def _root_remedy(root: Root, by_name: dict[PairName, PairOutcome], program: Remedy) -> Remedy:
    if "seeded" not in by_name:
        return program
    if not _present(root, by_name["seeded"]):
        return Remedy.SEED
    if program is Remedy.RAISES:
        return Remedy.RAISES
    if not _present(root, by_name.get("determined")):
        return Remedy.DETERMINISM
    return Remedy.UNEXPLAINED
