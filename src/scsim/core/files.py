"""Files written whole or not at all, and a full disk reported as one clear error.

Every writer of scsim (a run, an experiment, a report, an audit export) writes into a temporary
name and renames into place; :func:`space_for` wraps each write so that a full disk (ENOSPC, or a
quota: EDQUOT) becomes :class:`DiskFull`, naming the file, the space free and, where known, the
space the write needed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

FULL_DISK_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error says the disk (or the user's quota) is full; Arrow's errors carry the
    errno in their text only."""
    if isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS:
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """The bytes free on the file system holding ``path`` (or its nearest existing parent)."""
    folder = Path(path).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError


class DiskFull(OSError):
    """The disk filled while scsim wrote ``filename``; nothing half-written was left."""

    def __init__(self, path: str | os.PathLike[str], needed: int | None = None) -> None:
        free = free_bytes(path)
        room = f"{_size(free)} free" if free is not None else "free space unknown"
        need = f", about {_size(needed)} needed" if needed else ""
        message = (
            f"no space left on the device writing {path} ({room}{need}) — nothing half-written was kept; "
            "free some space or write elsewhere (--out)"
        )
        super().__init__(errno.ENOSPC, message, str(path))
        self.message = message

    def __str__(self) -> str:
        return self.message


@contextlib.contextmanager
def space_for(path: str | os.PathLike[str], needed: int | None = None) -> Iterator[None]:
    """Turn a full disk while writing ``path`` into :class:`DiskFull` (other errors pass)."""
    try:
        yield
    except DiskFull:
        raise
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(path, needed) from exc
        raise


def fsync(path: str | os.PathLike[str]) -> None:
    """Flush a file's bytes to the disk (a full disk can surface only here)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, flush it, rename it into place: a
    failure (a full disk included) leaves the old file, or none, never half of the new one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(3)}.tmp")
    try:
        with space_for(path, len(text.encode())):
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


__all__ = ["DiskFull", "free_bytes", "fsync", "is_disk_full", "space_for", "write_text_atomic"]
