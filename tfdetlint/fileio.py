"""Reading a file to check: only regular files, and the size limit checked before reading.

A FIFO named ``x.py`` would block ``open()`` forever, and a symbolic link to ``/dev/zero`` would
be read until memory runs out; both are refused from ``fstat`` on a descriptor opened without
blocking, before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tfdetlint.sources import MAX_FILE_BYTES

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotReadable(Exception):
    """The file is not read; the message says why (one line)."""


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def too_big_message(limit: int = MAX_FILE_BYTES) -> str:
    return f"file is larger than {limit // (1024 * 1024)} MB; skipped"


def read_regular(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises ``NotReadable`` for anything else (the message is the reason) and ``OSError`` when
    the file cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(f"not a regular file ({kind_of(info.st_mode)}); skipped")
        if info.st_size > limit:
            raise NotReadable(too_big_message(limit))
        chunks: list[bytes] = []
        size = 0
        while True:  # a file growing while it is read still stops at the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise NotReadable(too_big_message(limit))
        return b"".join(chunks)
    finally:
        os.close(fd)
