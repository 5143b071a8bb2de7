"""The benchmark: our full crawl against bare Scrapy on the same generated site, in one session.

    python bench/run.py                      # 5,000 articles, 3 rounds, sweep, micro-benchmarks
    python bench/run.py --write-docs         # the same, then docs/benchmarks.md and .png
    python bench/run.py --articles 300 --rounds 1 --sweep 4,16   # a quick check of the harness

Prerequisite: nginx (`apt-get install -y nginx`); nothing is installed by this script.

One session: generate the site (cached under var/bench/sites), start nginx and the database
server on 127.0.0.1 (the embedded nx-27017 unless --mongo-uri: a fresh one per round, started by
crawler/storage/embedded.py as the crawler starts it), then alternate, round after round, the bare
spider (bench/bare_spider.py, the ceiling) and our full crawl into a fresh database. After
each full crawl, the same crawl again on the unchanged site (second run) and after 1% new articles
(third run), and the full crawl with the store replaced by nothing (the database's share). Each
child is measured with wait4: wall time, CPU seconds (user + system), peak RSS; requests are
counted in nginx's access log. Medians over the rounds are reported, ratios are taken per round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from bench import sitegen
from bench.harness import (
    BENCH_SITE_KEY,
    ROOT,
    SECTIONS,
    BenchError,
    ChildRun,
    Database,
    LogLine,
    Nginx,
    pointing,
    python,
    run_child,
    scrapy_env,
    switch,
    write_sites_file,
)
from bench.report import DOCS, PLOT, _fmt, plot, print_summary, render


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- sites ---------------------------------------------------------------------------------------

def _generator_stamp() -> str:
    return hashlib.sha1((ROOT / "bench" / "sitegen.py").read_bytes()).hexdigest()[:12]


def prepared_site(folder: Path, articles: int, *, plus_percent: float | None = None,
                  base: Path | None = None) -> Path:
    """A generated site, reused when the generator and the size have not changed."""
    stamp = f"{_generator_stamp()}:{articles}:{plus_percent}"
    stamp_file = folder.with_name(folder.name + ".stamp")
    if folder.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    if base is None:
        sitegen.generate(folder, articles=articles)
    else:
        # A hard-linked copy: the generator replaces files by renaming, so `base` stays intact.
        shutil.copytree(base, folder, copy_function=os.link)
        sitegen.add_articles(folder, percent=plus_percent or 1.0)
    stamp_file.write_text(stamp)
    log(f"generated {folder.name} in {time.perf_counter() - started:.1f} s")
    return folder


def site_facts(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / "manifest.json").read_text())
    sizes = [p.stat().st_size for p in (folder / "articles").glob("*/index.html")]
    listing = [p.stat().st_size for s in SECTIONS for p in (folder / s).rglob("index.html")]
    return {"articles": len(manifest["articles"]), "listing_pages": manifest["listing_pages"],
            "article_kb_median": statistics.median(sizes) / 1024,
            "article_kb_min": min(sizes) / 1024, "article_kb_max": max(sizes) / 1024,
            "listing_kb_median": statistics.median(listing) / 1024,
            "total_mb": (sum(sizes) + sum(listing)) / 2**20}


# --- one measured crawl --------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, nginx: Nginx, sites_file: Path,
                 project: dict[str, Any]) -> None:
        self.args = args
        self.nginx = nginx
        self.database: Database | None = None  # the round's server, set by run_session
        self.sites_file = sites_file
        self.project = project
        self.logs = args.work / "logs"
        self.runs: list[dict[str, Any]] = []
        self.bare_cwd = Path(tempfile.mkdtemp(prefix="newscrawl-bare-"))  # no scrapy.cfg above

    def concurrency_settings(self, concurrency: int | None) -> dict[str, str]:
        if concurrency is None:
            return {"CONCURRENT_REQUESTS": str(self.project["CONCURRENT_REQUESTS"]),
                    "CONCURRENT_REQUESTS_PER_DOMAIN":
                        str(self.project["CONCURRENT_REQUESTS_PER_DOMAIN"])}
        return {"CONCURRENT_REQUESTS": str(concurrency),
                "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency)}

    def bare(self, label: str, *, concurrency: int | None = None,
             kind: str = "bare") -> dict[str, Any]:
        settings = {**self.concurrency_settings(concurrency),
                    "ROBOTSTXT_OBEY": str(self.project["ROBOTSTXT_OBEY"]),
                    "COOKIES_ENABLED": "False", "TELNETCONSOLE_ENABLED": "False",
                    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO",
                    "USER_AGENT": str(self.project["USER_AGENT"])}
        command = [python(), "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
                   "-a", f"base={self.nginx.base_url}", "-a", f"sections={','.join(SECTIONS)}"]
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        return self._measure(kind, label, command, scrapy_env(), self.bare_cwd,
                             concurrency=concurrency)

    def full(self, kind: str, label: str, database: str, *, concurrency: int | None = None,
             null_store: bool = False) -> dict[str, Any]:
        server = self.database
        assert server is not None
        env = scrapy_env(SITES_FILE=str(self.sites_file), MONGO_URI=server.uri,
                         MONGO_DATABASE=database, AUTOTHROTTLE_ENABLED="false", LOG_LEVEL="INFO",
                         ALLOW_PRIVATE_ADDRESSES="true",  # the bench site is on 127.0.0.1
                         VAR_DIR=str(self.args.work / "var"),
                         **self.concurrency_settings(concurrency))
        command = [python(), "-m", "scrapy", "crawl", BENCH_SITE_KEY]
        if null_store:
            pipelines = {k: v for k, v in self.project["ITEM_PIPELINES"].items()
                         if not k.endswith(".StorePipeline")}
            command += ["-s", f"ITEM_PIPELINES={json.dumps(pipelines)}"]
        before = server.count(database) if not null_store else 0
        db_cpu = server.cpu_seconds()
        result = self._measure(kind, label, command, env, ROOT, concurrency=concurrency)
        if not null_store:
            result["stored_new"] = server.count(database) - before
        after_cpu = server.cpu_seconds()
        if db_cpu is not None and after_cpu is not None:
            result["db_cpu"] = after_cpu - db_cpu
        return result

    def _measure(self, kind: str, label: str, command: list[str], env: dict[str, str], cwd: Path,
                 *, concurrency: int | None) -> dict[str, Any]:
        offset = self.nginx.log_offset()
        log_file = self.logs / f"{len(self.runs):03d}-{kind}-{label}.log"
        child = run_child(command, env=env, cwd=cwd, log=log_file, timeout=self.args.timeout)
        time.sleep(0.05)  # nginx writes its log line after the response is sent
        lines = self.nginx.lines_since(offset)
        result = summarise(kind, label, child, lines, concurrency)
        self.runs.append(result)
        status = "ok" if child.returncode == 0 else f"FAILED (exit {child.returncode})"
        log(f"{kind:<6} {label:<16} {status}: {result['wall']:.1f} s, "
            f"{result['article_pages']} article pages, {result['requests']} requests, "
            f"{_fmt(result['articles_per_s'], 1)} articles/s, CPU {result['cpu']:.1f} s, "
            f"RSS {result['maxrss_mb']:.0f} MB, first request after {_fmt(result['cold_start'], 2)} s")
        if child.returncode != 0:
            print(child.log_tail(), file=sys.stderr)
        return result


def summarise(kind: str, label: str, child: ChildRun, lines: Sequence[LogLine],
              concurrency: int | None) -> dict[str, Any]:
    articles = [line for line in lines if line.is_article and line.status == 200]
    first = min((line.at for line in lines), default=None)
    return {
        "kind": kind, "label": label, "concurrency": concurrency,
        "returncode": child.returncode, "wall": child.wall, "cpu": child.cpu,
        "maxrss_mb": child.maxrss_mb, "requests": len(lines), "article_pages": len(articles),
        "listing_pages": sum(1 for line in lines if not line.is_article
                             and line.path != "/robots.txt"),
        "bytes": sum(line.size for line in lines),
        "articles_per_s": len(articles) / child.wall if articles else None,
        "cpu_per_article": child.cpu / len(articles) if articles else None,
        "cold_start": first - child.started if first is not None else None,
        "items": child.stat("item_scraped_count"), "log": str(child.log),
        "command": " ".join(shlex.quote(part) for part in child.command),
    }


# --- the session ---------------------------------------------------------------------------------

def project_settings() -> dict[str, Any]:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return {"CONCURRENT_REQUESTS": settings.getint("CONCURRENT_REQUESTS"),
            "CONCURRENT_REQUESTS_PER_DOMAIN": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            "CONCURRENT_ITEMS": settings.getint("CONCURRENT_ITEMS"),
            "ROBOTSTXT_OBEY": settings.getbool("ROBOTSTXT_OBEY"),
            "USER_AGENT": settings.get("USER_AGENT"),
            "ITEM_PIPELINES": dict(settings.getdict("ITEM_PIPELINES"))}


def run_session(args: argparse.Namespace) -> dict[str, Any]:
    from bench.harness import nginx_binary

    nginx_binary()  # fail before generating anything
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    sites = work / "sites"
    sites.mkdir(exist_ok=True)
    base = prepared_site(sites / f"site-{args.articles}", args.articles)
    plus = prepared_site(sites / f"site-{args.articles}-plus1", args.articles, plus_percent=1.0,
                         base=base)
    sweep_site = (prepared_site(sites / f"site-{args.sweep_articles}", args.sweep_articles)
                  if args.sweep else None)
    serve = work / "serve"
    switch(serve, base)
    project = project_settings()
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": args.command_line, "args": {k: str(v) for k, v in vars(args).items()},
        "site": site_facts(base), "project": {k: v for k, v in project.items()
                                              if k != "USER_AGENT"},
    }
    shutil.rmtree(work / "logs", ignore_errors=True)
    shutil.rmtree(work / "db", ignore_errors=True)
    shutil.rmtree(work / "db-patched", ignore_errors=True)  # the first session's experiment
    results["load_before"] = os.getloadavg()

    def server(label: str) -> Database:
        """A fresh database server (its data folder emptied) unless --mongo-uri."""
        return Database(work / "db" / label, args.mongo_uri)

    with Nginx(serve, work / "nginx", workers=args.nginx_workers) as nginx:
        results["database"] = server("-").kind
        results["nginx"] = nginx_version()
        sites_file = write_sites_file(work / "sites.toml", nginx.base_url)
        bench = Bench(args, nginx, sites_file, project)
        log(f"nginx on {nginx.base_url} serving {base}; database {results['database']}")
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}")
            with server(f"r{number}") as database:
                bench.database = database
                name = database.new_name(f"r{number}")
                steps: list[Callable[[], Any]] = [
                    lambda number=number: bench.bare(f"round{number}"),
                    lambda number=number, name=name: full_round(bench, number, name, plus),
                ]
                for step in steps if number % 2 else reversed(steps):
                    step()
                null_name = database.new_name(f"null{number}")
                bench.full("null", f"round{number}", null_name, null_store=True)
                for dropped in (name, null_name):
                    database.drop(dropped)
        if sweep_site is not None:
            with pointing(serve, sweep_site):
                for concurrency in args.sweep:
                    for number in range(1, args.sweep_rounds + 1):
                        with server(f"c{concurrency}-{number}") as database:
                            bench.database = database
                            name = database.new_name(f"c{concurrency}")
                            pair: list[Callable[[], Any]] = [
                                lambda c=concurrency, n=number: bench.bare(
                                    f"c{c}-{n}", concurrency=c, kind="sweep_bare"),
                                lambda c=concurrency, n=number, name=name: bench.full(
                                    "sweep_full", f"c{c}-{n}", name, concurrency=c),
                            ]
                            for step in pair if number % 2 else reversed(pair):
                                step()
                            database.drop(name)
            results["sweep_site"] = site_facts(sweep_site)
        results["runs"] = bench.runs
        shutil.rmtree(bench.bare_cwd, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    if not args.no_micro:
        results["micro"] = micro_benchmarks(base, sites_file)
    results["machine"] = machine()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return results


def full_round(bench: Bench, number: int, name: str, plus: Path) -> None:
    first = bench.full("first", f"round{number}", name)
    if first["returncode"] != 0:
        return
    bench.full("second", f"round{number}", name)
    with pointing(bench.nginx.root, plus):
        bench.full("third", f"round{number}", name)


# --- micro-benchmarks ----------------------------------------------------------------------------

def _median_us(call: Callable[[], object], *, batch: int, batches: int) -> float:
    for _ in range(3):
        call()
    timings = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(batch):
            call()
        timings.append((time.perf_counter_ns() - start) / batch)
    return statistics.median(timings) / 1000


def micro_benchmarks(site: Path, sites_file: Path) -> dict[str, Any]:
    from urllib.parse import urljoin

    from scrapy.http import HtmlResponse
    from w3lib.html import replace_entities

    from crawler.catalogue.sites import load_catalogue
    from crawler.links.urls import _canonical, canonical_url
    from crawler.reading.listing import SectionPage

    log("micro-benchmarks")
    base = "http://127.0.0.1:8080"
    listing = site / SECTIONS[0] / "index.html"
    body = listing.read_bytes()
    hrefs = re.findall(r'href="([^"]+)"', body.decode())
    urls = [urljoin(f"{base}/{SECTIONS[0]}/", replace_entities(h)) for h in hrefs]
    article_urls = [u for u in urls if "/articles/" in u]
    tracked = [u for u in article_urls if "?" in u]
    results: dict[str, Any] = {}

    def cycle(values: Sequence[str]) -> Callable[[], object]:
        state = {"i": 0}

        def call() -> object:
            state["i"] = (state["i"] + 1) % len(values)
            return canonical_url(values[state["i"]])
        return call

    uncached = getattr(_canonical, "__wrapped__", _canonical)  # behind canonical_url's cache

    def cold(values: Sequence[str]) -> Callable[[], object]:
        state = {"i": 0}

        def call() -> object:
            state["i"] = (state["i"] + 1) % len(values)
            return uncached(values[state["i"]])
        return call

    results["canonical_url_us"] = {
        "every link of a listing page, uncached (first sight of a URL)": _median_us(
            cold(urls), batch=len(urls), batches=200),
        "every link of a listing page": _median_us(cycle(urls), batch=len(urls), batches=200),
        "article link with tracking parameters": _median_us(cycle(tracked), batch=100,
                                                            batches=200),
        "article link, already canonical": _median_us(
            cycle([u for u in article_urls if "?" not in u and "#" not in u]), batch=100,
            batches=200),
    }
    results["links_per_listing_page"] = len(urls)
    site_entry = load_catalogue([sites_file])[BENCH_SITE_KEY]
    url = f"{base}/{SECTIONS[0]}/"

    def ours() -> object:
        response = HtmlResponse(url, body=body, encoding="utf-8")
        return SectionPage(url, response, site_entry).links()

    def bare() -> object:
        response = HtmlResponse(url, body=body, encoding="utf-8")
        links = [response.urljoin(h).split("#", 1)[0].split("?", 1)[0]
                 for h in response.xpath("//a/@href").getall()]
        return links, response.css("link[rel=next]::attr(href)").get()

    results["listing_page_ms"] = {
        "SectionPage.links() (ours)": _median_us(ours, batch=5, batches=60) / 1000,
        "bare spider's link loop": _median_us(bare, batch=5, batches=60) / 1000,
    }
    from crawler.extract.language import detect_language
    from crawler.extract.page import ArticlePage

    texts = [ArticlePage(f"{base}/articles/{p.parent.name}", p.read_text()).body
             for p in sorted((site / "articles").glob("*/index.html"))[:60]]
    results["detect_language_ms"] = _median_us(
        lambda: [detect_language(t) for t in texts], batch=1, batches=30) / 1000 / len(texts)
    results["siblings"] = {}
    for script in ("bench_dates.py", "bench_extract.py"):
        path = ROOT / "bench" / script
        if not path.exists():
            results["siblings"][script] = None
            continue
        log(f"running bench/{script}")
        try:
            proc = subprocess.run([python(), str(path)], cwd=ROOT, capture_output=True,
                                  text=True, timeout=900, env=scrapy_env())
            output = proc.stdout.strip() + (f"\n(exit {proc.returncode})\n{proc.stderr[-2000:]}"
                                            if proc.returncode else "")
        except subprocess.TimeoutExpired:
            output = "(timed out after 900 s)"
        results["siblings"][script] = output
    return results


# --- machine -------------------------------------------------------------------------------------

def nginx_version() -> str:
    from bench.harness import nginx_binary

    proc = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True)
    return (proc.stderr or proc.stdout).strip().replace("nginx version: ", "")


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    os_name = "Linux"
    if Path("/etc/os-release").exists():
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)', Path("/etc/os-release").read_text(), re.M)
        os_name = found[1] if found else os_name
    versions = {}
    for package in ("scrapy", "twisted", "lxml", "parsel", "pymongo", "nx-27017", "dateparser"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # a missing package is reported, not fatal
            versions[package] = "?"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model[1].strip() if model else platform.processor(),
        "memory": f"{int(memory[1]) / 2**20:.1f} GiB" if memory else "?",
        "os": f"{os_name}, kernel {platform.release()}",
        "python": platform.python_version(),
        **versions,
        "nginx": nginx_version(),
    }


# --- report --------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles of the site (5000)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (3)")
    parser.add_argument("--sweep", default="4,8,16,32",
                        help="concurrency values for the sweep, comma-separated; '' for none")
    parser.add_argument("--sweep-articles", type=int, default=1000,
                        help="articles of the sweep's site (1000)")
    parser.add_argument("--sweep-rounds", type=int, default=1)
    parser.add_argument("--no-micro", action="store_true", help="skip the micro-benchmarks")
    parser.add_argument("--mongo-uri", default=None,
                        help="write to this MongoDB instead of an embedded nx-27017 started here")
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench",
                        help="generated sites, logs and results (var/bench)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per crawl (1200)")
    parser.add_argument("--write-docs", action="store_true",
                        help="write docs/benchmarks.md and docs/benchmarks.png")
    parser.add_argument("--docs-from", type=Path, default=None,
                        help="only rewrite the docs from a results.json of an earlier run")
    args = parser.parse_args(argv)
    args.sweep = [int(v) for v in str(args.sweep).split(",") if v.strip()]
    args.work = args.work.resolve()
    shown = ["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]
    args.command_line = " ".join(shlex.quote(part) for part in shown)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.docs_from:
        results = json.loads(args.docs_from.read_text())
    else:
        try:
            results = run_session(args)
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2
        (args.work / "results.json").write_text(json.dumps(results, indent=1))
    print_summary(results)
    if args.write_docs or args.docs_from:
        DOCS.write_text(render(results))
        wrote = [DOCS]
        if plot(results, PLOT):
            wrote.append(PLOT)
        log("wrote " + ", ".join(str(p.relative_to(ROOT)) for p in wrote))
    return 0


if __name__ == "__main__":
    sys.exit(main())
