"""Storage cost of 1,000 revisions, measured on real articles (README "Every earlier version").

The pages of an evaluation set are stored through the real `ArticleStore` (with its
`RevisionStore`) on a throwaway nx-27017 database, then stored again `--rounds` times with
their title and one paragraph changed, so that each round supersedes every article once. The
revisions collection is then measured: the BSON size of its documents (what MongoDB stores before
compression; WiredTiger's snappy typically halves text) and, where the server answers it,
`collStats` (`size`, `totalIndexSize`).

    python bench/revision_cost.py ../shared/eval/wide/truth.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bson  # noqa: E402 - after the path set-up above

from bench.score_stored import _free_port, crawled  # noqa: E402
from crawler.pipelines.validate import storable  # noqa: E402
from crawler.storage.articles import ArticleStore  # noqa: E402
from crawler.storage.connection import connect  # noqa: E402
from crawler.storage.embedded import EmbeddedServer  # noqa: E402
from crawler.storage.revisions import RevisionStore  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("truth", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    entries = [json.loads(line) for line in args.truth.read_text().splitlines() if line.strip()]
    now = dt.datetime.now(dt.UTC)
    documents = [d for d in (crawled(e, args.truth.parent, now) for e in entries)
                 if d.get("title") and d.get("body")]
    with tempfile.TemporaryDirectory() as var:
        server = EmbeddedServer(var_dir=Path(var), port=_free_port())
        database = connect(server.ensure_running(), "revision_cost")
        try:
            revisions = RevisionStore(database, max_per_article=args.rounds + 1)
            revisions.ensure_indexes()
            store = ArticleStore(database, revisions=revisions)
            store.upsert_many(documents, run_id="r0", now=now)
            for round_ in range(1, args.rounds + 1):
                later = now + dt.timedelta(hours=round_)
                edited = []
                for d in documents:
                    paragraphs = d["body"].split("\n\n")
                    paragraphs[0] = f"{paragraphs[0]} (correction {round_})"
                    edited.append(storable({**d, "title": f"{d['title']} ({round_})",
                                            "body": "\n\n".join(paragraphs),
                                            "fetched_at": later}))
                store.upsert_many(edited, run_id=f"r{round_}", now=later)
            sizes = [len(bson.encode(r)) for r in revisions.collection.find({})]
            articles = [len(bson.encode(a)) for a in store.find({})]
            try:
                stats = database.command("collStats", revisions.collection.name)
                server_says = {k: stats.get(k) for k in ("count", "size", "storageSize",
                                                         "totalIndexSize")}
            except Exception as exc:  # nx-27017 may not answer collStats
                server_says = {"collStats": f"not answered ({exc})"}
        finally:
            database.client.close()
            server.stop()
    print(f"articles: {len(documents)}, revisions: {len(sizes)}")
    print(f"revision BSON size: mean {statistics.mean(sizes):.0f} B, median "
          f"{statistics.median(sizes):.0f} B; article document: mean "
          f"{statistics.mean(articles):.0f} B")
    print(f"per 1,000 revisions: {statistics.mean(sizes) * 1000 / 1e6:.2f} MB of BSON")
    print(f"server: {server_says}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
