"""Settings from the nearest configuration file, overridden by the command line.

As ruff does: every file uses the configuration of the nearest folder (its own, then upwards)
holding ``.tfdetlint.toml``, ``tfdetlint.toml`` (options at the top level) or a ``pyproject.toml``
with a ``[tool.tfdetlint]`` table. ``extend = "path"`` bases one configuration on another.
Broken TOML, unknown keys and rule selectors that match no rule are errors.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "__pycache__", ".tox", ".nox", ".eggs",
    "*.egg-info", "build", "dist", "node_modules", "site-packages", ".ipynb_checkpoints",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tfdetlint_cache", "__pypackages__",
)


class ConfigError(Exception):
    """A configuration value is wrong; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=Path.cwd)  # where the config file is: paths in it are relative to this
    select: tuple[str, ...] = ("TFD",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    keras_version: str | None = None  # None: inferred per file (imports, TF_USE_LEGACY_KERAS, dependencies)
    scripts: tuple[str, ...] = ()  # globs of files always treated as scripts
    libraries: tuple[str, ...] = ()  # globs of files always treated as library modules
    seed: int = 42
    cache_dir: Path | None = None
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply exclude to files named on the command line too
    include_tests: bool = False
    seed_functions: tuple[str, ...] = ()
    determinism_functions: tuple[str, ...] = ()
    config_file: Path | None = None

    def relative(self, path: Path | str) -> str:
        """The path relative to the config folder, as globs in the config are written.

        Pure string work (no symlink resolution): globs match the paths users see, and this runs
        for every file on the serial part of a run.
        """
        absolute = os.path.abspath(path)
        rel = os.path.relpath(absolute, _absolute_root(str(self.root)))
        if rel == ".." or rel.startswith("../"):
            return Path(path).as_posix()
        return rel.replace(os.sep, "/")

    @property
    def exclude_regex(self) -> re.Pattern[str]:
        return _exclude_regex((*self.exclude, *self.extend_exclude))

    def force_script(self, path: Path) -> bool | None:
        if not self.libraries and not self.scripts:
            return None
        rel = self.relative(path)
        if any(_glob(rel, g) for g in self.libraries):
            return False
        if any(_glob(rel, g) for g in self.scripts):
            return True
        return None

    def ignored_codes(self, path: Path) -> tuple[str, ...]:
        if not self.per_file_ignores:
            return self.ignore
        rel = self.relative(path)
        codes = [c for pattern, cs in self.per_file_ignores if _glob(rel, pattern) for c in cs]
        return (*self.ignore, *codes)

    def is_selected(self, code: str, path: Path) -> bool:
        if code == "TFD000":
            return True  # a file we could not read is always worth saying
        chosen = _longest_prefix(code, self.select)
        dropped = _longest_prefix(code, self.ignored_codes(path))
        return chosen > dropped if chosen else False


def _longest_prefix(code: str, prefixes: tuple[str, ...]) -> int:
    """ruff's rule: the more specific of --select and --ignore wins."""
    return max((len(p) for p in prefixes if code.startswith(p) or p == "ALL"), default=0)


def _glob(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
        return True
    return "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in rel.split("/"))


@lru_cache(maxsize=64)
def _absolute_root(root: str) -> str:
    return os.path.abspath(root)


@lru_cache(maxsize=16)
def _exclude_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """All exclude globs as one regex (fnmatch semantics), matched against names and paths."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or the plain absolute path where a symlink loop makes resolving fail."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        return Path(os.path.abspath(path))


# In each folder, the first of these that configures tfdetlint wins (ruff's order).
CONFIG_NAMES = (".tfdetlint.toml", "tfdetlint.toml", "pyproject.toml")

KNOWN_KEYS = frozenset({
    "extend", "select", "extend-select", "ignore", "extend-ignore", "per-file-ignores",
    "extend-per-file-ignores", "exclude", "extend-exclude", "force-exclude", "keras-version", "scripts",
    "libraries", "seed", "cache-dir", "respect-gitignore", "seed-functions", "determinism-functions",
    "include-tests",
})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read: {reason}") from exc


def _table_of(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The tfdetlint options in a parsed file, or None when a pyproject.toml has none."""
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    table = tool.get("tfdetlint") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tfdetlint] must be a table")
    return table


def config_in(folder: Path) -> Path | None:
    """The file configuring tfdetlint in this folder itself, if any."""
    for name in CONFIG_NAMES:
        candidate = folder / name
        if candidate.is_file() and _table_of(candidate, _read_toml(candidate)) is not None:
            return candidate
    return None


def find_config(start: Path) -> Path | None:
    """The nearest configuration file, from ``start`` (a file or folder) upwards."""
    start = safe_resolve(start)
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        found = config_in(candidate)
        if found is not None:
            return found
    return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a list of strings")


def rule_codes() -> frozenset[str]:
    from tfdetlint import catalogue

    return catalogue.rule_codes()


def check_selectors(codes: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Rule codes or prefixes, upper-cased; an error names the first that selects no rule."""
    known = rule_codes()
    result = []
    for raw in codes:
        code = raw.strip().upper()
        if code != "ALL" and not any(rule.startswith(code) for rule in known if code):
            shown = repr(raw) if code else "an empty selector"
            raise ConfigError(f"{where}: {shown} matches no rule (codes look like TFD101 or a prefix such as TFD1; "
                              "`tfdetlint rules` lists them)")
        result.append(code)
    return tuple(result)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value


def _per_file(value: Any, where: str, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{name}` must be a table of glob = [codes]")
    return tuple((k, check_selectors(_strings(v, f"{where}: `{name}.{k}`"), f"{where}: `{name}.{k}`"))
                 for k, v in value.items())


def settings_from_table(table: dict[str, Any], root: Path, config_file: Path | None = None,
                        base: Settings | None = None, source: str | None = None) -> Settings:
    """Settings from one table of options, on top of ``base`` (the defaults, or an extended file).

    ``root`` is the folder globs are relative to; ``source`` names the file in error messages.
    """
    where = source or (str(config_file) if config_file else "[tool.tfdetlint]")
    settings = replace(base, root=root, config_file=config_file) if base else Settings(root=root, config_file=config_file)
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ConfigError(f"{where}: unknown option `{unknown[0]}`{more}")

    def key(name: str) -> str:
        return f"{where}: `{name}`"

    def codes(name: str) -> tuple[str, ...]:
        return check_selectors(_strings(table[name], key(name)), key(name))

    changes: dict[str, Any] = {}
    if "select" in table:
        changes["select"] = codes("select")
    if "extend-select" in table:
        changes["select"] = (*changes.get("select", settings.select), *codes("extend-select"))
    if "ignore" in table:
        changes["ignore"] = codes("ignore")
    if "extend-ignore" in table:
        changes["ignore"] = (*changes.get("ignore", settings.ignore), *codes("extend-ignore"))
    if "per-file-ignores" in table:
        changes["per_file_ignores"] = _per_file(table["per-file-ignores"], where, "per-file-ignores")
    if "extend-per-file-ignores" in table:
        changes["per_file_ignores"] = (*changes.get("per_file_ignores", settings.per_file_ignores),
                                       *_per_file(table["extend-per-file-ignores"], where, "extend-per-file-ignores"))
    if "exclude" in table:
        changes["exclude"] = _strings(table["exclude"], key("exclude"))
    if "extend-exclude" in table:
        changes["extend_exclude"] = (*settings.extend_exclude, *_strings(table["extend-exclude"], key("extend-exclude")))
    if "keras-version" in table:
        try:
            changes["keras_version"] = keras_version(table["keras-version"])
        except ConfigError as exc:
            raise ConfigError(f"{key('keras-version')}: {exc}") from None
    for name in ("scripts", "libraries", "seed-functions", "determinism-functions"):
        if name in table:
            changes[name.replace("-", "_")] = _strings(table[name], key(name))
    if "seed" in table:
        if not isinstance(table["seed"], int) or isinstance(table["seed"], bool) or not 0 <= table["seed"] < 2**32:
            raise ConfigError(f"{key('seed')} must be an integer from 0 to 4294967295 (2**32 - 1)")
        changes["seed"] = table["seed"]
    if "cache-dir" in table:
        if not isinstance(table["cache-dir"], str):
            raise ConfigError(f"{key('cache-dir')} must be a string")
        folder = config_file.parent if config_file else root
        changes["cache_dir"] = folder / table["cache-dir"]
    for name in ("respect-gitignore", "include-tests", "force-exclude"):
        if name in table:
            changes[name.replace("-", "_")] = _bool(table[name], key(name))
    return replace(settings, **changes)


def keras_version(value: Any) -> str:
    text = str(value).strip()
    if text not in ("2", "3"):
        raise ConfigError(f"keras-version must be 2 or 3, not {value!r}")
    return text


def load_file(config_file: Path, root: Path | None = None, _seen: tuple[Path, ...] = ()) -> Settings:
    """Settings from one configuration file, following ``extend`` (its base is applied first).

    Globs are relative to ``root``: the folder of the file the chain started from.
    """
    config_file = Path(os.path.abspath(config_file))
    root = root or config_file.parent
    if safe_resolve(config_file) in {safe_resolve(p) for p in _seen}:
        chain = " -> ".join(str(p) for p in (*_seen, config_file))
        raise ConfigError(f"{_seen[-1]}: `extend` makes a cycle: {chain}")
    table = _table_of(config_file, _read_toml(config_file))
    if table is None:
        raise ConfigError(f"{config_file}: no [tool.tfdetlint] table")
    base = None
    if "extend" in table:
        target = table["extend"]
        if not isinstance(target, str) or not target:
            raise ConfigError(f"{config_file}: `extend` must be the path of a configuration file")
        path = Path(os.path.expanduser(target))
        path = path if path.is_absolute() else config_file.parent / path
        if not path.is_file():
            raise ConfigError(f"{config_file}: `extend`: no such file {path}")
        base = load_file(path, root, (*_seen, config_file))
    options = {k: v for k, v in table.items() if k != "extend"}
    return settings_from_table(options, root, config_file, base=base, source=str(config_file))


def load_settings(paths: list[Path], config: Path | None = None, isolated: bool = False) -> Settings:
    """The settings for the first path (or the given ``config`` file); see ``Configurations``."""
    if isolated:
        return Settings()
    config_file = config or find_config(paths[0] if paths else Path.cwd())
    if config_file is None:
        return Settings()
    return load_file(config_file)


class Configurations:
    """Each file's settings: its nearest configuration file's, then the command line's overrides.

    ``fixed`` (``--config``) or ``isolated`` use one configuration for every file, as ruff does.
    Results are cached per folder, so a run reads each configuration file once.
    """

    def __init__(self, overrides: Callable[[Settings], Settings] = lambda s: s, fixed: Path | None = None,
                 isolated: bool = False) -> None:
        self.overrides = overrides
        self.isolated = isolated
        self.fixed = fixed
        self._single: Settings | None = None
        if isolated:
            self._single = overrides(Settings())
        elif fixed is not None:
            self._single = overrides(load_file(fixed))
        self._by_file: dict[Path, Settings] = {}
        self._by_folder: dict[Path, Settings] = {}
        self._default: Settings | None = None

    def for_file(self, config_file: Path | None) -> Settings:
        if config_file is None:
            if self._default is None:
                self._default = self.overrides(Settings())
            return self._default
        if config_file not in self._by_file:
            self._by_file[config_file] = self.overrides(load_file(config_file))
        return self._by_file[config_file]

    def for_folder(self, folder: Path) -> Settings:
        if self._single is not None:
            return self._single
        folder = Path(os.path.abspath(folder))
        found = self._by_folder.get(folder)
        if found is not None:
            return found
        own = config_in(folder)
        if own is not None:
            settings = self.for_file(own)
        elif folder.parent != folder:
            settings = self.for_folder(folder.parent)
        else:
            settings = self.for_file(None)
        self._by_folder[folder] = settings
        return settings

    def for_path(self, path: Path) -> Settings:
        """Settings for a file: its folder's."""
        if self._single is not None:
            return self._single
        return self.for_folder(Path(os.path.dirname(os.path.abspath(path))))
