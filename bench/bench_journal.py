"""The write-ahead journal's cost (issue 16): items/s with and without it, medians over rounds.

    .venv/bin/python -m bench.bench_journal                       # both measures
    .venv/bin/python -m bench.bench_journal --skip-crawl          # the store path only

1. The store path alone: N article-sized documents through `StorePipeline.process_item` and
   `close_spider` into the embedded database (fresh database per pass), `JOURNAL_ENABLED` on and
   off in alternating order. The strictest view: nothing else of the crawl dilutes the journal's
   cost (one JSON line and one write(2) per item, one fsync per batch).
2. The full crawl: `scrapy crawl` of the benchmark site (bench/sitegen.py, served by nginx) into a
   fresh database, journal on and off, alternating; articles stored / wall seconds.

The floor: with the journal, at most 5% slower (ratio on/off >= 0.95) on the full crawl.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BENCH_SITE_KEY,
    ROOT,
    BenchError,
    Database,
    Nginx,
    python,
    run_child,
    scrapy_env,
    switch,
    write_sites_file,
)

FLOOR = 0.95


class _Stats:
    """What the store pipeline asks of Scrapy's stats collector."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def documents(count: int, seed: int = 16) -> list[dict[str, Any]]:
    """Article items as the store receives them: a title, 4-8 KB of body, dates, a few lists."""
    import datetime as dt

    rng = random.Random(seed)
    words = ("serveur", "faille", "console", "lancement", "batterie", "reseau", "ecran", "prix",
             "donnees", "satellite", "mise", "jour", "nouveau", "telephone", "test", "securite")
    now = dt.datetime.now(dt.UTC)
    items = []
    for n in range(count):
        body = "\n\n".join(" ".join(rng.choices(words, k=rng.randint(80, 140))) for _ in range(8))
        url = f"https://bench.example/articles/{n}-{'-'.join(rng.sample(words, 4))}/"
        items.append({"url": url, "fetched_url": url, "canonical_url": url, "source": "bench",
                      "title": " ".join(rng.sample(words, 7)).capitalize(), "subtitle": None,
                      "authors": ["Claire Martin"], "published_at": now - dt.timedelta(hours=n),
                      "published_raw": {"text": "2023-11-22T18:00:00+01:00", "where": "jsonld"},
                      "updated_at": None, "section": "Actualités", "crawl_section": "actualites",
                      "tags": rng.sample(words, 3), "language": "fr", "body": body,
                      "image_url": None, "fetched_at": now})
    return items


def store_pass(uri: str, name: str, items: list[dict[str, Any]], *, journal: bool,
               work: Path) -> float:
    """Items/s through the store pipeline, journal on or off."""
    from crawler.pipelines.store import StorePipeline
    from crawler.storage.articles import ArticleStore
    from crawler.storage.connection import connect

    database = connect(uri, name)
    try:
        store = ArticleStore(database)
        store.ensure_indexes()
        stats: Any = _Stats()  # duck-typed: what the pipeline asks of Scrapy's collector
        pipeline = StorePipeline(store, stats, batch_size=100, flush_seconds=5.0,
                                 retry_seconds=10.0, dead_letter_dir=work / "dead-letter",
                                 journal_dir=work / "journal" if journal else None,
                                 spider_name="bench")

        async def run() -> float:
            pipeline.open_spider()
            started = time.perf_counter()
            for item in items:
                await pipeline.process_item(dict(item))
            await pipeline.close_spider()
            return len(items) / (time.perf_counter() - started)

        rate = asyncio.run(run())
        assert store.count() == len(items)
        return rate
    finally:
        database.client.drop_database(name)
        database.client.close()


def measure_store(rounds: int, count: int, work: Path) -> dict[str, list[float]]:
    items = documents(count)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    with Database(work / "db-store") as database:
        store_pass(database.uri, "bench_warmup", items[:200], journal=True, work=work)
        for number in range(rounds):
            order = ("on", "off") if number % 2 == 0 else ("off", "on")
            for label in order:
                rate = store_pass(database.uri, database.new_name(f"journal_{label}"), items,
                                  journal=label == "on", work=work)
                rates[label].append(rate)
                print(f"store path, round {number + 1}, journal {label}: {rate:.0f} items/s",
                      flush=True)
    return rates


def measure_crawl(rounds: int, articles: int, work: Path) -> dict[str, list[float]]:
    from bench.run import prepared_site

    site = prepared_site(work / "sites" / f"site-{articles}", articles)
    serve = work / "serve-journal"
    switch(serve, site)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    with Database(work / "db-crawl") as database, Nginx(serve, work / "nginx-journal") as nginx:
        sites_file = write_sites_file(work / "sites-journal.toml", nginx.base_url)
        for number in range(rounds):
            order = ("on", "off") if number % 2 == 0 else ("off", "on")
            for label in order:
                name = database.new_name(f"crawl_{label}")
                env = scrapy_env(SITES_FILE=str(sites_file), MONGO_URI=database.uri,
                                 MONGO_DATABASE=name, AUTOTHROTTLE_ENABLED="false",
                                 ALLOW_PRIVATE_ADDRESSES="true", VAR_DIR=str(work / "var-journal"),
                                 LOG_LEVEL="INFO", JOURNAL_ENABLED="true" if label == "on" else "false")
                child = run_child([python(), "-m", "scrapy", "crawl", BENCH_SITE_KEY], env=env,
                                  cwd=ROOT, log=work / f"crawl-{label}-{number}.log", timeout=1800)
                stored = database.count(name)
                database.drop(name)
                if child.returncode != 0 or stored != articles:
                    raise BenchError(f"crawl {label} stored {stored}/{articles}:\n{child.log_tail()}")
                rate = stored / child.wall
                rates[label].append(rate)
                print(f"full crawl, round {number + 1}, journal {label}: {rate:.1f} articles/s "
                      f"({child.wall:.1f} s)", flush=True)
    return rates


def report(title: str, unit: str, rates: dict[str, list[float]]) -> float:
    """Medians, and the median of the per-round ratios: the machine is shared, its load drifts
    between rounds, so a ratio is only taken within a round (as bench/run.py does)."""
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    ratios = [a / b for a, b in zip(rates["on"], rates["off"], strict=True)]
    ratio = statistics.median(ratios)
    print(f"\n{title}: journal on {on:.1f} {unit}, off {off:.1f} {unit} (medians); on/off "
          f"{ratio:.3f} (median of the rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=3000, help="documents per store-path pass")
    parser.add_argument("--articles", type=int, default=1000, help="articles of the crawled site")
    parser.add_argument("--skip-crawl", action="store_true")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    # under the checkout, as bench/run.py's: nginx's workers must be able to read the site
    work = (args.work or ROOT / "var" / "bench").resolve()
    try:
        store = measure_store(args.rounds, args.items, work)
        crawl = None if args.skip_crawl else measure_crawl(args.rounds, args.articles, work)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    report(f"store path ({args.items} documents, batches of 100)", "items/s", store)
    if crawl is None:
        return 0
    ratio = report(f"full crawl ({args.articles} articles)", "articles/s", crawl)
    print(f"floor: on/off >= {FLOOR} -> {'pass' if ratio >= FLOOR else 'FAIL'}")
    return 0 if ratio >= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
