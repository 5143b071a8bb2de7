"""The benchmark: our full crawl against bare Scrapy on the same generated site, in one session.

    python bench/run.py                      # 5,000 articles, 3 rounds, sweep, micro-benchmarks
    python bench/run.py --write-docs         # the same, then docs/benchmarks.md and .png
    python bench/run.py --articles 300 --rounds 1 --sweep 4,16   # a quick check of the harness

Prerequisite: nginx (`apt-get install -y nginx`); nothing is installed by this script.

One session: generate the site (cached under var/bench/sites), start nginx and the database
server on 127.0.0.1 (the embedded nx-27017 unless --mongo-uri: a fresh one per round, started by
crawler/embedded.py as the crawler starts it), then alternate, round after round, the bare
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

DOCS = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"

FLOOR_RATIO = 0.35
FLOOR_SECOND_RATIO = 0.05
FLOOR_RSS_MB = 300
FLOOR_COLD_START = 3.0
FLOOR_DATE_ISO_US = 20
FLOOR_DATE_FRENCH_US = 500
NOTES = ROOT / "bench" / "optimisations.md"

# The first session's medians (docs/benchmarks.md at commit 42a5891, 2026-11-27, same machine,
# 5,000 articles, 3 rounds), before the changes described in bench/optimisations.md.
BEFORE: dict[str, float] = {
    "bare": 162.6, "first": 17.2, "null": 95.1, "ratio": 0.11, "null_ratio": 0.58,
    "first_cpu_per_article": 0.0113, "db_cpu": 228.8, "first_wall": 290.5, "full_rss": 115,
    "second_ratio": 0.015, "sweep16_full": 38.9, "sweep16_ratio": 0.24,
    "listing_ms": 16.54, "detect_language_ms": 0.87,
}


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

    from crawler.pages import SectionPage
    from crawler.sites import load_catalogue
    from crawler.urls import _canonical, canonical_url

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

def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _runs(results: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in results["runs"] if r["kind"] == kind]


def _by_round(results: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["label"]: r for r in _runs(results, kind)}


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The medians and per-round ratios the floors are judged on."""
    bare, first = _by_round(results, "bare"), _by_round(results, "first")
    second, third = _by_round(results, "second"), _by_round(results, "third")
    null = _by_round(results, "null")
    ratios, null_ratios, second_ratios = [], [], []
    for label, run in first.items():
        if label in bare and run["articles_per_s"] and bare[label]["articles_per_s"]:
            ratios.append(run["articles_per_s"] / bare[label]["articles_per_s"])
        if label in second and run["returncode"] == 0:
            second_ratios.append(second[label]["wall"] / run["wall"])
    for label, run in null.items():
        if label in bare and run["articles_per_s"] and bare[label]["articles_per_s"]:
            null_ratios.append(run["articles_per_s"] / bare[label]["articles_per_s"])
    return {
        "ratio": _median(ratios), "ratios": ratios,
        "null_ratio": _median(null_ratios), "null_ratios": null_ratios,
        "second_ratio": _median(second_ratios), "second_ratios": second_ratios,
        "second_article_pages": _median([r["article_pages"] for r in second.values()]),
        "third_article_pages": _median([r["article_pages"] for r in third.values()]),
        "full_rss": _median([r["maxrss_mb"] for r in first.values()]),
        "cold_start": _median([r["cold_start"] for r in first.values()]),
        "bare_cold_start": _median([r["cold_start"] for r in bare.values()]),
    }


def render(results: dict[str, Any]) -> str:
    h = headline(results)
    machine_info, site = results["machine"], results["site"]
    out = ["# Benchmarks", "",
           "Written by `bench/run.py --write-docs` (`make bench`); do not edit by hand. Method and "
           "how to read the figures: the last section.", "",
           f"Run {results['started']} → {results['finished']} (UTC).", "",
           "## Command", "", "```", "apt-get install -y nginx   # once, as root: the benchmark "
           "installs nothing", results["command"], "```", "",
           "## Machine", "", "| | |", "|---|---|"]
    for key in ("nproc", "cpu", "memory", "os", "python", "scrapy", "twisted", "lxml", "parsel",
                "pymongo", "nx-27017", "dateparser", "nginx"):
        out.append(f"| {key} | {machine_info.get(key, '?')} |")
    out.append(f"| database server | {results['database']} |")
    if "load_before" in results:
        load = ", ".join(f"{v:.2f}" for v in results["load_before"])
        out.append(f"| load average (1, 5, 15 min) at start | {load} |")
        load = ", ".join(f"{v:.2f}" for v in results["load_after"])
        out.append(f"| load average at end | {load} |")
    bare_rates = [r["articles_per_s"] for r in _runs(results, "bare") if r["articles_per_s"]]
    if len(bare_rates) > 1:
        out += ["", f"Other processes shared the machine: bare Scrapy's throughput ranged "
                f"{min(bare_rates):.0f}-{max(bare_rates):.0f} articles/s over the rounds, which "
                "is why every ratio is taken within a round and the rounds alternate which crawl "
                "goes first."]
    project = results["project"]
    out += ["", "## Site", "",
            f"Generated by `bench/sitegen.py`: {site['articles']:,} articles in {len(SECTIONS)} "
            f"sections, {site['listing_pages']} listing pages of {sitegen.PER_PAGE} articles "
            f"(rel=next pagination), served by {results['nginx']} on 127.0.0.1. Article "
            f"pages {site['article_kb_min']:.0f}-{site['article_kb_max']:.0f} KB (median "
            f"{site['article_kb_median']:.0f} KB), listing pages median "
            f"{site['listing_kb_median']:.0f} KB, {site['total_mb']:.0f} MB in all. Each article "
            "is linked 3-4 times per listing page (tracking parameters, #comments) plus the "
            "sidebar's most-read links.", "",
            f"Concurrency (project defaults, both spiders): CONCURRENT_REQUESTS="
            f"{project['CONCURRENT_REQUESTS']}, CONCURRENT_REQUESTS_PER_DOMAIN="
            f"{project['CONCURRENT_REQUESTS_PER_DOMAIN']}; AutoThrottle off, no download delay, "
            "robots.txt obeyed.", ""]

    out += ["## Full crawl against bare Scrapy (medians over rounds)", "",
            "| crawl | articles/s | CPU s / article | peak RSS MB | wall s | article pages "
            "| requests |", "|---|---:|---:|---:|---:|---:|---:|"]
    names = {"bare": "bare Scrapy (ceiling)", "first": "full crawl, database writes",
             "null": "full crawl, no-op store"}
    for kind, title in names.items():
        runs = _runs(results, kind)
        if not runs:
            continue
        out.append(
            f"| {title} | {_fmt(_median([r['articles_per_s'] for r in runs]), 1)} | "
            f"{_fmt(_median([r['cpu_per_article'] for r in runs]), 4)} | "
            f"{_fmt(_median([r['maxrss_mb'] for r in runs]), 0)} | "
            f"{_fmt(_median([r['wall'] for r in runs]), 1)} | "
            f"{_fmt(_median([r['article_pages'] for r in runs]), 0)} | "
            f"{_fmt(_median([r['requests'] for r in runs]), 0)} |")
    db_cpu = _median([r.get("db_cpu") for r in _runs(results, "first")])
    stored = _median([r.get("stored_new") for r in _runs(results, "first")])
    out += ["", f"Ratio full/bare throughput: **{_fmt(h['ratio'])}** (per round: "
            f"{', '.join(_fmt(r) for r in h['ratios']) or 'n/a'}); with the store replaced by "
            f"nothing: **{_fmt(h['null_ratio'])}** (per round: "
            f"{', '.join(_fmt(r) for r in h['null_ratios']) or 'n/a'}).", "",
            f"Articles stored by the first run: {_fmt(stored, 0)}. CPU used by the database server "
            f"during it: {_fmt(db_cpu, 1)} s (not included in the crawl's CPU seconds above).", ""]
    out += ["## Incremental runs (same database, medians)", "",
            "| run | wall s | requests | article pages downloaded | listing pages | new articles "
            "stored |", "|---|---:|---:|---:|---:|---:|"]
    for kind, title in (("first", "first run (empty database)"),
                        ("second", "second run, unchanged site"),
                        ("third", "third run, after +1% articles")):
        runs = _runs(results, kind)
        if not runs:
            continue
        out.append(f"| {title} | {_fmt(_median([r['wall'] for r in runs]), 1)} | "
                   f"{_fmt(_median([r['requests'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r['article_pages'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r['listing_pages'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r.get('stored_new') for r in runs]), 0)} |")
    out += ["", f"Second run wall time / first: {_fmt(h['second_ratio'], 3)} (per round: "
            f"{', '.join(_fmt(r, 3) for r in h['second_ratios']) or 'n/a'}).", ""]

    out += ["## Floors (issue 9)", "", "| measure | floor | measured | |", "|---|---|---|---|"]

    def floor(label: str, limit: str, value: float | None, ok: Callable[[float], bool],
              digits: int = 2, suffix: str = "") -> None:
        verdict = "n/a" if value is None else ("pass" if ok(value) else "**FAIL**")
        out.append(f"| {label} | {limit} | {_fmt(value, digits, suffix)} | {verdict} |")

    floor(f"full/bare throughput ({site['articles']:,} articles, database writes)",
          f">= {FLOOR_RATIO}", h["ratio"], lambda v: v >= FLOOR_RATIO)
    floor("second run, unchanged site: article pages downloaded", "0",
          h["second_article_pages"], lambda v: v == 0, 0)
    floor("second run wall time / first run wall time", f"<= {FLOOR_SECOND_RATIO}",
          h["second_ratio"], lambda v: v <= FLOOR_SECOND_RATIO, 3)
    floor(f"peak RSS of the full crawl of {site['articles']:,} articles", f"<= {FLOOR_RSS_MB} MB",
          h["full_rss"], lambda v: v <= FLOOR_RSS_MB, 0, " MB")
    floor("cold start of `scrapy crawl` to first request", f"< {FLOOR_COLD_START} s",
          h["cold_start"], lambda v: v < FLOOR_COLD_START, 2, " s")
    dates = date_medians(results)
    floor("date normalisation, ISO 8601 string", f"<= {FLOOR_DATE_ISO_US} µs median",
          dates.get("ISO 8601 with offset"), lambda v: v <= FLOOR_DATE_ISO_US, 1, " µs")
    floor("date normalisation, French free text with a label (warm)",
          f"<= {FLOOR_DATE_FRENCH_US} µs median", dates.get("labelled French, cached"),
          lambda v: v <= FLOOR_DATE_FRENCH_US, 1, " µs")
    out += ["", f"Cold start is the time from creating the `scrapy crawl` process to nginx "
            f"logging its first request (robots.txt); bare Scrapy's (`runspider`, no project): "
            f"{_fmt(h['bare_cold_start'], 2)} s. The date figures are `bench/bench_dates.py`'s "
            "(micro-benchmarks below); the floors on full/bare throughput and on RSS are judged "
            "on the full crawl with database writes.", ""]
    out += optimisations(results, h)

    sweep = [r for r in results["runs"] if r["concurrency"] is not None]
    if sweep:
        facts = results.get("sweep_site", {})
        out += ["## Concurrency sweep", "",
                f"Articles/s against CONCURRENT_REQUESTS (= CONCURRENT_REQUESTS_PER_DOMAIN) on a "
                f"generated site of {facts.get('articles', '?'):,} articles, full crawl with "
                "database writes, medians.", "", "![articles per second against concurrency]"
                "(benchmarks.png)", "",
                "| concurrency | bare articles/s | full articles/s | ratio | bare CPU s/article | "
                "full CPU s/article | full peak RSS MB |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for concurrency, bare_rate, full_rate in sweep_series(results):
            b = [r for r in sweep if r["kind"] == "sweep_bare" and r["concurrency"] == concurrency]
            f = [r for r in sweep if r["kind"] == "sweep_full" and r["concurrency"] == concurrency]
            ratio = full_rate / bare_rate if full_rate and bare_rate else None
            out.append(f"| {concurrency} | {_fmt(bare_rate, 1)} | {_fmt(full_rate, 1)} | "
                       f"{_fmt(ratio)} | {_fmt(_median([r['cpu_per_article'] for r in b]), 4)} | "
                       f"{_fmt(_median([r['cpu_per_article'] for r in f]), 4)} | "
                       f"{_fmt(_median([r['maxrss_mb'] for r in f]), 0)} |")
        out.append("")

    micro = results.get("micro")
    if micro:
        out += ["## Micro-benchmarks", "", "| what | median |", "|---|---:|"]
        for label, value in micro["canonical_url_us"].items():
            out.append(f"| `canonical_url`, {label} | {value:.1f} µs / URL |")
        out += ["", "`canonical_url` keeps an LRU cache: a crawl sees most URLs again (navigation, "
                "footer, most-read links on every listing page), so the cached figures are the "
                "common case and the uncached one is the cost of a new URL.", "",
                "| what | median |", "|---|---:|"]
        for label, value in micro["listing_page_ms"].items():
            out.append(f"| listing page ({micro['links_per_listing_page']} links), {label} | "
                       f"{value:.2f} ms / page |")
        if "detect_language_ms" in micro:
            out.append(f"| `detect_language`, article text (60 articles) | "
                       f"{micro['detect_language_ms']:.2f} ms / article |")
        out.append("")
        for script, output in micro["siblings"].items():
            out += [f"`python bench/{script}`:", ""]
            out += ["```", output, "```", ""] if output else ["(not present in this run)", ""]

    profile = ROOT / "var" / "bench" / "profile" / "summary.md"
    if profile.exists():
        out += ["## Profile of the full crawl", "", profile.read_text().strip(), ""]

    out += ["## Per run", "", "| run | crawl | exit | wall s | CPU s | peak RSS MB | article pages "
            "| requests | articles/s | first request s |", "|---|---|---:|---:|---:|---:|---:|---:|"
            "---:|---:|"]
    for r in results["runs"]:
        out.append(f"| {r['label']} | {r['kind']} | {r['returncode']} | {r['wall']:.1f} | "
                   f"{r['cpu']:.1f} | {r['maxrss_mb']:.0f} | {r['article_pages']} | "
                   f"{r['requests']} | {_fmt(r['articles_per_s'], 1)} | "
                   f"{_fmt(r['cold_start'], 2)} |")
    out += ["", "## Method", "",
            "- One session: nginx (1 worker) runs on 127.0.0.1 for the whole run; the site is "
            "generated once and cached under `var/bench/sites`. The embedded database server is "
            "started fresh (empty data folder) for each round and each sweep point, the way the "
            "crawler starts it (`crawler.embedded.EmbeddedServer`, `python -m crawler.embedded "
            "serve`), on 127.0.0.1.",
            "- Each round runs the bare spider and our full crawl (alternating which goes first), "
            "then on the same database the second run (unchanged site) and the third (the site "
            "with 1% new articles, newest first, so every listing page shifts), then the full "
            "crawl again with `-s ITEM_PIPELINES=...` minus `StorePipeline` (no-op store) into an "
            "empty database. Each full crawl starts from a fresh database.",
            "- The bare spider (`bench/bare_spider.py`) runs with `scrapy runspider` outside the "
            "project (Scrapy's defaults, no pipelines) and the same concurrency, robots.txt and "
            "user agent; it follows the same section, next-page and article links and yields "
            "only URLs.",
            "- Articles/s = article pages nginx served with 200 during the run / the run's wall "
            "time, process start to exit. CPU s = user + system time of the crawl process "
            "(`wait4` rusage); the database server's CPU is reported separately. Peak RSS = "
            "`ru_maxrss` of the crawl process.",
            "- Ratios are taken per round, then the median of the ratios is reported.",
            "- The crawl's own log of each run is kept in `var/bench/logs/`, the raw figures in "
            "`var/bench/results.json`; `python bench/run.py --docs-from var/bench/results.json` "
            "rewrites this page from them.",
            ""]
    return "\n".join(out)


def date_medians(results: dict[str, Any]) -> dict[str, float]:
    """`bench/bench_dates.py`'s medians by label, in µs (its output: label, value, µs)."""
    output = (results.get("micro") or {}).get("siblings", {}).get("bench_dates.py") or ""
    return {m[1].strip(): float(m[2]) for m in re.finditer(r"^(.+?)\s+([\d.]+) µs$", output, re.M)}


def optimisations(results: dict[str, Any], h: dict[str, Any]) -> list[str]:
    """Before (the first session, BEFORE) and after (this run), then bench/optimisations.md."""
    first, null = _runs(results, "first"), _runs(results, "null")
    sweep16 = {c: (b, f) for c, b, f in sweep_series(results)}.get(16, (None, None))
    micro = results.get("micro") or {}
    listing = micro.get("listing_page_ms", {}).get("SectionPage.links() (ours)")
    rows = [
        ("bare Scrapy, articles/s", "bare", _median([r["articles_per_s"]
                                                    for r in _runs(results, "bare")]), 1),
        ("full crawl with database writes, articles/s", "first",
         _median([r["articles_per_s"] for r in first]), 1),
        ("full crawl, no-op store, articles/s", "null",
         _median([r["articles_per_s"] for r in null]), 1),
        ("**full/bare throughput, database writes** (floor 0.35)", "ratio", h["ratio"], 2),
        ("full/bare throughput, no-op store", "null_ratio", h["null_ratio"], 2),
        ("full crawl, CPU s / article (crawl process)", "first_cpu_per_article",
         _median([r["cpu_per_article"] for r in first]), 4),
        ("database server CPU during the first run, s", "db_cpu",
         _median([r.get("db_cpu") for r in first]), 1),
        ("first run wall time, s", "first_wall", _median([r["wall"] for r in first]), 1),
        ("peak RSS of the full crawl, MB", "full_rss", h["full_rss"], 0),
        ("second run wall / first run wall", "second_ratio", h["second_ratio"], 3),
        ("sweep, 1,000 articles, concurrency 16: full articles/s", "sweep16_full",
         sweep16[1], 1),
        ("sweep, concurrency 16: full/bare", "sweep16_ratio",
         sweep16[1] / sweep16[0] if sweep16[0] and sweep16[1] else None, 2),
        ("SectionPage.links() per listing page, ms", "listing_ms", listing, 2),
        ("detect_language per article, ms", "detect_language_ms",
         micro.get("detect_language_ms"), 2),
    ]
    out = ["## Optimisations", "",
           "Before: the first session (commit 42a5891, same machine and command, medians of 3 "
           "rounds). After: this run.", "", "| measure | before | after |", "|---|---:|---:|"]
    for label, key, after, digits in rows:
        out.append(f"| {label} | {_fmt(BEFORE[key], digits)} | {_fmt(after, digits)} |")
    out.append("")
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    return out


def sweep_series(results: dict[str, Any]) -> list[tuple[int, float | None, float | None]]:
    sweep = [r for r in results["runs"] if r["concurrency"] is not None]
    series = []
    for concurrency in sorted({r["concurrency"] for r in sweep}):
        bare = _median([r["articles_per_s"] for r in sweep
                        if r["kind"] == "sweep_bare" and r["concurrency"] == concurrency])
        full = _median([r["articles_per_s"] for r in sweep
                        if r["kind"] == "sweep_full" and r["concurrency"] == concurrency])
        series.append((concurrency, bare, full))
    return series


def plot(results: dict[str, Any], path: Path) -> bool:
    series = sweep_series(results)
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    xs = [c for c, _, _ in series]
    for index, (label, marker) in enumerate((("bare Scrapy (ceiling)", "o"),
                                             ("full crawl, database writes", "s"))):
        points = [(c, values[index]) for c, *values in series if values[index] is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("CONCURRENT_REQUESTS (= per domain)")
    ax.set_ylabel("articles / second")
    facts = results.get("sweep_site", {})
    ax.set_title(f"newscrawl vs bare Scrapy, {facts.get('articles', '?')} articles, "
                 f"{results['machine']['nproc']} CPUs")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def print_summary(results: dict[str, Any]) -> None:
    text = render(results)
    start = text.index("## Full crawl")
    end = text.index("## Per run")
    print(text[start:end])


# --- main ----------------------------------------------------------------------------------------

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
