"""Results cache: one JSON file per (TF version, device, probe, args, settings)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA = 1


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tfdetlint" / "verify"


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([SCHEMA, *map(str, parts)]).encode()).hexdigest()[:32]


def load(cache_dir: Path, key: str) -> dict[str, Any] | None:
    try:
        data = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or torn: recompute
    return data if isinstance(data, dict) else None


def store(cache_dir: Path, key: str, value: dict[str, Any]) -> None:
    """Write atomically (temp file + ``os.replace``) so concurrent runs never read half a file."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh)
        os.replace(tmp, cache_dir / f"{key}.json")
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
