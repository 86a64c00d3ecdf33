"""Write a fixed file atomically, and only if nobody changed it since it was read."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path


class WriteRefused(Exception):
    """The file was not written; the message says why."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_read_only(path: Path) -> bool:
    """No write permission bit set. Checked on the mode, not with os.access, because root may
    write anything and a read-only file is the user saying "do not change this"."""
    mode = os.stat(path).st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def write_atomically(path: Path, data: bytes, read_digest: str) -> None:
    """Temp file in the same folder, same mode, then ``os.replace``; refuse if the file changed.

    The content check runs just before the rename; a write in the instant between the two
    cannot be excluded without locks every editor would have to honour.
    """
    target = Path(os.path.realpath(path))  # replace what a symlink points at, not the link
    if is_read_only(target):
        raise WriteRefused("file is read-only; not fixed")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tfdetlint-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        if digest(target.read_bytes()) != read_digest:
            raise WriteRefused("file changed on disk since it was read; not overwritten")
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
