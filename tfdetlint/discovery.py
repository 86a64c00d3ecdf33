"""Find the files to check: ``.py`` and ``.ipynb`` under the given paths, minus exclusions.

Like ruff: a file named on the command line is always checked (unless ``--force-exclude``);
folders are walked with the configured excludes (of each folder's own configuration) and git's
ignore files applied: ``.gitignore`` files in the walked folders and, inside a repository, the
ones above the walked folder up to the repository root and ``.git/info/exclude``. Problems (a path that does not exist,
an unreadable folder, a symlink loop) are reported, never raised.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from tfdetlint.config import Settings, safe_resolve

SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@dataclass(frozen=True)
class IgnoreFile:
    """One ignore file's patterns, with git's semantics (``pathspec.GitIgnoreSpec``)."""

    base: Path  # patterns are relative to this folder
    spec: GitIgnoreSpec

    @staticmethod
    def read(file: Path, base: Path) -> IgnoreFile | None:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        spec = GitIgnoreSpec.from_lines(lines)
        return IgnoreFile(base, spec) if len(spec) else None

    def verdict(self, path: Path, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by a ``!`` pattern; None: no pattern matches."""
        rel = os.path.relpath(os.path.abspath(path), self.base)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return None
        rel = rel.replace(os.sep, "/")
        result = self.spec.check_file(rel + "/" if is_dir else rel)
        return result.include


def repository_root(start: Path) -> Path | None:
    """The nearest folder, from ``start`` upwards, holding ``.git`` (a folder, or a worktree's file)."""
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return None


def inherited_ignores(top: Path) -> list[IgnoreFile]:
    """What applies to ``top`` from above it: ``.git/info/exclude`` and the ``.gitignore`` files
    between the repository root and ``top`` (exclusive), lowest priority first, as git reads them."""
    top = Path(os.path.abspath(top))
    root = repository_root(top)
    if root is None:
        return []
    found: list[IgnoreFile | None] = [IgnoreFile.read(root / ".git" / "info" / "exclude", root)]
    folder = root
    for part in top.relative_to(root).parts:
        found.append(IgnoreFile.read(folder / ".gitignore", folder))
        folder = folder / part
    return [f for f in found if f is not None]


def git_ignored(path: Path, is_dir: bool, ignores: list[IgnoreFile]) -> bool:
    """The deepest ignore file with a matching pattern decides (a nested ``!x`` re-includes)."""
    for ignore in reversed(ignores):
        verdict = ignore.verdict(path, is_dir)
        if verdict is not None:
            return verdict
    return False


def _excluded(path: Path, settings: Settings) -> bool:
    regex = settings.exclude_regex
    return bool(regex.match(path.name) or regex.match(settings.relative(path)))


def force_excluded(path: Path, settings: Settings) -> bool:
    """``--force-exclude``: a file named on the command line is skipped when it, or a folder
    above it (up to the configuration's folder), matches ``exclude``/``extend-exclude``."""
    absolute = Path(os.path.abspath(path))
    root = Path(os.path.abspath(settings.root))
    for candidate in [absolute, *absolute.parents]:
        if candidate == root or candidate.parent == candidate:
            break
        if _excluded(candidate, settings):
            return True
    return False


def _link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed, or None when it can (or is no link)."""
    if not path.is_symlink() or path.exists():
        return None
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def _identity(path: Path) -> object:
    """The same file reached twice (a path given and also walked, a symlink) has one identity.

    One stat call; resolving the path would cost a system call per component.
    """
    try:
        st = os.stat(path)
    except OSError:
        return safe_resolve(path)
    return (st.st_dev, st.st_ino)


def find_files(paths: list[Path], settings: Settings,
               settings_for: Callable[[Path], Settings] | None = None) -> tuple[list[Path], list[Problem]]:
    """The files to check under ``paths``; ``settings_for(folder)`` gives a folder's own settings
    (its nearest configuration), else ``settings`` applies everywhere."""
    resolve = settings_for or (lambda _: settings)
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[object] = set()
    for path in paths:
        link = _link_problem(path)
        if not path.exists() and not path.is_symlink():
            problems.append(Problem(str(path), "no such file or folder"))
        elif link is not None:
            problems.append(Problem(str(path), link))
        elif path.is_dir():
            for found in _walk(path, resolve, problems):
                key = _identity(found)
                if key not in seen:
                    seen.add(key)
                    files.append(found)
        else:
            own = resolve(Path(os.path.dirname(os.path.abspath(path))))
            if own.force_exclude and force_excluded(path, own):
                continue
            key = _identity(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files, list(dict.fromkeys(problems))


def _walk(top: Path, settings_for: Callable[[Path], Settings], problems: list[Problem]) -> Iterator[Path]:
    visited: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        problems.append(Problem(str(exc.filename or top), f"cannot read folder: {exc.strerror or exc}"))

    top_settings = settings_for(top)
    if top_settings.force_exclude and force_excluded(top, top_settings):
        return
    ignores: dict[Path, list[IgnoreFile]] = {}
    above = inherited_ignores(top) if top_settings.respect_gitignore else []
    if git_ignored(top, True, above):
        # A folder named on the command line is checked even if git ignores it (as ruff and
        # ripgrep do); only the ignore files inside it apply to what it holds.
        above = []
    for root, dirs, names in os.walk(top, onerror=onerror, followlinks=True):
        folder = Path(root)
        try:
            stat = folder.stat()
        except OSError:
            dirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in visited:
            problems.append(Problem(str(folder), "symbolic link loop; not followed again"))
            dirs[:] = []
            continue
        visited.add((stat.st_dev, stat.st_ino))
        settings = settings_for(folder)
        inherited = ignores.get(folder.parent, []) if folder != top else above
        own = IgnoreFile.read(folder / ".gitignore", Path(os.path.abspath(folder))) if settings.respect_gitignore else None
        active = [*inherited, own] if own else inherited
        if not settings.respect_gitignore:
            active = []
        ignores[folder] = active
        kept = []
        for name in sorted(dirs):
            child = folder / name
            if not _excluded(child, settings) and not git_ignored(child, True, active):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if not name.endswith(SUFFIXES):
                continue
            child = folder / name
            if _excluded(child, settings) or git_ignored(child, False, active):
                continue
            link = _link_problem(child)
            if link is not None:
                problems.append(Problem(str(child), link))
                continue
            yield child
