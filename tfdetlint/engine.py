"""One file through the pipeline: bytes -> pre-filter -> decode -> parse -> facts -> rules -> findings."""

from __future__ import annotations

import ast
import gc
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from tfdetlint.analysis import FileFacts, collect
from tfdetlint.catalogue import Catalogue, load_catalogue
from tfdetlint.checks import RawFinding, run_checks, sentence
from tfdetlint.findings import FileScope, Finding
from tfdetlint.intents import Loc, attach_fixes
from tfdetlint.options import Analysis, EntryContext, Export, Options, problem
from tfdetlint.prefilter import could_match
from tfdetlint.project import ProjectIndex
from tfdetlint.registry import registry_for
from tfdetlint.sources import CellProblem, Source, SourceError, load_source
from tfdetlint.suppression import file_is_exempt, suppressed

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PARALLEL_DRAW = "TFD404"  # the rule whose findings cross files with the parallel stage

# Deeply nested code (long operator chains, generated code) is retried once in a thread with
# a big stack and a high recursion limit, so that what Python itself can compile we analyse.
_DEEP_RECURSION_LIMIT = 40_000
_DEEP_STACK_BYTES = 768 * 1024 * 1024
_deep_lock = threading.Lock()
_T = TypeVar("_T")


def check_bytes(raw: bytes, path: str, options: Options = Options(), project: ProjectIndex | None = None) -> list[Finding]:
    """All findings for one file's bytes, after ``# noqa`` (select/ignore are the caller's)."""
    return analyse(raw, path, options, project).findings


def analyse(raw: bytes, path: str, options: Options = Options(), project: ProjectIndex | None = None) -> Analysis:
    catalogue = load_catalogue()
    notebook = path.endswith(".ipynb")
    # Decoding is cheap and comes first: a file Python could not even read as text (binary,
    # wrong encoding, broken notebook JSON) is reported whether or not it mentions an API.
    try:
        source = load_source(raw, path)
    except SourceError as exc:
        return Analysis([problem(path, str(exc), exc.line)], {})
    if not could_match(raw, catalogue, notebook=notebook, force_script=options.force_script):
        return Analysis([], {})
    scopes: list[FileScope] = []
    if project is None:
        return Analysis(check_source(source, options, catalogue, scopes=scopes), {}, _last(scopes))
    project.start_file()
    helper = None if notebook else project.modelled(path, raw)  # parsed already as another file's helper
    relay = Relay()
    try:
        findings = check_source(source, options, catalogue, project, None, scopes, relay, model=helper)
    finally:
        dependencies = project.finish_file()
    return Analysis(findings, dependencies, _last(scopes), tuple(sorted(set(relay.exports), key=repr)),
                    tuple(sorted(relay.served)))


@dataclass
class Relay:
    """What one file's analysis tells the run about parallel stages that cross files: the entry
    contexts it hands to other project files, and those of its own that it reported findings for."""

    exports: list[Export] = field(default_factory=list)
    served: set[EntryContext] = field(default_factory=set)


def _last(scopes: list[FileScope]) -> FileScope | None:
    return scopes[-1] if scopes else None


def check_source(source: Source, options: Options = Options(), catalogue: Catalogue | None = None,
                 project: ProjectIndex | None = None, tree: ast.Module | None = None,
                 scopes: list[FileScope] | None = None, relay: Relay | None = None, *,
                 model: Any = None) -> list[Finding]:
    """Findings for decoded source; ``tree`` is its AST when the caller already has it (flake8),
    ``model`` its module model when the project index built one from the same bytes.

    ``scopes``, when given, receives how the file was read (script, library or test module);
    ``relay`` the entry contexts it hands to other files, and those it reported for.
    """
    catalogue = catalogue or load_catalogue()
    if source.skip_reason is not None or file_is_exempt(source.text):
        return []
    # A notebook cell Jupyter would reject is one TFD000; the other cells are still checked.
    rejected = [_cell_problem(source, p) for p in source.problems]
    if not source.text.strip():
        return rejected
    try:
        with collector_paused():
            return sorted(_analyse(source, options, catalogue, project, tree, scopes, relay, model) + rejected)
    except RecursionError:
        pass
    try:
        return sorted(_with_deep_stack(_analyse, source, options, catalogue, project, None, scopes, relay) + rejected)
    except RecursionError:
        return [problem(source.path, "code is nested too deeply to analyse"), *rejected]


_pause_lock = threading.Lock()
_pause = {"depth": 0, "was_on": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is analysed. Its tree and model are alive
    until the end and are freed by reference counting; every full collection in between walked
    them (and the project's models) again: measured, lingvo/core/layers.py 3.9 -> 1.4 s CPU,
    same peak memory. Garbage made meanwhile is collected once the file is done."""
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["was_on"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["was_on"]:
                gc.enable()


def _cell_problem(source: Source, cell: CellProblem) -> Finding:
    found = problem(source.path, cell.message, cell.line, cell.column)
    region = _file_region(source, cell.cell, cell.line, cell.column, cell.line, cell.column)
    return replace(found, cell=cell.cell, file_region=region)


def _file_region(source: Source, cell: int | None, line: int, column: int, end_line: int,
                 end_column: int) -> tuple[int, int, int, int] | None:
    positions = source.positions
    if cell is None or positions is None:
        return None
    start = positions.file_position(cell, line, column)
    end = positions.file_position(cell, end_line, end_column)
    if start is None or end is None:
        return None
    return (*start, *end)


def _with_deep_stack(function: Callable[..., _T], *args: object) -> _T:
    """Call ``function`` in a thread with a big stack and a high recursion limit."""
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(function(*args))
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    with _deep_lock:
        old_limit = sys.getrecursionlimit()
        old_stack = threading.stack_size()
        try:
            threading.stack_size(_DEEP_STACK_BYTES)
        except (ValueError, RuntimeError):  # a platform that cannot: keep the normal limits
            raise RecursionError("cannot enlarge the stack") from None
        try:
            sys.setrecursionlimit(max(old_limit, _DEEP_RECURSION_LIMIT))
            worker = threading.Thread(target=target, name="tfdetlint-deep", daemon=True)
            worker.start()
            worker.join()
        finally:
            sys.setrecursionlimit(old_limit)
            threading.stack_size(old_stack)
    if failure:
        raise failure[0]
    return outcome[0]


def _analyse(source: Source, options: Options, catalogue: Catalogue, project: ProjectIndex | None,
             tree: ast.Module | None = None, scopes: list[FileScope] | None = None,
             relay: Relay | None = None, model: Any = None) -> list[Finding]:
    """Parse and check; parse problems become TFD000. May raise RecursionError."""
    if model is not None:
        tree = model.tree
    try:
        if tree is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
                tree = ast.parse(source.text, filename=source.path)
    except SyntaxError as exc:
        cell, line = source.locate(exc.lineno or 1)
        where = f" in cell {cell}" if cell is not None else ""
        column = source.locate_column(exc.lineno or 1, max(1, exc.offset or 1))
        return [_located(problem(source.path, f"syntax error{where}: {exc.msg}", line, column), cell)]
    except MemoryError:
        # CPython's parser raises MemoryError when its own stack overflows (deep nesting).
        return [problem(source.path, "cannot parse: the code is too deeply nested or too complex for Python's parser")]
    except ValueError as exc:
        return [problem(source.path, f"cannot parse: {exc}")]
    facts = collect(tree, catalogue, notebook=source.is_notebook, keras_version=options.keras_version,
                    force_script=options.force_script, path=source.path, project=project,
                    include_tests=options.include_tests, entries=options.entries, model=model)
    if scopes is not None:
        scopes.append(_scope(facts.is_script, facts.is_test_module, facts.script_reason))
    unchecked = facts.is_test_module and not options.include_tests
    raws = [] if unchecked else run_checks(facts, catalogue)
    registry = registry_for(catalogue)
    raws = [r for r in raws if registry.in_scope(r, facts)]
    if not raws and not facts.handoffs:
        return []
    lines = _LINE_BREAK.split(source.text)
    kept = [r for r in raws if not (1 <= r.line <= len(lines) and suppressed(r.code, lines[r.line - 1]))]
    kept = attach_fixes(kept, facts, tree, catalogue)
    placed = {raw: _place(raw, source, lines, catalogue) for raw in kept}
    if relay is not None and not unchecked:
        _relay(facts, raws, placed, relay)
    return sorted(set(placed.values()))


def _relay(facts: FileFacts, raws: list[RawFinding], placed: dict[RawFinding, Finding], relay: Relay) -> None:
    """The entry contexts this file hands on, each with the finding it reports at its own call
    into the helper (``via``), and the entry contexts it was given that it reported draws for
    (a ``# noqa`` there counts: the hazard was seen and judged)."""
    at_call = {id(raw.node): found.ref() for raw, found in placed.items() if raw.code == _PARALLEL_DRAW}
    for handoff in facts.handoffs:
        via = at_call.get(id(handoff.node)) if handoff.node is not None else None
        relay.exports.append(Export(handoff.target, handoff.entry, via))
    for raw in raws:
        call = facts.by_node.get(id(raw.node)) if raw.code == _PARALLEL_DRAW else None
        if call is not None:
            relay.served.update(call.parallel_entries)


def _scope(is_script: bool, is_test: bool, reason: str) -> FileScope:
    if is_test:
        return FileScope("test", reason)
    if reason == "configured":
        reason = "so configured: --script/--library or `scripts`/`libraries`"
    elif reason.startswith("library module (") and reason.endswith(")"):
        reason = reason[len("library module (") : -1]
    return FileScope("script" if is_script else "library", reason)


def _char_column(lines: list[str], line: int, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; users and editors count characters."""
    if not 1 <= line <= len(lines):
        return byte_col + 1
    text = lines[line - 1]
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


def _name_start(lines: list[str], line: int, column: int) -> int:
    """Move a 1-based column that points inside an identifier back to the identifier's start.

    Python normalises identifiers (NFKC): ``normal`` spelled in full-width letters
    (U+FF4E...) is the attribute ``normal``, six
    characters but eighteen bytes in the source, so a position computed from the attribute's
    length lands inside the name. ASCII lines cannot have that problem and are left alone.
    """
    if not 1 <= line <= len(lines) or lines[line - 1].isascii():
        return column
    text = lines[line - 1]
    index = min(column - 1, len(text))
    while index > 0 and (text[index - 1].isalnum() or text[index - 1] == "_"):
        index -= 1
    return index + 1


def _place(raw: RawFinding, source: Source, lines: list[str], catalogue: Catalogue) -> Finding:
    rule = catalogue.rules[raw.code]
    cell, line = source.locate(raw.line)
    _, end_line = source.locate(raw.end_line)
    # Notebook cells are Python after IPython's rewrites: columns map back to the cell's own.
    column = source.locate_column(raw.line, _name_start(lines, raw.line, _char_column(lines, raw.line, raw.col)))
    end_column = source.locate_column(raw.end_line, _char_column(lines, raw.end_line, raw.end_col))

    def place(loc: Loc) -> Loc:
        loc_cell, loc_line = source.locate(loc.line)
        return Loc(loc_line, _char_column(lines, loc.line, loc.col) - 1, loc_cell)

    fix = raw.fix.placed(place) if raw.fix is not None else None
    return Finding(
        path=source.path,
        line=line,
        column=column,
        code=raw.code,
        message=raw.message,
        api=raw.api,
        severity=rule.severity,
        fixable=fix.safety.value if fix is not None else "none",
        end_line=end_line,
        end_column=end_column,
        cell=cell,
        args=raw.args,
        help=sentence(raw.help),
        file_region=_file_region(source, cell, line, column, end_line, end_column),
        fix=fix,
    )


def _located(finding: Finding, cell: int | None) -> Finding:
    if cell is None:
        return finding
    return Finding(finding.path, finding.line, finding.column, finding.code, finding.message,
                   finding.api, finding.severity, finding.fixable, cell=cell)
