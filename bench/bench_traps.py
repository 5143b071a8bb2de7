"""Issue 13's figures: downloads per article on the trap site, throughput vs bare Scrapy, re-runs.

    .venv/bin/python bench/bench_traps.py --articles 400            # needs nginx (apt-get)
    .venv/bin/python bench/bench_traps.py --articles 400 --profile  # + py-spy of the first runs
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/bench_traps.py --distributed
    .venv/bin/python bench/bench_traps.py --articles 2000 --rounds 5  # throughput only
    .venv/bin/python bench/bench_traps.py --articles 2000 --rounds 5 --archive both  # its cost

A benchmark, not a test. Generates the bench site with its traps (bench/sitegen.py --traps:
comment replies, share and print links, AMP copies, an unknown parameter, tag and author
pages), serves it with nginx on 127.0.0.1 and an embedded database server of its own, then, each
from the server's access log:

- bare Scrapy (bench/bare_spider.py, the ceiling: clean article links only, no extraction, no
  database), same concurrency, AutoThrottle off;
- `scrapy crawl news -a url=...` into an empty database, then again on the unchanged site;
- a catalogue spider whose article pattern lets parameterised links through (no `$`), into
  another empty database, then again;
- with --distributed, two catalogue-spider workers sharing one Redis (REDIS_URL) into a third
  empty database.

For each: article-page downloads per unique article over the run and after the learning phase
(from the last copy download on), copies by trap, non-article documents stored, wall time, and
articles per second against the bare spider's.

With --rounds N, throughput only: N rounds of the three first runs (bare, `news`, catalogue
spider, each into a fresh database), the order rotating from round to round because the machine
is shared; prints each round's ratios and their medians.

With --archive both (and --rounds N), the WARC archive's cost (issue 24): N rounds of the
catalogue spider with ARCHIVE_ENABLED on and off, alternating which goes first, each into a fresh
database and archive directory; prints the throughput ratio on/off per round and its median, and
the archive's disk cost per 1,000 stored articles. `--archive on|off` sets it for the other modes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from bench import sitegen
from bench.harness import (
    ROOT,
    SECTIONS,
    BenchError,
    Database,
    LogLine,
    Nginx,
    python,
    run_child,
    scrapy_env,
    write_sites_file,
)

SITE_KEY = "bench_traps"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def article_of(path: str, articles: set[str]) -> str | None:
    """The article a request path downloads (its clean path), or None for another page."""
    clean = path.split("?", 1)[0]
    for candidate in (clean, clean.removesuffix("amp/").removesuffix("amp")):
        for form in (candidate, candidate.rstrip("/"), candidate.rstrip("/") + "/"):
            if form in articles:
                return form
    return None


def measure(lines: list[LogLine], articles: set[str]) -> dict[str, Any]:
    downloads = [(line, article_of(line.path, articles)) for line in lines]
    article_lines = [(line, a) for line, a in downloads if a is not None and line.status == 200]
    copies = [(line, a) for line, a in article_lines
              if "?" in line.uri or line.path.endswith("/amp/")]
    kinds = Counter("/amp" if line.path.endswith("/amp/") else
                    line.uri.split("?", 1)[1].split("=", 1)[0] for line, _ in copies)
    unique = {a for _, a in article_lines}
    result: dict[str, Any] = {
        "requests": len(lines), "article_downloads": len(article_lines),
        "unique_articles": len(unique), "copies": dict(kinds),
        "per_article": len(article_lines) / len(unique) if unique else None,
        "clean_downloaded_twice": sum(1 for n in Counter(
            a for line, a in article_lines if (line, a) not in copies).values() if n > 1),
    }
    if copies:  # after the learning phase: from the last copy download on
        last = max(line.at for line, _ in copies)
        after = [(line, a) for line, a in article_lines if line.at > last]
        result["per_article_after_learning"] = (len(after) / len({a for _, a in after})
                                                if after else None)
    else:
        result["per_article_after_learning"] = result["per_article"]
    return result


class Session:
    def __init__(self, args: argparse.Namespace, nginx: Nginx, database: Database,
                 articles: set[str], sites_file: Path) -> None:
        self.args, self.nginx, self.database = args, nginx, database
        self.articles, self.sites_file = articles, sites_file
        self.logs = args.work / "logs"
        self.results: dict[str, dict[str, Any]] = {}

    def env(self, name: str, **extra: str) -> dict[str, str]:
        return scrapy_env(SITES_FILE=str(self.sites_file), MONGO_URI=self.database.uri,
                          MONGO_DATABASE=name, AUTOTHROTTLE_ENABLED="false", LOG_LEVEL="INFO",
                          ALLOW_PRIVATE_ADDRESSES="true", VAR_DIR=str(self.args.work / "var"),
                          CONCURRENT_REQUESTS=str(self.args.concurrency),
                          CONCURRENT_REQUESTS_PER_DOMAIN=str(self.args.concurrency),
                          **{"ARCHIVE_ENABLED": "false" if self.args.archive == "off" else "true",
                             **extra})

    def run(self, label: str, command: list[str], env: dict[str, str], cwd: Path,
            database: str | None) -> dict[str, Any]:
        offset = self.nginx.log_offset()
        database_cpu = self.database.cpu_seconds()
        child = run_child(command, env=env, cwd=cwd, log=self.logs / f"{label}.log",
                          timeout=self.args.timeout)
        time.sleep(0.1)  # nginx writes its log line after the response is sent
        result = measure(self.nginx.lines_since(offset), self.articles)
        result.update(wall=child.wall, cpu=child.cpu, returncode=child.returncode,
                      log=str(child.log))
        if database_cpu is not None:  # the embedded server's CPU during the run
            result["database_cpu"] = (self.database.cpu_seconds() or 0) - database_cpu
        if result["unique_articles"]:
            result["articles_per_s"] = result["unique_articles"] / child.wall
        if database is not None:
            result.update(self.stored(database))
        self.results[label] = result
        log(f"{label:<18} exit {child.returncode}: {child.wall:6.1f} s, CPU {child.cpu:.1f} s "
            f"(+ database {result.get('database_cpu', 0):.1f} s), "
            f"{result['article_downloads']} article downloads / {result['unique_articles']} "
            f"articles = {_ratio(result['per_article'])} (after learning "
            f"{_ratio(result['per_article_after_learning'])}), copies {result['copies']}, "
            f"stored {result.get('stored', '-')} (non-articles {result.get('non_articles', '-')})")
        if child.returncode != 0:
            print(child.log_tail(), file=sys.stderr)
        return result

    def stored(self, name: str) -> dict[str, int]:
        from crawler.storage.connection import connect

        database = connect(self.database.uri, name)
        try:
            paths = [urlsplit(d["url"]).path
                     for d in database["articles"].find({}, {"url": 1})]
        finally:
            database.client.close()
        return {"stored": len(paths),
                "non_articles": sum(1 for p in paths if article_of(p, self.articles) is None)}

    def bare(self, bare_cwd: Path) -> dict[str, Any]:
        command = [python(), "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
                   "-a", f"base={self.nginx.base_url}", "-a", f"sections={','.join(SECTIONS)}"]
        for key, value in {"CONCURRENT_REQUESTS": self.args.concurrency,
                           "CONCURRENT_REQUESTS_PER_DOMAIN": self.args.concurrency,
                           "ROBOTSTXT_OBEY": "True", "COOKIES_ENABLED": "False",
                           "TELNETCONSOLE_ENABLED": "False", "AUTOTHROTTLE_ENABLED": "False",
                           "LOG_LEVEL": "INFO"}.items():
            command += ["-s", f"{key}={value}"]
        return self.run("bare", command, scrapy_env(), bare_cwd, None)

    def news(self, label: str, name: str, *, profile: Path | None = None) -> dict[str, Any]:
        command = [python(), "-m", "scrapy", "crawl", "news", "-a", f"url={self.nginx.base_url}/",
                   "-a", "max_pages=100000", "-a", "sources=sections"]
        return self.run(label, _profiled(command, profile), self.env(name), ROOT, name)

    def catalogue(self, label: str, name: str, *, profile: Path | None = None,
                  **extra: str) -> dict[str, Any]:
        return self.run(label, _profiled([python(), "-m", "scrapy", "crawl", SITE_KEY], profile),
                        self.env(name, **extra), ROOT, name)

    def distributed(self, name: str, redis_url: str) -> dict[str, Any]:
        prefix = f"benchtraps-{uuid.uuid4().hex[:8]}"
        env = self.env(name, REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix,
                       SCHEDULER_IDLE_BEFORE_CLOSE="3", REDIS_WORKER_TIMEOUT="5")
        command = [python(), "-m", "scrapy", "crawl", SITE_KEY]
        offset = self.nginx.log_offset()
        started = time.perf_counter()
        workers = []
        for n in (1, 2):
            out = (self.logs / f"distributed-worker{n}.log").open("wb")
            workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT))
        codes = [w.wait(timeout=self.args.timeout) for w in workers]
        wall = time.perf_counter() - started
        time.sleep(0.1)
        result = measure(self.nginx.lines_since(offset), self.articles)
        result.update(wall=wall, returncodes=codes, **self.stored(name))
        self.results["distributed"] = result
        log(f"distributed (2 workers) exit {codes}: {wall:.1f} s, "
            f"{result['article_downloads']} article downloads / {result['unique_articles']} "
            f"articles, clean URLs downloaded twice: {result['clean_downloaded_twice']}, "
            f"copies {result['copies']}")
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
        return result


def _profiled(command: list[str], profile: Path | None) -> list[str]:
    """The command run under `py-spy record` into `profile`, if given."""
    if profile is None:
        return command
    spy = shutil.which("py-spy") or str(Path(python()).with_name("py-spy"))
    # --subprocesses: the reading worker's stacks too (the summary below reads the main thread's)
    return [spy, "record", "--idle", "--subprocesses", "--rate", "200", "--format", "raw",
            "-o", str(profile), "--", *command]


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def rounds(session: Session, bare_cwd: Path, database: Database, count: int) -> None:
    """Alternating rounds of the first runs; per-round and median throughput ratios."""
    ratios: dict[str, list[float]] = {"news": [], "catalogue": []}
    # CPU seconds of the crawl process against bare Scrapy's: the crawls are CPU-bound, and on
    # a shared machine this ratio moves far less than the wall-time one
    cpu_ratios: dict[str, list[float]] = {"news": [], "catalogue": []}
    walls: dict[str, list[float]] = {"bare": [], "news": [], "catalogue": []}
    runs = {
        "bare": lambda: session.bare(bare_cwd),
        "news": lambda: session.news("news-first", database.new_name("news")),
        "catalogue": lambda: session.catalogue("catalogue-first", database.new_name("catalogue")),
    }
    order = list(runs)
    for number in range(count):
        shift = number % len(order)
        results = {name: runs[name]() for name in order[shift:] + order[:shift]}
        bare_rate = results["bare"]["articles_per_s"]
        for name, result in results.items():
            walls[name].append(result["wall"])
            if name != "bare":
                ratios[name].append(result.get("articles_per_s", 0) / bare_rate)
                cpu_ratios[name].append(results["bare"]["cpu"] / result["cpu"])
        log(f"round {number + 1}: " + ", ".join(
            f"{name} {ratios[name][-1]:.2f}x (CPU {cpu_ratios[name][-1]:.2f}x)" for name in ratios)
            + f" (bare {results['bare']['wall']:.1f} s, {results['bare']['cpu']:.1f} CPU s)")
    for name, values in ratios.items():
        print(f"{name}: median {statistics.median(values):.2f}x bare Scrapy (per round: "
              f"{', '.join(f'{v:.2f}' for v in values)}); wall median "
              f"{statistics.median(walls[name]):.1f} s vs bare "
              f"{statistics.median(walls['bare']):.1f} s; bare CPU s / its CPU s: median "
              f"{statistics.median(cpu_ratios[name]):.2f} (per round: "
              f"{', '.join(f'{v:.2f}' for v in cpu_ratios[name])})")


def archive_rounds(session: Session, database: Database, count: int) -> None:
    """Rounds of the catalogue spider with the archive on and off (module docstring)."""
    rates: dict[str, list[float]] = {"on": [], "off": []}
    cpus: dict[str, list[float]] = {"on": [], "off": []}
    disk_per_1000: list[float] = []
    for number in range(count):
        order = ["on", "off"] if number % 2 == 0 else ["off", "on"]
        for mode in order:
            archive_dir = session.args.work / f"archive-{number}-{mode}"
            shutil.rmtree(archive_dir, ignore_errors=True)
            result = session.catalogue(f"catalogue-archive-{mode}", database.new_name(mode),
                                       ARCHIVE_ENABLED="true" if mode == "on" else "false",
                                       ARCHIVE_DIR=str(archive_dir))
            rates[mode].append(result.get("articles_per_s", 0))
            cpus[mode].append(result["cpu"])
            if mode == "on":
                size = sum(p.stat().st_size for p in archive_dir.glob("*.warc.gz"))
                disk_per_1000.append(size / max(result.get("stored", 0), 1) * 1000 / 1e6)
            shutil.rmtree(archive_dir, ignore_errors=True)
        log(f"round {number + 1}: archive on {rates['on'][-1]:.1f} articles/s, off "
            f"{rates['off'][-1]:.1f} = {rates['on'][-1] / rates['off'][-1]:.3f}; CPU on "
            f"{cpus['on'][-1]:.1f} s, off {cpus['off'][-1]:.1f} s; {disk_per_1000[-1]:.2f} MB "
            f"per 1,000 articles")
    ratios = [on / off for on, off in zip(rates["on"], rates["off"], strict=True)]
    print(f"archive: throughput on/off median {statistics.median(ratios):.3f} (per round: "
          f"{', '.join(f'{r:.3f}' for r in ratios)}); medians {statistics.median(rates['on']):.1f} "
          f"vs {statistics.median(rates['off']):.1f} articles/s; CPU s median "
          f"{statistics.median(cpus['on']):.1f} vs {statistics.median(cpus['off']):.1f}; disk "
          f"{statistics.median(disk_per_1000):.2f} MB per 1,000 articles")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true",
                        help="run the first news and catalogue crawls under py-spy "
                             "(pip install py-spy)")
    parser.add_argument("--distributed", action="store_true",
                        help="also two workers on one Redis (REDIS_URL)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="throughput only: this many alternating rounds of the first runs")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-traps")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--archive", choices=("on", "off", "both"), default="on",
                        help="the WARC archive (ARCHIVE_ENABLED) in the crawls; both, with "
                             "--rounds: its cost, rounds with it on and off")
    args = parser.parse_args()
    args.work = args.work.resolve()
    site = args.work / f"site-{args.articles}"
    if not (site / "manifest.json").exists():
        shutil.rmtree(site, ignore_errors=True)
        sitegen.generate(site, articles=args.articles, traps=True)
    articles = set(sitegen.article_paths(site))
    shutil.rmtree(args.work / "logs", ignore_errors=True)
    (args.work / "logs").mkdir(parents=True)
    bare_cwd = Path(tempfile.mkdtemp(prefix="newscrawl-bare-"))  # no scrapy.cfg above
    try:
        with Database(args.work / "db") as database, Nginx(site, args.work / "nginx") as nginx:
            sites_file = args.work / "sites.toml"
            # the article pattern has no `$`: every parameter copy of an article matches
            write_sites_file(sites_file, nginx.base_url, key=SITE_KEY,
                             name="TechActu with traps (synthetic)",
                             article_pattern=r"^/articles/[\w-]+")
            session = Session(args, nginx, database, articles, sites_file)
            log(f"{len(articles)} articles on {nginx.base_url}, concurrency {args.concurrency}")
            if args.rounds and args.archive == "both":
                archive_rounds(session, database, args.rounds)
                return 0
            if args.rounds:
                rounds(session, bare_cwd, database, args.rounds)
                return 0
            bare = session.bare(bare_cwd)
            news_db, catalogue_db = database.new_name("news"), database.new_name("catalogue")
            profile = args.work / "news.raw" if args.profile else None
            catalogue_profile = args.work / "catalogue.raw" if args.profile else None
            first = session.news("news-first", news_db, profile=profile)
            session.news("news-second", news_db)
            catalogue = session.catalogue("catalogue-first", catalogue_db,
                                          profile=catalogue_profile)
            session.catalogue("catalogue-second", catalogue_db)
            redis_url = os.environ.get("REDIS_URL")
            if args.distributed:
                if not redis_url:
                    raise BenchError("--distributed needs REDIS_URL")
                session.distributed(database.new_name("distributed"), redis_url)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(bare_cwd, ignore_errors=True)
    results = session.results
    for label, run in (("news", first), ("catalogue", catalogue)):
        second = results[f"{label}-second"]
        print(f"{label}: throughput {run.get('articles_per_s', 0) / bare['articles_per_s']:.2f}x "
              f"bare Scrapy ({run.get('articles_per_s', 0):.1f} vs {bare['articles_per_s']:.1f} "
              f"articles/s); second run {second['article_downloads']} article downloads in "
              f"{second['wall']:.1f} s = {second['wall'] / run['wall']:.0%} of the first run")
    (args.work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    for raw in (profile, catalogue_profile):
        if raw is not None and raw.exists():
            from bench.profile_crawl import summarise

            summary = summarise(raw)
            raw.with_suffix(".md").write_text(summary + "\n")
            print(f"{raw.stem}:\n{summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
