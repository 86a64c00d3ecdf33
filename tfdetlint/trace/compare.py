"""Line up two runs' records and find where they diverge (no TensorFlow needed here)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tfdetlint.trace.runs import Run

Signal = Literal["variables", "losses", "ops", "stdout", "exit"]

# Op types whose output came from elsewhere: function arguments, identities, and reads of state
# that other (output-less) ops wrote. A difference there is never the op's own doing.
PASS_THROUGH = frozenset(
    {"Placeholder", "_Arg", "Identity", "IdentityN", "ReadVariableOp", "ResourceGather", "VarHandleOp"}
)
# tf.data stages whose output order or content is random or timing-dependent.
_SUSPECT_STAGE = re.compile(r"Shuffle|Parallel|Interleave|Random|Sampl|ListFiles|Sloppy|Options")
_GRAPH_KEY = re.compile(r"^g:(?P<where>.*)/(?P<op>[^/]+):(?P<slot>\d+)#(?P<k>\d+)$")


@dataclass(frozen=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class TensorDiff:
    """How the first differing output of an event differs between the two runs."""

    event: str
    name: str
    op_type: str
    shape: tuple[int, ...] | None
    dtype: str
    max_abs_diff: float | None
    differing: int | None
    total: int | None
    location: Location | None


@dataclass(frozen=True)
class Stage:
    op_type: str
    location: Location | None


@dataclass(frozen=True)
class Root:
    """A first op whose output differs while every traced input agrees."""

    key: str
    kind: str  # eager | graph | variable
    op_type: str
    name: str
    location: Location | None
    stack: tuple[Location, ...]
    pipeline: tuple[Stage, ...] = ()
    occurrences: int = 1

    @property
    def source(self) -> Stage | None:
        """For elements of a tf.data pipeline: the stage that can reorder or randomise them."""
        return next((s for s in reversed(self.pipeline) if _SUSPECT_STAGE.search(s.op_type)), None)

    @property
    def identity(self) -> tuple[str, str]:
        """What makes two roots the same hazard across runs with different options."""
        return (self.op_type, str(self.location))


@dataclass
class PairComparison:
    identical: bool
    differing: dict[str, str] = field(default_factory=dict)  # signal -> short description
    roots: list[Root] = field(default_factory=list)
    first: TensorDiff | None = None
    variable_diff: TensorDiff | None = None
    statuses: tuple[str, str] = ("ok", "ok")


def _loc(frame: Any) -> Location:
    return Location(str(frame[0]), int(frame[1]))


def stack_of(event: dict[str, Any]) -> tuple[Location, ...]:
    return tuple(_loc(f) for f in event.get("stack", []))


def _group(key: str) -> str:
    match = _GRAPH_KEY.match(key)
    return f"g:{match['where']}/{match['op']}:{match['slot']}" if match else key


class _Aligned:
    """The events of two runs by key; unordered (tf.data) outputs compare as multisets."""

    def __init__(self, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
        self.a = {e["key"]: e for e in a}
        self.b = {e["key"]: e for e in b}
        self.order = sorted(a, key=lambda e: float(e.get("t", 0.0)))
        multisets: dict[str, tuple[list[str], list[str]]] = {}
        for events, side in ((a, 0), (b, 1)):
            for e in events:
                if e.get("unordered"):
                    multisets.setdefault(_group(e["key"]), ([], []))[side].extend(e["outputs"])
        self.group_differs = {g: sorted(x) != sorted(y) for g, (x, y) in multisets.items()}
        self.memo: dict[str, bool] = {}
        changed_graphs = _changed_functions(
            e for e in a if e["kind"] == "graph" and self._own_differs(e["key"])
        )
        for event in self.order:
            key = event["key"]
            if _opaque(event) and key in self.b:
                # No value was dumped (datasets, optionals, resources): it differs when what it
                # was made from differs, or when the function that made it computed other values.
                function = event.get("graph")
                self.memo[key] = function in changed_graphs or any(
                    self.differs(str(ref[0])) for ref in event.get("inputs", [])
                )
            else:
                self.memo[key] = self._own_differs(key)

    def differs(self, key: str) -> bool:
        known = self.memo.get(key)
        return self._own_differs(key) if known is None else known

    def _own_differs(self, key: str) -> bool:
        event = self.a.get(key)
        if event is not None and event.get("unordered"):
            return self.group_differs.get(_group(key), False)
        other = self.b.get(key)
        if event is None or other is None:
            return True
        return bool(event["outputs"] != other["outputs"])

    def common(self) -> None:
        """Keep only events both runs traced (a run stopped at the dump cap traced fewer)."""
        self.order = [e for e in self.order if e["key"] in self.b]

    def differing(self) -> list[dict[str, Any]]:
        return [e for e in self.order if self.differs(e["key"])]


def _opaque(event: dict[str, Any]) -> bool:
    """No output value was dumped: variants, resources, or a function call returning them."""
    return all(out == "" for out in event.get("outputs", []))


def _changed_functions(differing: Iterable[dict[str, Any]]) -> set[str]:
    """Names of the functions (and their callers' functions) that computed a differing value."""
    return {name for e in differing if e["kind"] == "graph" for name in e.get("chain", [])}


def _callers_with_changed_inputs(aligned: _Aligned) -> set[str]:
    """Functions that some eager call handed different inputs in the two runs."""
    return {
        str(e["graph"])
        for e in aligned.order
        if e.get("graph") and any(aligned.differs(str(ref[0])) for ref in e.get("inputs", []))
    }


def find_roots(aligned: _Aligned) -> list[Root]:
    differing = aligned.differing()
    changed = _changed_functions(differing)
    fed = _callers_with_changed_inputs(aligned)
    roots: dict[tuple[str, str], Root] = {}
    for event in differing:
        if event["op_type"] in PASS_THROUGH:
            continue
        if any(aligned.differs(str(ref[0])) for ref in event.get("inputs", [])):
            continue
        # A tf.function call differs because of an op inside it, when that op was traced.
        if event.get("graph") in changed:
            continue
        # An untraced argument of the function came from a caller whose inputs differ.
        if event.get("from_caller") and event.get("function") in fed:
            continue
        stack = stack_of(event)
        root = Root(
            key=event["key"],
            kind=event["kind"],
            op_type=event["op_type"],
            name=event.get("name", ""),
            location=stack[-1] if stack else None,
            stack=stack,
            pipeline=tuple(
                Stage(s["op_type"], stack_of(s)[-1] if s.get("stack") else None)
                for s in event.get("pipeline", [])
            ),
        )
        seen = roots.get(root.identity)
        roots[root.identity] = root if seen is None else replace(seen, occurrences=seen.occurrences + 1)
    return list(roots.values())


def tensor_diff(event: dict[str, Any], a: Run, b: Run, slot_name: str | None = None) -> TensorDiff:
    """Shape, max abs diff and differing elements of the event's first differing output."""
    other = {e["key"]: e for e in _events(b)}.get(event["key"], {})
    slots = range(len(event.get("outputs", [])))
    slot = next(
        (i for i in slots if i >= len(other.get("outputs", [])) or event["outputs"][i] != other["outputs"][i]),
        0,
    )
    name = slot_name or f"{event['key']}|{slot}"
    shapes = event.get("shapes") or [None]
    shape = shapes[slot] if slot < len(shapes) else None
    dtypes = event.get("dtypes") or [""]
    stats = _array_stats(a.array(name), b.array(name))
    stack = stack_of(event)
    return TensorDiff(
        event=event["key"],
        name=f"{event.get('name', '')}:{slot}" if event["kind"] != "variable" else event.get("name", ""),
        op_type=event["op_type"],
        shape=tuple(shape) if shape is not None else None,
        dtype=dtypes[slot] if slot < len(dtypes) else "",
        max_abs_diff=stats[0],
        differing=stats[1],
        total=stats[2],
        location=stack[-1] if stack else None,
    )


def _array_stats(x: Any, y: Any) -> tuple[float | None, int | None, int | None]:
    if x is None or y is None:
        return None, None, None
    import numpy as np

    if x.shape != y.shape:
        return None, None, int(x.size)
    if x.dtype.kind in "fciub":
        xf, yf = x.astype(np.float64), y.astype(np.float64)
        unequal = ~((xf == yf) | (np.isnan(xf) & np.isnan(yf)))
        diff = np.abs(xf - yf)[unequal]
        return (float(diff.max()) if diff.size else 0.0), int(unequal.sum()), int(x.size)
    unequal = x != y
    return None, int(np.sum(unequal)), int(x.size)


def _events(run: Run) -> list[dict[str, Any]]:
    return list(run.record.get("events", [])) + list(run.record.get("variables", []))


def _matches(event: dict[str, Any], pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(event.get("name", "")) or pattern.search(event["op_type"]))


def compare_runs(a: Run, b: Run, compare: str = "all") -> PairComparison:
    """Whether two runs agree on what ``compare`` selects, and where they first diverge.

    ``compare``: ``all`` (every signal), ``weights`` (variables and losses), ``outputs`` (traced
    op outputs and printed output), or a regex over op names and types.
    """
    result = PairComparison(identical=True, statuses=(a.status, b.status))
    if a.status != b.status or a.record.get("exception") != b.record.get("exception"):
        result.differing["exit"] = f"run 1 {_ending(a)}, run 2 {_ending(b)}"
    if a.stdout != b.stdout:
        result.differing["stdout"] = "printed output differs"
    variables = [(x, y) for x, y in zip(a.record.get("variables", []), b.record.get("variables", []), strict=False)]
    changed = [x for x, y in variables if x.get("trainable") and x["final"] != y["final"]]
    trainable = sum(1 for x, _ in variables if x.get("trainable"))
    if changed or len(a.record.get("variables", [])) != len(b.record.get("variables", [])):
        result.differing["variables"] = f"{len(changed)} of {trainable} trainable variables differ at exit"
        if changed:
            result.variable_diff = tensor_diff(changed[0], a, b, f"{changed[0]['key']}|final")
    losses_a, losses_b = a.record.get("losses", []), b.record.get("losses", [])
    if losses_a != losses_b:
        step = next((i for i, (x, y) in enumerate(zip(losses_a, losses_b, strict=False)) if x != y), None)
        where = f"first at step {step + 1}" if step is not None else "different step counts"
        result.differing["losses"] = f"training loss differs ({where})"
    pattern = None if compare in ("all", "weights", "outputs") else re.compile(compare)
    events_a, events_b = _events(a), _events(b)
    if pattern is not None:
        events_a = [e for e in events_a if _matches(e, pattern)]
        events_b = [e for e in events_b if _matches(e, pattern)]
    aligned = _Aligned(events_a, events_b)
    stopped = bool(a.record.get("dump_stopped") or b.record.get("dump_stopped"))
    if stopped:
        aligned.common()
    differing = aligned.differing()
    if differing:
        result.differing["ops"] = f"{len(differing)} of {len(aligned.order)} traced outputs differ"
        result.roots = find_roots(aligned)
        result.first = tensor_diff(differing[0], a, b)
    elif len(aligned.a) != len(aligned.b) and not stopped:
        result.differing["ops"] = "the runs executed different numbers of ops"
    wanted: tuple[str, ...] = {
        "all": ("variables", "losses", "ops", "stdout", "exit"),
        "weights": ("variables", "losses", "exit"),
        "outputs": ("ops", "stdout", "exit"),
    }.get(compare, ("ops", "exit"))
    if stopped:
        # The program was interrupted at the dump cap: only the ops traced before count.
        wanted = ("ops",)
    result.identical = not any(signal in result.differing for signal in wanted)
    return result


def _ending(run: Run) -> str:
    if run.status == "exception":
        return f"raised {run.record.get('exception')}"
    if run.status in ("timeout", "crashed"):
        return run.status
    return f"exited {run.record.get('exit_code', run.returncode)}"
