"""Articles the database has not acknowledged, as JSON lines, and their replay.

Two kinds of file share one format (MongoDB Extended JSON lines `{"run_id", "reason",
"document"}`, which keeps dates as dates):

- the write-ahead journal of a run (`crawler.storage.journal`, `JOURNAL_DIR/<spider>-<run id>.jsonl`):
  what a run that died, or lost its database, had accepted but not written. The next run of the
  site, and `newscrawl replay` with no argument, load the journals of dead runs and delete them;
- the dead-letter file (`DEAD_LETTER_DIR/<spider>-<run id>.jsonl`): documents the server refused
  (a validator), kept for a look and for `newscrawl replay FILE` once the cause is fixed.

Replaying is idempotent: upserts keyed by URL, and the content hash makes an article that is
already stored count `unchanged`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util

from crawler.storage.articles import ArticleStore
from crawler.storage.documents import WriteResult
from crawler.storage.journal import claim_dead_journals, read_journal

logger = logging.getLogger(__name__)


def append_dead_letters(path: Path, documents: Iterable[Mapping[str, Any]], *, run_id: str,
                        reason: str) -> int:
    """Append documents that could not be written to a JSON-lines file; `replay` loads them.

    MongoDB Extended JSON keeps dates as dates. Returns the number of lines written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("a", encoding="utf-8") as handle:
        for document in documents:
            line = {"run_id": run_id, "reason": reason, "document": dict(document)}
            handle.write(json_util.dumps(line, json_options=json_util.RELAXED_JSON_OPTIONS) + "\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    return count


def read_dead_letters(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(run_id, document) for each entry of a dead-letter file or journal not yet acknowledged."""
    return read_journal(path).entries


def replay_entries(store: ArticleStore, entries: list[tuple[str, dict[str, Any]]], *,
                   batch_size: int = 100) -> WriteResult:
    """Upsert entries under the runs that extracted them (raises DatabaseUnavailable).

    Returns the totals; `rejected` holds (entry index, server message) of what was refused again.
    """
    batches: dict[str, list[dict[str, Any]]] = {}
    for run_id, document in entries:
        batches.setdefault(run_id, []).append(document)
    inserted = updated = unchanged = 0
    rejected: list[tuple[int, str]] = []
    offset = 0
    for run_id, documents in batches.items():
        for start in range(0, len(documents), batch_size):
            result = store.upsert_many(documents[start:start + batch_size], run_id=run_id,
                                       now=dt.datetime.now(dt.UTC))
            inserted += result.inserted
            updated += result.updated
            unchanged += result.unchanged
            rejected += [(offset + start + index, message) for index, message in result.rejected]
        offset += len(documents)
    return WriteResult(inserted=inserted, updated=updated, unchanged=unchanged,
                       rejected=tuple(rejected))


def replay_dead_letters(store: ArticleStore, path: Path, *, batch_size: int = 100) -> WriteResult:
    """Write a dead-letter file's (or a journal's) pending articles; idempotent."""
    return replay_entries(store, read_dead_letters(path), batch_size=batch_size)


@dataclass(frozen=True)
class Replayed:
    """One dead run's journal, loaded into the database and deleted."""

    path: Path
    run_id: str | None  # the dead run, from the journal's header
    held: int  # entries the database had not acknowledged
    result: WriteResult


def replay_dead_journals(store: ArticleStore, directory: Path, spider: str | None = None, *,
                         batch_size: int = 100) -> list[Replayed]:
    """Load, then delete, the journals that dead runs (of `spider`, or of any) left in
    `directory`. A journal whose articles the database refused is kept, under its lock until
    this returns. Raises DatabaseUnavailable (the journal in hand stays for the next attempt)."""
    done = []
    for journal in claim_dead_journals(directory, spider):
        try:
            contents = journal.read()
        except ValueError as exc:  # kept for a look; the other journals are loaded
            logger.error("cannot read the journal %s: %s", journal.path, exc)
            journal.release()
            continue
        try:
            result = replay_entries(store, contents.entries, batch_size=batch_size)
        except BaseException:
            journal.release()
            raise
        if result.rejected:
            journal.release()
        else:
            journal.discard()
        done.append(Replayed(journal.path, contents.run_id, len(contents.entries), result))
    return done
