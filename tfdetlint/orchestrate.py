"""One orchestration layer: from command-line paths and settings to the selected findings.

``check``, ``--fix`` and ``verify`` all start here, so they depend downward on it and never on
the command-line module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tfdetlint.cache import Cache
from tfdetlint.catalogue import load_catalogue
from tfdetlint.config import Settings
from tfdetlint.discovery import find_files
from tfdetlint.engine import problem
from tfdetlint.findings import Finding
from tfdetlint.project import ProjectIndex, project_roots
from tfdetlint.runner import project_index


def roots_for(paths: Sequence[Path], settings: Settings) -> tuple[Path, ...]:
    return project_roots(list(paths), settings.root if settings.config_file else None)


def collect_findings(paths: Sequence[Path], settings: Settings, *, jobs: int | None = None,
                     use_cache: bool = True, project: ProjectIndex | None = None,
                     digests: dict[str, str] | None = None) -> list[Finding]:
    """Every selected finding in ``paths`` (folders are walked), sorted. ``project``: the index
    of the project's seeding helpers to use (the fixer passes its own to re-check with it);
    ``digests``, when given, receives each analysed path's content digest (checked at write)."""
    from tfdetlint.runner import run

    paths = list(paths) or [Path(".")]
    files, problems = find_files(paths, settings)
    cache = None
    if use_cache:
        directory = settings.cache_dir or (settings.root / ".tfdetlint_cache")
        cache = Cache(directory, salt=load_catalogue().digest)
        cache.check_directory()
    result = run(files, settings, jobs=jobs, cache=cache, roots=roots_for(paths, settings), project=project)
    if digests is not None:
        digests.update(result.digests)
    found = [problem(p.path, p.message) for p in problems] + result.findings
    return sorted(f for f in found if settings.is_selected(f.code, Path(f.path)))


def index_for(paths: Sequence[Path], settings: Settings) -> ProjectIndex:
    """The project index a run over ``paths`` uses (the fixer re-checks with the same one)."""
    return project_index(settings, roots_for(list(paths) or [Path(".")], settings))
