"""The write-ahead journal: every article a run accepts is on disk before it counts as accepted.

One file per run, `JOURNAL_DIR/<spider>-<run id>.jsonl`, in the dead-letter format
(`crawler.storage.deadletters`: MongoDB Extended JSON lines `{"run_id", "reason", "document"}`) plus a
sequence number per entry:

- `append(document)` writes one line with one `os.write` on an `O_APPEND` descriptor: once it
  returns, the line is in the kernel's page cache and survives the death of the process
  (SIGKILL, an OOM kill); `sync()` (once per batch, before the batch is written to the database)
  makes it survive a power cut too;
- `acknowledge(first, last)`: the database acknowledged the entries `first..last`; when nothing
  is left unacknowledged the file is truncated back to its header, else an ack line
  `{"acked": [first, last]}` is appended (a batch that failed stays pending while later ones
  succeed);
- `close()` deletes the file when nothing is pending, else keeps it for the next run of the
  site (or `newscrawl replay`).

Ownership is an advisory `flock` the run holds on its journal for its whole life: the kernel
releases it when the process ends, however it ends. A journal whose lock can be taken belongs to
a dead run: `claim_dead_journals` takes the lock (so two processes never load the same journal),
the caller replays the pending entries (upserts with the content hash: replaying what is already
stored counts `unchanged`) and `DeadJournal.discard()` deletes it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bson import json_util

logger = logging.getLogger(__name__)

_JSON = json_util.RELAXED_JSON_OPTIONS
_READ = json_util.JSONOptions(tz_aware=True, tzinfo=dt.UTC)


def journal_path(directory: Path, spider: str, run_id: str) -> Path:
    """One file per run and process (the workers of a distributed round share its run id)."""
    return Path(directory) / f"{spider}-{run_id}-{os.getpid()}.jsonl"


def _default(value: Any) -> Any:
    """Extended JSON for what plain JSON lacks: aware datetimes directly, the rest by bson."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return {"$date": value.isoformat()}
    return json_util.default(value, json_options=_JSON)


def _line(entry: Mapping[str, Any]) -> bytes:
    """One entry as a line of Extended JSON, as `json_util.dumps` writes it and reads it back.

    The C encoder with a `default` hook: 17 us for an article of 6 KB, against 27 us for
    `json_util.dumps`, which converts the whole document in Python first (bench/bench_journal.py).
    """
    return (json.dumps(entry, default=_default) + "\n").encode("ascii")


class Journal:
    """The journal of one live run (see the module docstring). Thread-safe: the store pipeline
    appends on the reactor thread and acknowledges on its writer thread."""

    def __init__(self, path: Path, descriptor: int, header_size: int, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._fd = descriptor
        self._header_size = header_size
        self._lock = threading.Lock()
        self._next = 1
        self._pending: set[int] = set()
        self.appended = 0

    @classmethod
    def create(cls, directory: Path, *, spider: str, run_id: str) -> Journal:
        """Create and lock the run's journal. It is created under a temporary name and renamed
        once locked, so that no other process ever sees it unlocked."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = journal_path(directory, spider, run_id)
        temporary = path.with_suffix(".new")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        header = _line({"journal": 1, "spider": spider, "run_id": run_id, "pid": os.getpid(),
                        "host": socket.gethostname(), "started_at": dt.datetime.now(dt.UTC)})
        os.write(descriptor, header)
        os.fsync(descriptor)
        os.replace(temporary, path)
        return cls(path, descriptor, len(header), run_id)

    @property
    def pending(self) -> int:
        """Entries not yet acknowledged by the database."""
        return len(self._pending)

    def append(self, document: Mapping[str, Any]) -> int:
        """Write one document; returns its sequence number. On return the line is the kernel's."""
        with self._lock:
            number = self._next
            self._next += 1
            os.write(self._fd, _line({"seq": number, "run_id": self.run_id, "reason": "pending",
                                      "document": dict(document)}))
            self._pending.add(number)
            self.appended += 1
            return number

    def sync(self) -> None:
        """Make what was appended survive a power cut (one fsync per batch)."""
        os.fsync(self._fd)

    def acknowledge(self, first: int, last: int) -> None:
        """The database holds entries `first..last`."""
        with self._lock:
            self._pending.difference_update(range(first, last + 1))
            if not self._pending:
                os.ftruncate(self._fd, self._header_size)
            else:
                os.write(self._fd, _line({"acked": [first, last]}))

    def close(self) -> bool:
        """Delete the journal when the database holds everything, else keep it (and release
        it for the next run). Returns whether it was kept."""
        with self._lock:
            kept = bool(self._pending)
            if kept:
                os.fsync(self._fd)
            else:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
            return kept


@dataclass
class JournalContents:
    """What a journal (or an older dead-letter file) holds, acknowledged entries left out."""

    header: dict[str, Any] = field(default_factory=dict)
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (run_id, document)

    @property
    def run_id(self) -> str | None:
        run_id = self.header.get("run_id")
        return run_id if isinstance(run_id, str) else None


def read_journal(path: Path) -> JournalContents:
    """The pending entries of a journal or dead-letter file (ValueError on a corrupt line; a
    last line cut short by a kill in the middle of a write is ignored)."""
    contents = JournalContents()
    entries: list[tuple[int | None, str, dict[str, Any]]] = []
    acked: set[int] = set()
    with Path(path).open(encoding="utf-8") as handle:
        lines = handle.readlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json_util.loads(line, json_options=_READ)
        except ValueError as exc:
            if number == len(lines) and not line.endswith("\n"):
                logger.warning("%s: ignored a last line cut short (%d bytes)", path, len(line))
                continue
            raise ValueError(f"{path}:{number}: not a journal line ({exc})") from None
        if not isinstance(entry, dict):
            raise ValueError(f"{path}:{number}: not a journal line")
        if "journal" in entry:
            contents.header = entry
        elif "acked" in entry:
            first, last = entry["acked"]
            acked.update(range(int(first), int(last) + 1))
        elif "document" in entry and "run_id" in entry:
            entries.append((entry.get("seq"), entry["run_id"], entry["document"]))
        else:
            raise ValueError(f"{path}:{number}: not a journal line")
    contents.entries = [(run_id, document) for seq, run_id, document in entries
                        if seq is None or seq not in acked]
    return contents


class DeadJournal:
    """A journal whose run is gone, locked by this process until `discard()` or `release()`."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self._fd: int | None = descriptor

    def read(self) -> JournalContents:
        return read_journal(self.path)

    def discard(self) -> None:
        """Its entries are in the database: delete it."""
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def is_live(path: Path) -> bool:
    """Whether a running process holds the journal."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def claim_dead_journals(directory: Path, spider: str | None = None) -> Iterator[DeadJournal]:
    """The journals of dead runs (of `spider`, or of every spider), each locked while the caller
    works on it; a journal a live run holds, or another process is replaying, is left alone."""
    directory = Path(directory)
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.jsonl")):
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # replayed meanwhile by another process
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        if not path.exists():  # replayed and deleted between our glob and our lock
            os.close(descriptor)
            continue
        journal = DeadJournal(path, descriptor)
        if spider is not None and _spider_of(path) != spider:
            journal.release()
            continue
        yield journal


def _spider_of(path: Path) -> str | None:
    """The spider named by a journal's header (its first line)."""
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        header = json_util.loads(first, json_options=_READ)
    except ValueError:
        return None
    spider = header.get("spider") if isinstance(header, dict) else None
    return spider if isinstance(spider, str) else None
