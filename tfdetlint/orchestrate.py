"""One orchestration layer: from command-line paths and settings to the selected findings.

``check``, ``--fix`` and ``verify`` all collect through ``collect_findings``, so each file is
checked under its own nearest configuration whichever command asks, and the commands depend
downward on this module, never on the command-line one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tfdetlint.cache import Cache
from tfdetlint.catalogue import catalogue_digest
from tfdetlint.config import Configurations, Settings
from tfdetlint.discovery import find_files
from tfdetlint.findings import FileScope, Finding
from tfdetlint.options import problem
from tfdetlint.project import ProjectIndex, project_roots
from tfdetlint.runner import project_index

Progress = Callable[[int, int], None]


@dataclass
class Collected:
    findings: list[Finding]
    scopes: dict[str, FileScope] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict)  # read from stdin
    digests: dict[str, str] = field(default_factory=dict)  # path -> digest of the bytes analysed


def roots_for(paths: Sequence[Path], settings: Settings) -> tuple[Path, ...]:
    return project_roots(sorted(paths), settings.root if settings.config_file else None)


def collect_findings(paths: Sequence[Path], settings: Settings, *, configs: Configurations | None = None,
                     jobs: int | None = None, use_cache: bool = True, project: ProjectIndex | None = None,
                     scopes: bool = False, progress: Progress | None = None) -> Collected:
    """Every selected finding in ``paths`` (folders are walked), sorted, with each analysed file's
    content digest (checked again when a fix is written). ``configs`` gives each file its nearest
    configuration (else ``settings`` applies everywhere); ``project``: the index of the project's
    seeding helpers to use (the fixer passes its own, to re-check with the same one)."""
    from tfdetlint.runner import run

    paths = list(paths) or [Path(".")]
    files, problems = find_files(paths, settings, configs.for_folder if configs is not None else None)
    cache = open_cache(settings) if use_cache and not scopes else None  # the cache keeps findings, not scopes
    settings_for = configs.for_path if configs is not None else None
    result = run(files, settings, jobs=jobs, cache=cache, roots=roots_for(paths, settings), project=project,
                 settings_for=settings_for, progress=progress)
    found = [problem(p.path, p.message) for p in problems] + result.findings
    own = settings_for or (lambda _path: settings)
    selected = sorted(f for f in found if own(Path(f.path)).is_selected(f.code, Path(f.path)))
    return Collected(selected, result.scopes, digests=dict(result.digests))


def open_cache(settings: Settings) -> Cache:
    """The content cache of these settings (raises ``ConfigError`` for a folder that is not one)."""
    cache = Cache(settings.cache_dir or (settings.root / ".tfdetlint_cache"), salt=catalogue_digest())
    cache.check_directory()
    return cache


def index_for(paths: Sequence[Path], settings: Settings) -> ProjectIndex:
    """The project index a run over ``paths`` uses (the fixer re-checks with the same one)."""
    return project_index(settings, roots_for(list(paths) or [Path(".")], settings))
