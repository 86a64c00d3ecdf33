"""A content cache: findings keyed by file bytes, the options that change them, tool and catalogue.

One small JSON file per entry, written atomically (temporary file + rename in the same folder),
so concurrent runs never see half an entry; an entry that does not load is ignored and rewritten.
The folder carries a CACHEDIR.TAG so backup tools skip it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfdetlint import __version__
from tfdetlint.config import ConfigError
from tfdetlint.fileio import NotReadable, read_regular
from tfdetlint.findings import Finding
from tfdetlint.project import digest


def _digest_of(path: str) -> str | None:
    try:
        return digest(read_regular(path))
    except (OSError, NotReadable):
        return None

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by tfdetlint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


_INT_FIELDS = ("line", "column", "end_line", "end_column")
_STR_FIELDS = ("code", "message", "api", "severity", "fixable")


def _well_typed(finding: Finding) -> bool:
    return (
        all(type(getattr(finding, name)) is int for name in _INT_FIELDS)
        and all(isinstance(getattr(finding, name), str) for name in _STR_FIELDS)
        and (finding.cell is None or type(finding.cell) is int)
    )


def _not_a_cache(directory: Path) -> str | None:
    """Why tfdetlint must not write in ``directory``, or None (absent, empty, or a tagged cache)."""
    if not directory.exists() and not directory.is_symlink():
        return None
    if not directory.is_dir():
        return "exists and is not a folder"
    if (directory / "CACHEDIR.TAG").is_file():
        return None
    try:
        with os.scandir(directory) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    return None if empty else "is an existing folder that is not a cache (it has no CACHEDIR.TAG)"


class Cache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = f"{__version__}|{salt}".encode()
        self._ready = False
        # Digest of each dependency, read once per run: the entries of a package's files name the
        # same helpers (pinned corpus, warm: 743,296 reads for 3,678 entries before; 26.7 s CPU).
        self._dependency_digests: dict[str, str | None] = {}

    def key(self, raw: bytes, options: str) -> str:
        return self.key_for(digest(raw), options)

    def key_for(self, content_digest: str, options: str) -> str:
        """The entry for content with this digest, checked with these options."""
        key = hashlib.blake2b(self.salt, digest_size=20)
        key.update(options.encode())
        key.update(b"\0")
        key.update(content_digest.encode())
        return key.hexdigest()

    def _entry(self, key: str) -> Path:
        # v2: entries carry each finding's fix intent (a v1 entry would report fixes --fix cannot apply)
        return self.directory / "v2" / key[:2] / f"{key[2:]}.json"

    def get(self, key: str, path: str) -> list[Finding] | None:
        """The cached findings, unless missing, corrupt, or a project file they depend on changed."""
        found = self.get_entry(key, path)
        return found[0] if found is not None else None

    def get_entry(self, key: str, path: str) -> tuple[list[Finding], dict[str, Any]] | None:
        """The cached findings and the entry's ``relay`` (what the file hands other files; {} if none)."""
        try:
            data = json.loads(self._entry(key).read_bytes())
            for dependency, expected in data["deps"].items():
                if self._dependency_digest(dependency) != expected:
                    return None
            found = [Finding.from_json({**item, "path": path}) for item in data["findings"]]
            relay = data.get("relay") or {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        # An entry damaged into valid JSON of the wrong types would break sorting and reports.
        return (found, relay) if all(map(_well_typed, found)) and isinstance(relay, dict) else None

    def _dependency_digest(self, path: str) -> str | None:
        if path not in self._dependency_digests:
            self._dependency_digests[path] = _digest_of(path)
        return self._dependency_digests[path]

    def put(self, key: str, findings: list[Finding], dependencies: dict[str, str] | None = None,
            relay: dict[str, Any] | None = None) -> None:
        self.write(self._entry(key), {
            "findings": [{k: v for k, v in f.to_json().items() if k != "path"} for f in findings],
            "deps": dependencies or {},
            **({"relay": relay} if relay else {}),
        })

    def write(self, entry: Path, data: object) -> None:
        """Write one entry atomically; a cache that cannot be written only costs speed."""
        try:
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(data)
            fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(payload)
                os.replace(tmp, entry)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass

    def check_directory(self) -> None:
        """Refuse a folder that exists, is not empty and is not a cache (no CACHEDIR.TAG).

        ``cache-dir`` may come from the configuration of the tree being analysed; it must not
        make tfdetlint write its ``.gitignore`` (``*``) and ``CACHEDIR.TAG`` into a project
        root or any other folder of someone else's.
        """
        problem = _not_a_cache(self.directory)
        if problem is not None:
            raise ConfigError(f"cache-dir {self.directory}: {problem}; choose a new or empty folder "
                              "(or use --no-cache)")

    def _prepare(self) -> None:
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        problem = _not_a_cache(self.directory)
        if problem is not None:
            raise OSError(problem)  # checked again here: the folder may have changed since
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(CACHEDIR_TAG)
            os.replace(tmp, tag)
        gitignore = self.directory / ".gitignore"
        if not gitignore.exists():
            with contextlib.suppress(OSError):
                gitignore.write_text("*\n", encoding="ascii")
        self._ready = True


Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


class SummaryCache:
    """Summaries of the project's helper functions (what calling one does to the random state),
    kept beside the findings. The workers of a run and later runs share them, so a project
    module is parsed and summarised once, not once per process and per run. An entry names the
    files its summary read, with their digests; the index uses it only while they all match."""

    def __init__(self, cache: Cache, context: str, encode: Encode, decode: Decode) -> None:
        self.cache = cache
        self.context = context.encode()
        self.encode = encode
        self.decode = decode

    def _entry(self, path: Path, function: str) -> Path:
        key = hashlib.blake2b(self.cache.salt, digest_size=20)
        for part in (self.context, str(path).encode("utf-8", "surrogatepass"), function.encode()):
            key.update(b"\0")
            key.update(part)
        name = key.hexdigest()
        return self.cache.directory / "summaries-v1" / name[:2] / f"{name[2:]}.json"

    def load(self, path: Path, function: str) -> tuple[Any, dict[str, str]] | None:
        """The stored summary and the files it read (path -> digest), not yet checked against
        the files as they are now; None when absent or damaged."""
        try:
            data = json.loads(self._entry(path, function).read_bytes())
            files = data["files"]
            if not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())):
                return None
            return self.decode(data["summary"]), files
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def save(self, path: Path, function: str, summary: Any, files: dict[str, str]) -> None:
        self.cache.write(self._entry(path, function), {"summary": self.encode(summary), "files": files})
