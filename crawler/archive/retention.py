"""Retention: the archive kept under a size and an age limit, oldest files removed first.

Applied once per process, when the first crawl opens its writer (`enforce_retention`). Only
closed files of finished writers are removed: never a file of a live writer, nor of a process
that died with pages not yet read (its `.open` marker is still there: crash recovery needs it).

A stored document whose file was removed keeps its `archive` provenance (the file name, offset
and record id stay true as history); `removed.tsv` in the archive directory lists every file
removed, with the time and the reason, so that a reader can tell a removed file from a lost one,
and `newscrawl reextract` simply no longer sees its pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from crawler.archive.writer import MARKER, SUFFIX

logger = logging.getLogger(__name__)

REMOVED_LIST = "removed.tsv"


def _protected_stems(directory: Path) -> set[str]:
    """The writers that still have a marker: live, or dead with pages to recover."""
    return {marker.name[:-len(MARKER)] for marker in directory.glob(f"*{MARKER}")}


def _stem_of(name: str) -> str:
    """`newscrawl-...-<pid>-00003.warc.gz` -> `newscrawl-...-<pid>`.

    >>> _stem_of("newscrawl-20261208-vm-12-00003.warc.gz")
    'newscrawl-20261208-vm-12'
    """
    return name[:-len(SUFFIX)].rsplit("-", 1)[0]


def enforce_retention(directory: Path, *, max_bytes: int, max_age_days: float,
                      now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """Remove the oldest removable files until the archive is under `max_bytes` (0: no limit)
    and holds nothing older than `max_age_days` (0: no limit); the (name, size) removed."""
    if not (max_bytes or max_age_days) or not directory.is_dir():
        return []
    now = now or dt.datetime.now(dt.UTC)
    protected = _protected_stems(directory)
    files = []
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((stat.st_mtime, path, stat.st_size))
    files.sort()
    total = sum(size for _, _, size in files)
    oldest_kept = (now - dt.timedelta(days=max_age_days)).timestamp() if max_age_days else None
    removed: list[tuple[str, int]] = []
    for mtime, path, size in files:
        too_big = bool(max_bytes) and total > max_bytes
        too_old = oldest_kept is not None and mtime < oldest_kept
        if not (too_big or too_old):
            break
        if _stem_of(path.name) in protected:
            continue
        try:
            path.unlink()
        except OSError as exc:
            logger.warning("archive retention: cannot remove %s: %s", path, exc.strerror or exc)
            continue
        total -= size
        removed.append((path.name, size))
        reason = "size" if too_big else "age"
        line = f"{now.isoformat()}\t{path.name}\t{size}\t{reason}\n"
        fd = os.open(directory / REMOVED_LIST, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    return removed
