"""What the server keeps warm between requests: configurations, project indexes, open buffers.

A run of ``tfdetlint check`` builds a ``ProjectIndex`` (the summaries of the project's seeding
helpers), uses it and throws it away. An editor session checks the same files again and again, so
the server keeps one index per set of import roots for the whole session, and tells it when a
project file changes (an edited buffer, a save, a file changed on disk) so that the summaries
that read that file, and only those, are computed again. Helpers open in the editor are read from
their buffers, unsaved text included, not from disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfdetlint.config import Configurations, Settings
from tfdetlint.project import ProjectIndex, digest, project_roots
from tfdetlint.runner import project_index

# Files whose change means every open buffer must be checked again with fresh settings.
CONFIG_NAMES = frozenset({"pyproject.toml", "tfdetlint.toml", ".tfdetlint.toml"})


def real(path: Path | str) -> str:
    """One spelling per file: buffers, indexes and dependencies are compared through this."""
    return os.path.realpath(path)


@dataclass
class BufferedIndex(ProjectIndex):
    """A ``ProjectIndex`` that reads open buffers before the disk and can forget a file."""

    buffers: dict[str, bytes] = field(default_factory=dict)  # real path -> unsaved bytes

    def _read(self, path: Path) -> bytes | None:
        raw = self.buffers.get(real(path))
        if raw is None:
            return super()._read(path)
        # Recorded as the disk read records it, so the file counts as a dependency.
        self._digests[str(path)] = digest(raw)
        self._note({str(path)})
        return raw

    def forget(self, path: str) -> bool:
        """Drop what was computed from ``path`` (a real path); True if anything was."""
        stale_models = [p for p in self.models if real(p) == path]
        for model_path in stale_models:
            del self.models[model_path]
            self._model_digests.pop(model_path, None)
        kept = {key: value for key, value in self._effects.items()
                if real(key[0]) != path and not any(real(f) == path for f in value[1])}
        dropped = len(kept) != len(self._effects)
        self._effects = kept
        for name in [n for n in self._digests if real(n) == path]:
            del self._digests[name]
        return dropped or bool(stale_models)

    def forget_layout(self) -> None:
        """A file appeared or went away: which module is which file, and so every summary, may
        have changed."""
        super().forget_layout()
        self._effects.clear()


IndexKey = tuple[tuple[Path, ...], frozenset[str], frozenset[str]]


class Projects:
    """Configurations and project indexes of one editor session, rooted at the workspace."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.buffers: dict[str, bytes] = {}
        self._models: dict[Path, Any] = {}  # shared by the indexes: a module's model is its own
        self._indexes: dict[IndexKey, BufferedIndex] = {}
        self.configs = Configurations()

    def settings_for(self, path: Path) -> Settings:
        """The file's own settings, from its nearest configuration (as the CLI reads them)."""
        return self.configs.for_path(path)

    def index_for(self, path: Path, settings: Settings) -> BufferedIndex:
        """The warm index a buffer at ``path`` is checked with.

        Its roots are those ``tfdetlint check FILE`` (and ``--stdin-filename``) uses, with the
        workspace folder standing in for the configuration folder when there is none."""
        config_root = settings.root if settings.config_file else self.root
        roots = project_roots([path.parent], config_root)
        key = (roots, frozenset(settings.seed_functions), frozenset(settings.determinism_functions))
        index = self._indexes.get(key)
        if index is None:
            base = project_index(settings, roots)
            index = BufferedIndex(roots=base.roots, catalogue=base.catalogue, seed_functions=base.seed_functions,
                                  determinism_functions=base.determinism_functions, summarise=base.summarise,
                                  model_module=base.model_module, models=self._models, buffers=self.buffers)
            self._indexes[key] = index
        return index

    def set_buffer(self, path: Path, raw: bytes | None) -> None:
        """An open buffer's text (``None``: closed, the disk counts again); forgets what it changes."""
        key = real(path)
        if raw is None:
            self.buffers.pop(key, None)
        elif self.buffers.get(key) == raw:
            return
        else:
            self.buffers[key] = raw
        self.file_changed(path)

    def file_changed(self, path: Path) -> None:
        """Summaries computed from ``path`` are stale (another file's may still be used)."""
        key = real(path)
        for index in self._indexes.values():
            index.forget(key)

    def layout_changed(self) -> None:
        """Files were created or deleted: module lookups are stale everywhere."""
        for index in self._indexes.values():
            index.forget_layout()

    def configuration_changed(self) -> None:
        """A configuration file changed: read configurations again; indexes depend on them."""
        self.configs = Configurations()
        self._indexes.clear()
        self._models.clear()

    @property
    def index_count(self) -> int:
        return len(self._indexes)
