"""Check many files: cache first, then the misses in a process pool that receives paths, not source."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tfdetlint.cache import Cache, SummaryCache
from tfdetlint.catalogue import catalogue_digest, load_catalogue
from tfdetlint.config import Settings
from tfdetlint.fileio import NotReadable, read_regular
from tfdetlint.findings import FileScope, Finding, Ref
from tfdetlint.options import (
    Analysis,
    EntryContext,
    Export,
    Options,
    problem,
    relay_from_json,
    relay_to_json,
)
from tfdetlint.project import ProjectIndex, digest, settle

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Below this many files to analyse, starting workers costs more than it saves.
MIN_FILES_PER_WORKER = 16


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    cache_hits: int = 0
    scopes: dict[str, FileScope] = field(default_factory=dict)  # files analysed (not cached) -> scope
    digests: dict[str, str] = field(default_factory=dict)  # path -> digest of the bytes analysed
    # Parallel stages across files: the entry contexts each file was checked with, and which
    # files report which stages' draws (for a re-check after --fix to report as the run did)
    entries: dict[str, tuple[EntryContext, ...]] = field(default_factory=dict)
    serving: frozenset[Serving] = frozenset()


def options_for(path: Path, settings: Settings) -> Options:
    return Options(keras_version=settings.keras_version, force_script=settings.force_script(path),
                   include_tests=settings.include_tests)


def read_bytes(path: Path) -> bytes | Finding:
    try:
        if path.is_dir():
            return problem(str(path), "is a folder, not a file")
        return read_regular(path)
    except NotReadable as exc:
        return problem(str(path), str(exc))
    except OSError as exc:
        return problem(str(path), f"cannot read file: {exc.strerror or exc}")


# One project index per process: summaries of the project's seeding helpers are computed once.
# It is set before the pool forks, so workers start with it.
_PROJECT: ProjectIndex | None = None


def project_index(settings: Settings, roots: tuple[Path, ...], cache: Cache | None = None) -> ProjectIndex:
    """The index of the project's helpers; with ``cache``, their summaries are kept there too."""
    from tfdetlint.analysis import model_module, summarise_function
    from tfdetlint.analysis.effects import effect_from_json, effect_to_json

    seed_functions = frozenset(settings.seed_functions)
    determinism_functions = frozenset(settings.determinism_functions)
    store = None
    if cache is not None:
        # What else a summary depends on: where modules are found, and what counts as a seed setter.
        context = "\0".join([*map(str, roots), "|", *sorted(seed_functions), "|", *sorted(determinism_functions)])
        store = SummaryCache(cache, context, effect_to_json, effect_from_json)
    return ProjectIndex(
        roots=roots,
        catalogue=load_catalogue(),
        seed_functions=seed_functions,
        determinism_functions=determinism_functions,
        summarise=summarise_function,
        model_module=model_module,
        store=store,
    )


def analyse_path(path: str, options: Options) -> tuple[Analysis, str | None]:
    """Worker entry point: read and check one file; also the digest of the bytes checked.

    The cache entry is keyed on what the worker read, not on an earlier read, so a file edited
    meanwhile is never stored under its old content. Never raises.
    """
    from tfdetlint.engine import collector_paused

    raw = read_bytes(Path(path))
    if isinstance(raw, Finding):
        return Analysis([raw], {}), None
    # The models this file built are frozen before the collector runs again: otherwise the young
    # collection right after the file walks them, and later ones again. Pinned corpus, --jobs 1:
    # frozen before the next file 30.6 s CPU, frozen here 25.1 s, same 705 MB peak.
    with collector_paused():
        analysis = analyse_bytes(raw, path, options)
        if _PROJECT is not None:
            settle()
    return analysis, digest(raw)


def analyse_bytes(raw: bytes, path: str, options: Options) -> Analysis:
    try:
        from tfdetlint.engine import analyse

        return analyse(raw, path, options, _PROJECT)
    except Exception as exc:  # one bad file must not stop the run
        return Analysis([problem(path, f"internal error while checking this file: {type(exc).__name__}: {exc}")], {})


def _analyse_batch(batch: list[tuple[str, Options]]) -> list[tuple[Analysis, str | None]]:
    return [analyse_path(path, options) for path, options in batch]


def _pool_context() -> BaseContext:
    import multiprocessing  # a single file or --jobs 1 starts no pool: not imported for them

    # fork shares the already-loaded catalogue with the workers; elsewhere use the default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def resolve_jobs(jobs: int | None, work: int) -> int:
    """``None`` means auto: every core, but only when there is enough work to share."""
    if jobs is None:
        return max(1, min(os.cpu_count() or 1, work // MIN_FILES_PER_WORKER))
    return max(1, min(jobs, work))


Progress = Callable[[int, int], None]  # (files done, files in all)


def run(files: Iterable[Path], settings: Settings, *, jobs: int | None = None, cache: Cache | None = None,
        roots: tuple[Path, ...] = (), settings_for: Callable[[Path], Settings] | None = None,
        progress: Progress | None = None, project: ProjectIndex | None = None) -> RunResult:
    """Check ``files``; ``settings_for(path)`` gives each file's own settings (its nearest
    configuration), else ``settings`` applies to all. ``progress`` is told as files finish.
    ``project``: the index of the project's helpers to use (the fixer re-checks with its own).

    Parallel tf.data stages cross files: a file whose functions another checked file's parallel
    map runs is checked again with those entry contexts (its cache key includes them), until no
    file is handed new ones (chains through several modules), at most ``MAX_ROUNDS`` times."""
    global _PROJECT
    _PROJECT = None
    result = RunResult()
    options = {str(path): options_for(path, settings_for(path) if settings_for else settings) for path in files}
    result.files_checked = len(options)
    index = (lambda: project) if project is not None else (lambda: project_index(settings, roots, cache))
    outcomes = _check_round(list(options.items()), result, index, jobs=jobs, cache=cache, progress=progress)
    for _ in range(MAX_ROUNDS):
        wanted = _entries_for(outcomes)
        again = [(name, replace(old, entries=wanted.get(name, ()))) for name, old in options.items()
                 if wanted.get(name, ()) != old.entries]
        if not again:
            break
        options.update(again)
        outcomes.update(_check_round(again, result, index, jobs=jobs, cache=cache))
    result.serving = _serving(outcomes)
    for name, outcome in outcomes.items():
        result.findings.extend(stepping_aside(outcome.findings, outcome.exports, result.serving))
        if options[name].entries:
            result.entries[name] = options[name].entries
    result.findings.sort()
    return result


# Rounds of entry contexts: each hands them one module further (as the project index's depth).
MAX_ROUNDS = 8


@dataclass
class _Outcome:
    """One file's findings and what it hands other files (``Analysis.exports``/``served``)."""

    findings: list[Finding]
    exports: tuple[Export, ...] = ()
    served: tuple[EntryContext, ...] = ()


def _check_round(items: list[tuple[str, Options]], result: RunResult, index: Callable[[], ProjectIndex], *,
                 jobs: int | None, cache: Cache | None, progress: Progress | None = None) -> dict[str, _Outcome]:
    """Check each file with its options: from the cache, else analysed (in workers when many)."""
    global _PROJECT
    outcomes: dict[str, _Outcome] = {}
    salt = catalogue_digest()
    misses: list[tuple[str, Options]] = []
    for name, options in items:
        if cache is None:
            misses.append((name, options))
            continue
        raw = read_bytes(Path(name))
        if isinstance(raw, Finding):
            outcomes[name] = _Outcome([raw])
            continue
        read_digest = digest(raw)
        hit = cache.get_entry(cache.key_for(read_digest, options.fingerprint() + salt), name)
        relay = relay_from_json(hit[1], name) if hit is not None else None
        if hit is not None and relay is not None:
            result.digests[name] = read_digest
            result.cache_hits += 1
            outcomes[name] = _Outcome(hit[0], *relay)
        else:
            misses.append((name, options))
    # Only a file the cache cannot answer needs the project index (and so the analysis).
    if misses and _PROJECT is None:
        _PROJECT = index()
    if _PROJECT is not None:
        misses = importers_first(misses, _PROJECT)
    workers = resolve_jobs(jobs, len(misses))
    done = result.files_checked - len(misses)
    if workers <= 1:
        outputs = []
        for name, options in misses:
            outputs.append(analyse_path(name, options))
            if progress is not None:
                progress(done + len(outputs), result.files_checked)
    elif progress is None:
        outputs = _parallel(misses, workers)
    else:
        outputs = _parallel(misses, workers, progress, done, result.files_checked)
    for (path_text, options), (analysis, content) in zip(misses, outputs, strict=True):
        if analysis.scope is not None:
            result.scopes[path_text] = analysis.scope
        found = analysis.findings
        if content is not None:
            result.digests[path_text] = content
        outcomes[path_text] = _Outcome(found, analysis.exports, analysis.served)
        internal_error = any(f.code == "TFD000" and "internal error" in f.message for f in found)
        if cache is not None and content is not None and not internal_error:
            cache.put(cache.key_for(content, options.fingerprint() + salt), found, analysis.dependencies,
                      relay_to_json(analysis, path_text))
    return outcomes


def _resolved_names(outcomes: dict[str, _Outcome]) -> dict[str, str]:
    """Each checked file's resolved path (as exports name their targets) -> its name in the run."""
    if not any(outcome.exports for outcome in outcomes.values()):
        return {}
    return {_real_path(name): name for name in outcomes}


@functools.cache
def _real_path(name: str) -> str:
    """As ``Path.resolve``; asked again each round for every file of the run."""
    return os.path.realpath(name)


def _entries_for(outcomes: dict[str, _Outcome]) -> dict[str, tuple[EntryContext, ...]]:
    """Per checked file, the entry contexts the others hand it (sorted: part of its cache key)."""
    names = _resolved_names(outcomes)
    wanted: dict[str, set[EntryContext]] = {}
    for outcome in outcomes.values():
        for export in outcome.exports:
            target = names.get(export.target)
            if target is not None:
                wanted.setdefault(target, set()).add(export.entry)
    return {name: tuple(sorted(entries)) for name, entries in wanted.items()}


# A file that reports the draws a parallel stage runs: (its resolved path, stage's file, line, API)
Serving = tuple[str, str, int, str]


def _stage(target: str, entry: EntryContext) -> Serving:
    return (target, entry.origin, entry.line, entry.stage)


def _serving(outcomes: dict[str, _Outcome]) -> frozenset[Serving]:
    """The checked files that report a stage's draws: themselves, or through a file they hand
    the stage on to (a fixpoint: modules may call each other)."""
    names = _resolved_names(outcomes)
    if not names:
        return frozenset()
    serving = {_stage(target, entry) for target, name in names.items() for entry in outcomes[name].served}
    changed = True
    while changed:
        changed = False
        for target, name in names.items():
            for export in outcomes[name].exports:
                if _stage(export.target, export.entry) in serving and _stage(target, export.entry) not in serving:
                    serving.add(_stage(target, export.entry))
                    changed = True
    return frozenset(serving)


def stepping_aside(findings: list[Finding], exports: tuple[Export, ...], serving: frozenset[Serving], *,
                   edited: bool = False) -> list[Finding]:
    """A file's findings without those at its calls into helpers (``via``) whose own files,
    checked in the same run, report the draws themselves: one finding per hazard, where it is.
    ``edited``: the file was changed since the run (``--fix``), so its stages' lines may have moved."""
    if edited:
        serving = frozenset((target, origin, 0, stage) for target, origin, _, stage in serving)
    replaced = {_place_of(x.via) for x in exports if x.via is not None
                and _stage(x.target, replace(x.entry, line=0) if edited else x.entry) in serving}
    return [f for f in findings if _place_of(f) not in replaced] if replaced else findings


def _place_of(found: Finding | Ref) -> tuple[int | None, int, int, str]:
    return (found.cell, found.line, found.column, found.code)


def importers_first(items: list[tuple[str, Options]], project: ProjectIndex) -> list[tuple[str, Options]]:
    """The files to analyse, those that the fewest others import first.

    A file's helpers are parsed and modelled when a file that imports them is analysed, and a
    helper analysed afterwards reuses that model; analysed before, it would be parsed twice. The
    order changes no finding (they are sorted, and summaries do not depend on it)."""
    if len(items) < 2:
        return items
    position = {str(Path(name).absolute()): index for index, (name, _) in enumerate(items)}
    imported = [0] * len(items)
    for name, _ in items:
        raw = read_bytes(Path(name))
        if isinstance(raw, Finding):
            continue
        targets = {str(path.absolute()) for path in project.imported_files(raw, name, as_script=True)}
        for target in targets & position.keys():
            imported[position[target]] += 1
    order = sorted(range(len(items)), key=lambda index: imported[index])
    return [items[index] for index in order]


def _parallel(items: list[tuple[str, Options]], workers: int, progress: Progress | None = None, done: int = 0,
              total: int = 0) -> list[tuple[Analysis, str | None]]:
    # Interleaved batches keep big files spread over the workers; order is restored below.
    size = max(1, min(64, len(items) // (workers * 4) or 1))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    results = []
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        for batch in pool.map(_analyse_batch, batches):
            results.append(batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    return [found for batch in results for found in batch]
