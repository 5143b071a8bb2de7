"""Dead letters: articles a run could not write, as JSON lines, and `newscrawl replay` of them.

MongoDB Extended JSON keeps dates as dates. The store pipeline appends to one file per run
(`DEAD_LETTER_DIR/<spider>-<run id>.jsonl`); `replay_dead_letters` writes a file's articles under
the runs that extracted them, idempotently.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bson import json_util

from crawler.storage import ArticleStore, WriteResult


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


def read_dead_letters(path: Path) -> Iterable[tuple[str, dict[str, Any]]]:
    """(run_id, document) for each line of a dead-letter file."""
    options = json_util.JSONOptions(tz_aware=True, tzinfo=dt.UTC)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                entry = json_util.loads(line, json_options=options)
                yield entry["run_id"], entry["document"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a dead-letter line ({exc})") from None


def replay_dead_letters(store: ArticleStore, path: Path, *, batch_size: int = 100) -> WriteResult:
    """Write a dead-letter file's articles, under the runs that extracted them; idempotent.

    Returns the totals; `rejected` holds (line index, server message) of what was refused again.
    """
    batches: dict[str, list[dict[str, Any]]] = {}
    for run_id, document in read_dead_letters(path):
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
