"""Settings from ``[tool.tfdetlint]`` in the nearest ``pyproject.toml``, overridden by the command line."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
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
    keras_version: str = "3"
    scripts: tuple[str, ...] = ()  # globs of files always treated as scripts
    libraries: tuple[str, ...] = ()  # globs of files always treated as library modules
    seed: int = 42
    cache_dir: Path | None = None
    respect_gitignore: bool = True
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


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.tfdetlint] table, from ``start`` upwards."""
    start = safe_resolve(start)
    for folder in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "tfdetlint" in data.get("tool", {}):
                return candidate
    return None


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"`{key}` must be a list of strings")


def settings_from_table(table: dict[str, Any], root: Path, config_file: Path | None = None) -> Settings:
    settings = Settings(root=root, config_file=config_file)
    known = {
        "select", "extend-select", "ignore", "per-file-ignores", "exclude", "extend-exclude", "keras-version",
        "scripts", "libraries", "seed", "cache-dir", "respect-gitignore", "seed-functions", "determinism-functions",
        "include-tests",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown option(s) in [tool.tfdetlint]: {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    if "select" in table:
        changes["select"] = _strings(table["select"], "select")
    if "extend-select" in table:
        changes["select"] = (*changes.get("select", settings.select), *_strings(table["extend-select"], "extend-select"))
    if "ignore" in table:
        changes["ignore"] = _strings(table["ignore"], "ignore")
    if "per-file-ignores" in table:
        pfi = table["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError("`per-file-ignores` must be a table of glob = [codes]")
        changes["per_file_ignores"] = tuple((k, _strings(v, f"per-file-ignores.{k}")) for k, v in pfi.items())
    if "exclude" in table:
        changes["exclude"] = _strings(table["exclude"], "exclude")
    if "extend-exclude" in table:
        changes["extend_exclude"] = _strings(table["extend-exclude"], "extend-exclude")
    if "keras-version" in table:
        changes["keras_version"] = keras_version(table["keras-version"])
    for key in ("scripts", "libraries", "seed-functions", "determinism-functions"):
        if key in table:
            changes[key.replace("-", "_")] = _strings(table[key], key)
    if "seed" in table:
        if not isinstance(table["seed"], int) or isinstance(table["seed"], bool) or not 0 <= table["seed"] < 2**32:
            raise ConfigError("`seed` must be an integer from 0 to 4294967295 (2**32 - 1)")
        changes["seed"] = table["seed"]
    if "cache-dir" in table:
        changes["cache_dir"] = root / str(table["cache-dir"])
    if "respect-gitignore" in table:
        changes["respect_gitignore"] = bool(table["respect-gitignore"])
    if "include-tests" in table:
        changes["include_tests"] = bool(table["include-tests"])
    return replace(settings, **changes)


def keras_version(value: Any) -> str:
    text = str(value).strip()
    if text not in ("2", "3"):
        raise ConfigError(f"keras-version must be 2 or 3, not {value!r}")
    return text


def load_settings(paths: list[Path], config: Path | None = None, isolated: bool = False) -> Settings:
    if isolated:
        return Settings()
    config_file = config or find_config(paths[0] if paths else Path.cwd())
    if config_file is None:
        return Settings()
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {config_file}: {exc}") from exc
    table = data.get("tool", {}).get("tfdetlint", {})
    return settings_from_table(table, config_file.parent, config_file)
