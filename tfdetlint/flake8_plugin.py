"""flake8 plugin: the same findings as ``tfdetlint check``, shown by flake8 and the editors that run it.

flake8 hands every plugin the lines it has already read and decoded (PEP 263, BOM stripped), so
the file is never read a second time. flake8 classifies a plugin by its parameter names and only
runs plugins that take ``tree`` (or a logical/physical line), so ``tree`` is accepted and ignored:
the engine parses the joined lines itself, exactly as the command line does, which is what keeps
the two front ends in step. Selection, ``# noqa``, per-file-ignores and ``--jobs`` are flake8's;
``[tool.tfdetlint]`` (keras-version, scripts, libraries, select/ignore/per-file-ignores) is read
from the nearest ``pyproject.toml`` so that flake8 reports what ``tfdetlint check`` reports.

Nothing here imports TensorFlow; the engine is imported on first use, so a flake8 run with the
plugin switched off (``TFDETLINT_FLAKE8_DISABLE=1``) pays only for this module.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tfdetlint import __version__

DISABLE_ENV = "TFDETLINT_FLAKE8_DISABLE"

Result = tuple[int, int, str, type[Any]]


class Plugin:
    name = "tfdetlint"
    version = __version__

    # Set once per flake8 process by parse_options; None means "not given: use [tool.tfdetlint]".
    keras_version: ClassVar[str | None] = None
    script_globs: ClassVar[tuple[str, ...]] = ()
    library_globs: ClassVar[tuple[str, ...]] = ()
    use_cache: ClassVar[bool] = True
    # Settings (or the configuration error) per folder: one pyproject lookup per folder, not per file.
    _settings: ClassVar[dict[Path, Any]] = {}
    _projects: ClassVar[dict[Any, Any]] = {}
    _roots: ClassVar[dict[Path, Any]] = {}
    _models: ClassVar[dict[Path, Any]] = {}
    _layout: ClassVar[Any] = None  # folder listings, shared by the indexes as the models are

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        # flake8 parsed "".join(lines) already: reusing its tree saves a second parse per file.
        self.tree = tree if isinstance(tree, ast.Module) else None
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--tfdetlint-keras-version",
            parse_from_config=True,
            default=None,
            help="Keras major version the code targets, 2 or 3 (default: [tool.tfdetlint] keras-version, else 3)",
        )
        option_manager.add_option(
            "--tfdetlint-script-globs",
            parse_from_config=True,
            comma_separated_list=True,
            normalize_paths=True,
            default=[],
            help="comma-separated globs of files tfdetlint always treats as scripts",
        )
        option_manager.add_option(
            "--tfdetlint-no-cache",
            action="store_true",
            parse_from_config=True,
            help="do not keep the project's helper summaries in tfdetlint's cache folder",
        )
        option_manager.add_option(
            "--tfdetlint-library-globs",
            parse_from_config=True,
            comma_separated_list=True,
            normalize_paths=True,
            default=[],
            help="comma-separated globs of files tfdetlint always treats as library modules",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        from tfdetlint.config import ConfigError, keras_version

        value = getattr(options, "tfdetlint_keras_version", None)
        if value in (None, ""):
            cls.keras_version = None
        else:
            try:
                cls.keras_version = keras_version(value)
            except ConfigError as exc:
                # flake8 turns a plugin's exception here into a traceback; a usage error reads better.
                raise SystemExit(f"flake8: --tfdetlint-keras-version: {exc}") from None
        cls.script_globs = tuple(getattr(options, "tfdetlint_script_globs", None) or ())
        cls.library_globs = tuple(getattr(options, "tfdetlint_library_globs", None) or ())
        cls.use_cache = not getattr(options, "tfdetlint_no_cache", False)
        cls._settings = {}
        cls._projects = {}
        cls._roots = {}

    def run(self) -> Iterator[Result]:
        if os.environ.get(DISABLE_ENV) == "1":
            return
        if self.filename.endswith(".ipynb"):
            return  # flake8 reads a notebook as JSON text; `tfdetlint check` handles notebooks
        yield from self._check()

    def _check(self) -> Iterator[Result]:
        from tfdetlint.catalogue import load_catalogue
        from tfdetlint.config import Settings
        from tfdetlint.engine import check_source
        from tfdetlint.options import Options
        from tfdetlint.prefilter import could_match
        from tfdetlint.sources import Source

        path = Path(self.filename)
        settings = self._settings_for(path)
        if not isinstance(settings, Settings):
            yield 1, 0, f"TFD000 configuration error: {settings}", type(self)
            return
        force_script = self._force_script(path, settings)
        options = Options(keras_version=self.keras_version or settings.keras_version, force_script=force_script,
                          include_tests=settings.include_tests)
        text = "".join(self.lines)
        raw = text.encode("utf-8", "surrogatepass")
        catalogue = load_catalogue()
        # The same cheap test check_bytes makes: most files never mention a catalogue API.
        if not could_match(raw, catalogue, force_script=force_script):
            return
        from tfdetlint.project import settle

        project = self._project_for(path, settings, options.keras_version)
        settle()  # what earlier files built, before this file makes garbage of its own
        # A module that an earlier file imported is modelled already: its symbols are built once.
        model = project.modelled(self.filename, raw)
        found = check_source(Source(self.filename, text), options, catalogue, project, self.tree, model=model)
        for finding in found:
            # [tool.tfdetlint] select/ignore apply as they do for `tfdetlint check`; flake8's own
            # --select/--ignore/noqa then filter what we yield. (A file that does not parse never
            # gets here: flake8 reports E999 and skips the tree plugins.)
            if not settings.is_selected(finding.code, path):
                continue
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)

    @classmethod
    def _project_for(cls, path: Path, settings: Any, keras_version: str | None) -> Any:
        """The same project index `tfdetlint check` builds, one per project root, so a file gets the
        same findings from flake8 (or pre-commit on one changed file) as from a whole-project run."""
        from dataclasses import replace

        from tfdetlint.project import project_roots
        from tfdetlint.runner import project_index

        folder = path.parent
        roots = cls._roots.get(folder)
        if roots is None:
            roots = cls._roots[folder] = project_roots([path], settings.root if settings.config_file else None)
        key = (roots, keras_version, settings.seed_functions, settings.determinism_functions)
        if key not in cls._projects:
            index = project_index(replace(settings, keras_version=keras_version), roots, cls._cache(settings))
            index.models = cls._models  # one parse and model per module for the whole flake8 run
            index.layout = cls._shared_layout()
            cls._projects[key] = index
        return cls._projects[key]

    @classmethod
    def _shared_layout(cls) -> Any:
        if cls._layout is None:
            from tfdetlint.layout import Layout

            cls._layout = Layout()
        return cls._layout

    @classmethod
    def _cache(cls, settings: Any) -> Any:
        """The cache folder `tfdetlint check` uses, for the helper summaries: flake8 run again, or
        on one changed file, then summarises only the helpers that changed. None when switched
        off or when the folder is not a cache (`tfdetlint check` reports that; flake8 goes on)."""
        from tfdetlint.config import ConfigError
        from tfdetlint.orchestrate import open_cache

        if not cls.use_cache:
            return None
        try:
            return open_cache(settings)
        except ConfigError:
            return None

    @classmethod
    def _settings_for(cls, path: Path) -> Any:
        """The Settings for the file's folder, or the text of the error that prevents them."""
        from tfdetlint.config import ConfigError, load_settings

        folder = path.parent.resolve()
        if folder not in cls._settings:
            try:
                cls._settings[folder] = load_settings([path])
            except ConfigError as exc:
                cls._settings[folder] = str(exc)
        return cls._settings[folder]

    def _force_script(self, path: Path, settings: Any) -> bool | None:
        """flake8's globs first (anchored like its own --per-file-ignores), then [tool.tfdetlint]'s."""
        if self.library_globs and _matches(path, self.library_globs):
            return False
        if self.script_globs and _matches(path, self.script_globs):
            return True
        result: bool | None = settings.force_script(path)
        return result


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    # flake8 made patterns with a "/" absolute (relative to the config file's folder, or the
    # current one); a bare pattern such as "train*.py" matches any part of the path.
    absolute = os.path.abspath(path)
    parts = Path(os.path.normpath(path)).parts
    for pattern in patterns:
        if os.sep in pattern or (os.altsep and os.altsep in pattern):
            if fnmatch.fnmatch(absolute, pattern) or fnmatch.fnmatch(absolute, os.path.join(pattern, "*")):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False
