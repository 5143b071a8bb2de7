"""One worker vs two on a generated site, in distributed mode (issue 7's closing figures).

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python -m bench.bench_distributed \
        --articles 600 --delay 0.25
    .venv/bin/python bench/bench_distributed.py --articles 600 --delay 0.25   # the same

Needs a Redis server (REDIS_URL, default redis://127.0.0.1:6379/14); a benchmark, not a test.

Generates a site of N articles (copies of a fixture article) listed 20 to a page over two
sections, serves it with a per-request delay (network latency), and crawls it into a fresh
database with one worker, then with two, each time from an empty Redis key prefix. Prints the
wall time (start to last worker exit, so including process start-up and the idle close) and the
crawl time (first to last request seen by the server) for each, and their ratios. Uses MONGO_URI
when set, else an embedded server of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from bench.harness import ROOT, free_port
from crawler.devserver import StaticSite
from crawler.storage.connection import connect
from crawler.storage.embedded import EmbeddedServer

DEMO_SITE = ROOT / "crawler" / "demo_site"

TEMPLATE_SLUG = "free-lance-sa-nouvelle-freebox-ultra"
PER_PAGE = 20
SECTIONS = ("actualites", "jeux")

CATALOGUE = """
[sites.bench_site]
name = "Generated bench site"
domains = ["127.0.0.1"]
language = "fr"
timezone = "Europe/Paris"
sections = {{ actualites = "{base}/actualites/", jeux = "{base}/jeux/" }}
article_patterns = ['^/articles/[\\w-]+/?$']
section_patterns = ['^/(?:actualites|jeux)/$']
exclude_patterns = ['/page/\\d+']
next_page_patterns = ['/page/\\d+/?$']
max_pages = {max_pages}
max_articles = {max_articles}
"""


def generate_site(root: Path, articles: int) -> None:
    """`articles` article pages, listed PER_PAGE to a page, alternately in the two sections."""
    template = (DEMO_SITE / "articles" / TEMPLATE_SLUG / "index.html").read_text()
    slugs = [f"generated-article-{n:05d}" for n in range(articles)]
    for n, slug in enumerate(slugs):
        title = f"Article généré numéro {n}"
        page = template.replace(TEMPLATE_SLUG, slug).replace("<title>", f"<title>{title}. ", 1)
        page = re.sub(r"<h1([^>]*)>.*?</h1>", rf"<h1\1>{title}</h1>", page, count=1, flags=re.S)
        (root / "articles" / slug).mkdir(parents=True)
        (root / "articles" / slug / "index.html").write_text(page)
    for index, section in enumerate(SECTIONS):
        listed = slugs[index::len(SECTIONS)]
        pages = [listed[i:i + PER_PAGE] for i in range(0, len(listed), PER_PAGE)]
        for number, chunk in enumerate(pages, start=1):
            links = "\n".join(f'<li><a href="/articles/{s}">{s}</a></li>' for s in chunk)
            more = (f'<a rel="next" href="/{section}/page/{number + 1}/">Suivant</a>'
                    if number < len(pages) else "")
            folder = root / section if number == 1 else root / section / "page" / str(number)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.html").write_text(
                f"<!DOCTYPE html><html lang='fr'><head><title>{section} {number}</title></head>"
                f"<body><main><ul>{links}</ul>{more}</main></body></html>")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")


def crawl(workers: int, *, site: StaticSite, env: dict[str, str]) -> tuple[float, float, list[int]]:
    """Wall time, crawl time and request count per worker of one round."""
    site.clear_log()
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "bench_site"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(workers)]
    outputs = [proc.communicate(timeout=1800)[0] for proc in procs]
    wall = time.monotonic() - started
    for proc, output in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed:\n{output[-3000:]}")
    counts = [int(m.group(1)) for o in outputs
              for m in [re.search(r"'downloader/request_count': (\d+)", o)] if m]
    times = site.request_times()
    return wall, times[-1] - times[0], counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=4, help="requests at once per worker")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    client = redis.Redis.from_url(redis_url)

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        generate_site(tmp_path / "site", args.articles)
        mongo = os.environ.get("MONGO_URI")
        embedded = None
        if not mongo:
            embedded = EmbeddedServer(var_dir=tmp_path / "nx", port=free_port())
            mongo = embedded.ensure_running()
        try:
            with TimedSite(tmp_path / "site", delay=args.delay) as site:
                pages = -(-args.articles // len(SECTIONS) // PER_PAGE) + 1
                catalogue = tmp_path / "sites.toml"
                catalogue.write_text(CATALOGUE.format(base=site.base_url, max_pages=pages,
                                                      max_articles=args.articles))
                results = {}
                for workers in (1, 2):
                    database, prefix = f"bench_{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}"
                    env = {**os.environ, "MONGO_URI": mongo, "MONGO_DATABASE": database,
                           "SITES_FILE": str(catalogue), "REDIS_URL": redis_url,
                           "REDIS_KEY_PREFIX": prefix, "AUTOTHROTTLE_ENABLED": "false",
                           "ALLOW_PRIVATE_ADDRESSES": "true", "VAR_DIR": str(tmp_path / "var"),
                           "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.concurrency),
                           "SCHEDULER_IDLE_BEFORE_CLOSE": "1", "LOG_LEVEL": "INFO"}
                    try:
                        results[workers] = crawl(workers, site=site, env=env)
                        stored = connect(mongo, database)["articles"].count_documents({})
                    finally:
                        connect(mongo, database).client.drop_database(database)
                        for key in client.scan_iter(f"{prefix}:*"):
                            client.delete(key)
                    wall, span, counts = results[workers]
                    print(f"{workers} worker(s): wall {wall:.1f} s, crawl {span:.1f} s, "
                          f"requests per worker {counts}, articles stored {stored}")
        finally:
            if embedded is not None:
                embedded.stop()
    (wall1, span1, _), (wall2, span2, _) = results[1], results[2]
    print(f"{args.articles} articles, {args.delay * 1000:.0f} ms per request, "
          f"{args.concurrency} requests at once per worker: two workers are "
          f"{wall1 / wall2:.2f}x faster in wall time, {span1 / span2:.2f}x in crawl time")


class TimedSite(StaticSite):
    """A StaticSite that also notes when each request arrived."""

    def __init__(self, root: Path, *, delay: float) -> None:
        super().__init__(root, delay=delay)
        self._times: list[float] = []
        self.requests = _TimedList(self._times)

    def request_times(self) -> list[float]:
        with self._lock:
            return sorted(self._times)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self._times.clear()


class _TimedList(list[str]):
    def __init__(self, times: list[float]) -> None:
        super().__init__()
        self._times = times

    def append(self, item: str) -> None:
        self._times.append(time.monotonic())
        super().append(item)


if __name__ == "__main__":
    main()
