"""Folders as import lookup sees them: each folder listed once, paths kept as strings.

Resolving a module walks the import roots and the folders above an importer, trying
``a/b.py`` and ``a/b/__init__.py`` in each. Measured on the pinned corpus (3,666 files of three
cross-importing packages): with ``pathlib`` objects and a ``stat`` per candidate, module lookup
took 56 of 130 s, most of it building and resolving ``Path`` objects. One listing per folder
answers every candidate in it with a set lookup.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

_INIT = "__init__.py"


@dataclass(frozen=True)
class Listing:
    modules: frozenset[str]  # ``*.py`` files
    folders: frozenset[str]  # sub-folders whose names could be packages


def _list(folder: str) -> Listing:
    modules: set[str] = set()
    folders: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.name.endswith(".py"):
                        if entry.is_file():
                            modules.add(entry.name)
                    elif entry.name.isidentifier() and entry.is_dir():
                        folders.add(entry.name)
                except OSError:
                    continue
    except OSError:
        pass
    return Listing(frozenset(modules), frozenset(folders))


def is_within(folder: str, root: str) -> bool:
    return folder == root or folder.startswith(root.rstrip(os.sep) + os.sep)


@dataclass
class Layout:
    """Listings and real paths, cached for as long as the files stay where they are (a run; the
    language server forgets them when files appear or go)."""

    _listings: dict[str, Listing] = field(default_factory=dict)
    _real_paths: dict[str, str] = field(default_factory=dict)

    def forget(self) -> None:
        self._listings.clear()
        self._real_paths.clear()

    def listing(self, folder: str) -> Listing:
        found = self._listings.get(folder)
        if found is None:
            found = self._listings[folder] = _list(folder)
        return found

    def real_path(self, path: str) -> str:
        found = self._real_paths.get(path)
        if found is None:
            found = self._real_paths[path] = os.path.realpath(path)
        return found

    def real_folder(self, path: str) -> str:
        """The real (symlinks resolved) folder holding ``path``."""
        return os.path.dirname(self.real_path(path))

    def is_package(self, folder: str) -> bool:
        return _INIT in self.listing(folder).modules

    def module_in(self, base: str, parts: Sequence[str]) -> str | None:
        """The file of the module ``parts`` under ``base`` (``a/b.py`` or ``a/b/__init__.py``);
        folders on the way need no ``__init__.py``, as namespace packages do not."""
        if not parts:
            return os.path.join(base, _INIT) if self.is_package(base) else None
        folder = base
        for part in parts[:-1]:
            if part not in self.listing(folder).folders:
                return None
            folder = os.path.join(folder, part)
        last = parts[-1]
        here = self.listing(folder)
        if f"{last}.py" in here.modules:
            return os.path.join(folder, f"{last}.py")
        if last in here.folders and self.is_package(os.path.join(folder, last)):
            return os.path.join(folder, last, _INIT)
        return None
