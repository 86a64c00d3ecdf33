"""Find the files to check: ``.py`` and ``.ipynb`` under the given paths, minus exclusions.

Like ruff: a file named on the command line is always checked; folders are walked with the
configured excludes and ``.gitignore`` patterns applied. Problems (a path that does not exist,
an unreadable folder, a symlink loop) are reported, never raised.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tfdetlint.config import Settings, safe_resolve

SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@dataclass(frozen=True)
class GitIgnore:
    base: Path
    patterns: tuple[tuple[str, bool, bool, bool], ...]  # (pattern, negated, dir_only, anchored)

    @staticmethod
    def read(folder: Path) -> GitIgnore | None:
        file = folder / ".gitignore"
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        patterns = []
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            patterns.append((line.lstrip("/"), negated, dir_only, anchored))
        return GitIgnore(folder, tuple(patterns)) if patterns else None

    def ignores(self, path: Path, is_dir: bool) -> bool | None:
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        verdict: bool | None = None
        for pattern, negated, dir_only, anchored in self.patterns:
            if dir_only and not is_dir:
                continue
            target = rel if anchored else path.name
            if fnmatch.fnmatch(target, pattern) or (pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:])):
                verdict = not negated
        return verdict


def _excluded(path: Path, settings: Settings) -> bool:
    regex = settings.exclude_regex
    return bool(regex.match(path.name) or regex.match(settings.relative(path)))


def _git_ignored(path: Path, is_dir: bool, ignores: list[GitIgnore]) -> bool:
    verdict = False
    for ignore in ignores:
        result = ignore.ignores(path, is_dir)
        if result is not None:
            verdict = result
    return verdict


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


def find_files(paths: list[Path], settings: Settings) -> tuple[list[Path], list[Problem]]:
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
            for found in _walk(path, settings, problems):
                key = _identity(found)
                if key not in seen:
                    seen.add(key)
                    files.append(found)
        else:
            key = _identity(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files, list(dict.fromkeys(problems))


def _walk(top: Path, settings: Settings, problems: list[Problem]) -> Iterator[Path]:
    visited: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        problems.append(Problem(str(exc.filename or top), f"cannot read folder: {exc.strerror or exc}"))

    ignores: dict[Path, list[GitIgnore]] = {}
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
        inherited = ignores.get(folder.parent, []) if folder != top else []
        own = GitIgnore.read(folder) if settings.respect_gitignore else None
        active = [*inherited, own] if own else inherited
        ignores[folder] = active
        kept = []
        for name in sorted(dirs):
            child = folder / name
            if not _excluded(child, settings) and not _git_ignored(child, True, active):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if not name.endswith(SUFFIXES):
                continue
            child = folder / name
            if _excluded(child, settings) or _git_ignored(child, False, active):
                continue
            link = _link_problem(child)
            if link is not None:
                problems.append(Problem(str(child), link))
                continue
            yield child
