"""`newscrawl replay [FILE]`: load what dead runs journalled but never wrote."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.cli.common import project_settings, reader_stores


def add_parser(commands: Any) -> None:
    replay = commands.add_parser(
        "replay", help="load articles a run accepted but never wrote (journals of dead runs)")
    replay.add_argument("file", nargs="?",
                        help="a dead-letter file or journal; default: every journal a dead run "
                             "left in JOURNAL_DIR")
    replay.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load a dead-letter file or journal (FILE), or with no FILE every journal a dead run left
    in JOURNAL_DIR (then deleted); running it twice changes nothing more."""
    from crawler.errors import DatabaseUnavailable
    from crawler.storage.deadletters import replay_dead_journals, replay_dead_letters
    from crawler.storage.documents import WriteResult
    from crawler.storage.journal import is_live

    settings = project_settings()
    path = Path(args.file) if args.file else None
    if path is not None and not path.is_file():
        print(f"newscrawl replay: no such file: {path}", file=sys.stderr)
        return 2
    if path is not None and is_live(path):
        print(f"newscrawl replay: {path} is the journal of a running crawl; it writes it itself",
              file=sys.stderr)
        return 1
    results: list[tuple[Path, WriteResult]] = []
    try:
        store, _ = reader_stores(settings)  # revisions included: a replayed change keeps one
        store.ensure_indexes()
        if path is not None:
            results.append((path, replay_dead_letters(store, path)))
        else:
            journals = Path(settings.get("JOURNAL_DIR"))
            results += [(entry.path, entry.result) for entry in replay_dead_journals(store, journals)]
            if not results:
                print(f"no journal of a dead run in {journals}")
    except (DatabaseUnavailable, RuntimeError, ValueError) as exc:
        print(f"newscrawl replay: {exc}", file=sys.stderr)
        return 1
    refused = 0
    for source, result in results:
        for _, message in result.rejected:
            print(f"refused by the server: {message}", file=sys.stderr)
        refused += len(result.rejected)
        total = result.inserted + result.updated + result.unchanged + len(result.rejected)
        print(f"replayed {total} articles from {source}: {result.inserted} new, {result.updated} "
              f"updated, {result.unchanged} unchanged, {len(result.rejected)} refused")
    return 1 if refused else 0
