"""Score the dates a crawl *stores*, not what an internal function returns (issue 22).

Each page of an evaluation set goes through a `news` crawl's own steps (`ArticlePage.to_item`,
`article_item`: dates resolved in the page's time-zone hint, the dedupe key, `storable`) into the real
`ArticleStore` on a throwaway nx-27017 database; the documents are then read back and written as
predictions twice: `published` = the stored `published_local`, and `published` = the stored UTC
`published_at` (what a reader had before issue 22). Both are scored by the evaluation scorer.

    python bench/score_stored.py ../shared/eval/wide/truth.jsonl --out /tmp/stored
    python3 ../shared/eval/score.py ../shared/eval/wide/truth.jsonl /tmp/stored/pred_local.jsonl

Pages a crawl would drop (no title or no body) are stored all the same and counted: the figure
is about dates, and the scorer counts a missing page as wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.cli.export import iso  # noqa: E402 - after the path set-up above
from crawler.extract.article import article_item  # noqa: E402
from crawler.extract.page import ArticlePage  # noqa: E402
from crawler.links.urls import article_key, host_of  # noqa: E402
from crawler.pipelines.validate import storable  # noqa: E402
from crawler.storage.articles import ArticleStore  # noqa: E402
from crawler.storage.connection import connect  # noqa: E402
from crawler.storage.embedded import EmbeddedServer  # noqa: E402

SCORER = ROOT.parent / "shared" / "eval" / "score.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def crawled(entry: dict[str, Any], folder: Path, now: dt.datetime) -> dict[str, Any]:
    """The document a `news` crawl hands the store for one saved page."""
    url = entry.get("url") or f"https://eval.invalid/{entry['id']}"
    page = ArticlePage(url, (folder / entry["file"]).read_bytes(), source=host_of(url) or None,
                       fetched_at=now)
    item, _ = article_item(page)  # what the crawl's reader makes of the page
    item["crawl_section"] = None
    # one document per evaluation page, even where two pages share a canonical URL
    item["url"] = f"{article_key(url, item.get('canonical_url')) or url}#eval={entry['id']}"
    return storable(item)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("truth", type=Path, help="an evaluation set's truth.jsonl")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "score_stored")
    args = parser.parse_args(argv)
    entries = [json.loads(line) for line in args.truth.read_text().splitlines() if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as var:
        server = EmbeddedServer(var_dir=Path(var), port=_free_port())
        database = connect(server.ensure_running(), "score_stored")
        try:
            store = ArticleStore(database)
            store.ensure_indexes()
            documents = [crawled(e, args.truth.parent, now) for e in entries]
            dropped = sum(1 for d in documents if not d.get("title") or not d.get("body"))
            for start in range(0, len(documents), 100):
                store.upsert_many(documents[start:start + 100], run_id="score_stored", now=now)
            stored = {d["url"]: d for d in store.find({})}
        finally:
            database.client.close()
            server.stop()
    by_id = {e["id"]: stored.get(d["url"]) for e, d in zip(entries, documents, strict=True)}
    for name, published in (("local", lambda d: d.get("published_local")),
                            ("utc", lambda d: d["published_at"] and iso(d["published_at"]))):
        path = args.out / f"pred_{name}.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            for page_id, document in by_id.items():
                if document is None:
                    continue
                stream.write(json.dumps({
                    "id": page_id, "published": published(document), "title": document["title"],
                    "authors": document["authors"], "body": document["body"],
                    "lang": document.get("language")}, ensure_ascii=False) + "\n")
        print(f"== published = stored {'published_local' if name == 'local' else 'published_at'}"
              f" ({sum(d is not None for d in by_id.values())} of {len(entries)} pages stored, "
              f"{dropped} that a crawl would drop): {path}", flush=True)
        if SCORER.is_file():
            subprocess.run([sys.executable, str(SCORER), str(args.truth), str(path)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
