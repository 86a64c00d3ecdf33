"""Write a fixed file safely: only if nobody changed it since it was read, keeping what it is.

- The file is locked (``fcntl.flock``, advisory, POSIX) from the final re-read to the end of the
  write, so concurrent tfdetlint runs on one tree never both apply an edit: the second one finds
  the bytes changed and refuses. The wait for the lock is bounded (``LOCK_TIMEOUT_S``): a file
  that another process keeps locked (an editor, a hung tool) is refused, not waited on forever.
- Usually a temporary file in the same folder, same mode, then ``os.replace`` (atomic).
- A file with other hard links, or that belongs to another user or group (tfdetlint running as
  root), is written in place instead, so that its inode, links, owner, group and mode stay: the
  original bytes are first copied to a temporary file in the same folder and read back, and if
  the in-place write fails they are written back from it.
- A symbolic link is written at its target, but only if the target is inside the checked
  folders (``roots``), unless the caller allows it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, the content check remains
    fcntl = None  # type: ignore[assignment]


LOCK_TIMEOUT_S = 10.0  # another tfdetlint holds a file's lock for milliseconds; 10 s is no such writer
_LOCK_POLL_S = (0.005, 0.1)  # first and longest pause between tries


class WriteRefused(Exception):
    """The file was not written; the message says why."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_read_only(path: Path) -> bool:
    """No write permission bit set. Checked on the mode, not with os.access, because root may
    write anything and a read-only file is the user saying "do not change this"."""
    mode = os.stat(path).st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def inside(path: Path | str, roots: Sequence[Path | str]) -> bool:
    """Whether the real path of ``path`` is one of ``roots`` (real paths) or below one."""
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def _acquire(fd: int, timeout: float) -> None:
    """Take the exclusive lock, trying until ``timeout`` seconds have passed; ``WriteRefused`` then.

    flock has no timeout of its own; a non-blocking try in a loop keeps the wait bounded without
    signals (SIGALRM would disturb a caller's own handlers and works in the main thread only).
    """
    assert fcntl is not None
    deadline = time.monotonic() + timeout
    pause = _LOCK_POLL_S[0]
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise WriteRefused(f"file is locked by another process (waited {timeout:g} s); not fixed")
        time.sleep(min(pause, left))
        pause = min(pause * 2, _LOCK_POLL_S[1])


@contextlib.contextmanager
def _locked(fd: int, timeout: float | None = None) -> Iterator[None]:
    """``timeout`` defaults to ``LOCK_TIMEOUT_S`` as it is when called (settable, as in tests)."""
    if fcntl is None:
        yield
        return
    _acquire(fd, LOCK_TIMEOUT_S if timeout is None else timeout)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def write_atomically(path: Path, data: bytes, read_digest: str, roots: Sequence[Path | str] | None = None) -> None:
    """Write ``data`` to ``path`` if its content still has ``read_digest``; else ``WriteRefused``.

    ``roots``: the checked folders; a symbolic link whose target is outside them is refused
    (None: no such restriction).
    """
    target = Path(os.path.realpath(path))  # write what a symlink points at, not the link
    if roots is not None and os.path.islink(path) and not inside(target, roots):
        raise WriteRefused(f"symbolic link to {target}, outside the checked folders; not written "
                           "(--fix-link-targets allows it)")
    if is_read_only(target):
        raise WriteRefused("file is read-only; not fixed")
    fd = os.open(target, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        with _locked(fd):
            info = os.fstat(fd)
            try:
                same = os.stat(target)
            except OSError:
                same = None
            if same is None or (same.st_dev, same.st_ino) != (info.st_dev, info.st_ino):
                raise WriteRefused("file was replaced on disk since it was read; not overwritten")
            if digest(_read_all(fd)) != read_digest:
                raise WriteRefused("file changed on disk since it was read; not overwritten")
            if info.st_nlink > 1 or info.st_uid != os.geteuid() or info.st_gid != os.getegid():
                _write_in_place(fd, target, data)
            else:
                _replace(target, data, stat.S_IMODE(info.st_mode))
    finally:
        os.close(fd)


def _temp_copy(target: Path, data: bytes, mode: int | None) -> str:
    """``data`` in a new temporary file next to ``target``, flushed and read back."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tfdetlint-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        with open(temp_name, "rb") as check:
            if check.read() != data:
                raise OSError(f"temporary copy {temp_name} does not read back as written")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return temp_name


def _replace(target: Path, data: bytes, mode: int) -> None:
    temp_name = _temp_copy(target, data, mode)
    try:
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _overwrite(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.ftruncate(fd, len(data))
    os.fsync(fd)


def _write_in_place(fd: int, target: Path, data: bytes) -> None:
    """Same inode (links, owner, group, mode, ACLs kept); the original is restored on failure."""
    original = _read_all(fd)
    backup = _temp_copy(target, original, 0o600)
    try:
        _overwrite(fd, data)
    except BaseException:
        with contextlib.suppress(OSError):
            _overwrite(fd, original)
        raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(backup)
