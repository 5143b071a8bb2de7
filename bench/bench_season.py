"""A simulated day of cron runs, today's code (a git ref) against this tree (issue 23's figures).

    .venv/bin/python bench/bench_season.py [--runs 96] [--period 15] [--articles 400]
                                           [--old-ref main] [--out season.json]

A benchmark, not a test (tests/test_season.py asserts five such runs). Serves the generated
WordPress-like site of tests/season.py (sections, tag and author pages, a feed, a sitemap) from
`crawler.devserver.StaticSite` (ETag, Last-Modified, 304, an access log) and plays `--runs`
`scrapy crawl news` runs, one every `--period` minutes of simulated time, first with the code of
`--old-ref` (extracted with `git archive` into a temporary folder, run with this virtualenv),
then with this tree. Between two runs the site gains 0 to 3 articles, and with a chance of 0.3
one of its 20 newest articles is edited (first paragraph, dateModified, sitemap lastmod); the
same draws (`--seed`) for both codes. Each crawl runs under libfaketime (Debian package
`faketime`), its clock set to the simulated time of its start (`FAKETIME=@...`, then ticking), so
that every time rule (refresh ages, back-off, the old refresh window) meets the time it would in
a day of cron, and the site's dates and the crawler's clock agree. The server's access
log gives each run's requests, bytes and article downloads; the database gives when each edit was
stored (the article's body starts with the edit's marker).

Reports, per code: requests, bytes and article downloads of the first run and of the rest;
per new article after the first run: requests and bytes; the delay before an edit is stored
(median and longest, in simulated minutes) and the edits never stored; and the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.devserver import StaticSite  # noqa: E402 - after the path set-up above
from crawler.storage.connection import connect  # noqa: E402
from crawler.storage.embedded import EmbeddedServer  # noqa: E402
from tests.season import SeasonSite, crawl_news  # noqa: E402

FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1")


@dataclasses.dataclass
class Edit:
    path: str
    at: dt.datetime
    run: int  # the first run after the edit
    seen_at: dt.datetime | None = None


@dataclasses.dataclass
class Day:
    label: str
    runs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    edits: list[Edit] = dataclasses.field(default_factory=list)
    stored: int = 0
    failed_runs: int = 0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def faketime_lib() -> str:
    for lib in FAKETIME_LIBS:
        if Path(lib).exists():
            return lib
    raise SystemExit("bench_season: libfaketime is missing: apt-get install faketime")


def old_tree(ref: str, into: Path) -> str:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref],
                            capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True,
                             check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


def play(label: str, code: Path, args: argparse.Namespace, work: Path) -> Day:
    """`args.runs` cron runs of `code` against a fresh site and a fresh database."""
    rng = random.Random(args.seed)
    period = dt.timedelta(minutes=args.period)
    t0 = dt.datetime.now(dt.UTC)
    server = EmbeddedServer(var_dir=work / "db", port=free_port())
    uri = server.ensure_running()
    database = connect(uri, "season")
    season = SeasonSite(work / "site", start=t0 - dt.timedelta(minutes=30), count=args.articles)
    season.write()
    day = Day(label)
    base_env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": "season",
                "AUTOTHROTTLE_ENABLED": "false", "ALLOW_PRIVATE_ADDRESSES": "true",
                "VAR_DIR": str(work / "var"), "LOG_LEVEL": "INFO",
                "LD_PRELOAD": faketime_lib()}
    try:
        with StaticSite(season.root) as site:
            for run in range(args.runs):
                sim = t0 + run * period  # the site's clock; the crawl's runs FAKETIME ahead
                new = 0
                if run:
                    new = rng.choice((0, 0, 1, 1, 2, 3))
                    if new:
                        season.grow(new, sim - dt.timedelta(minutes=2))
                    edited = {e.path for e in day.edits}
                    candidates = [a for a in season.articles[:20] if a.path not in edited]
                    if rng.random() < 0.3 and candidates:
                        article = rng.choice(candidates)
                        at = sim - dt.timedelta(minutes=1)
                        season.edit([article], at)
                        day.edits.append(Edit(article.path, at, run))
                # the crawl's clock starts at the site's: no drift, however long a run took
                env = {**base_env, "FAKETIME": f"@{sim:%Y-%m-%d %H:%M:%S}", "TZ": "UTC"}
                proc, cost = crawl_news(site, env, code, python=sys.executable)
                if proc.returncode:
                    day.failed_runs += 1
                    print(f"{label} run {run}: exit {proc.returncode}: {proc.stderr[-500:]}",
                          file=sys.stderr)
                for edit in day.edits:
                    if edit.seen_at is None and _stored(database, edit):
                        edit.seen_at = sim
                day.runs.append({"run": run, "new_articles": new, **dataclasses.asdict(cost)})
                if args.verbose:
                    print(f"{label} {run:3d}: +{new} requests={cost.requests} "
                          f"articles={cost.article_downloads} 304={cost.not_modified} "
                          f"bytes={cost.bytes}", file=sys.stderr, flush=True)
        day.stored = database["articles"].count_documents({})
    finally:
        database.client.close()
        server.stop()
    return day


def _stored(database: Any, edit: Edit) -> bool:
    marker = f"Mise à jour du {edit.at:%d/%m/%Y %H:%M}"
    document = database["articles"].find_one({"url": {"$regex": f"{edit.path}$"}}, {"body": 1})
    return bool(document and str(document.get("body", "")).startswith(marker))


def summary(day: Day, period: dt.timedelta) -> dict[str, Any]:
    first, rest = day.runs[0], day.runs[1:]
    new = sum(r["new_articles"] for r in rest)
    requests = sum(r["requests"] for r in rest)
    size = sum(r["bytes"] for r in rest)
    delays = [(e.seen_at - e.at).total_seconds() / 60 for e in day.edits if e.seen_at]
    return {
        "code": day.label,
        "first_run": {k: first[k] for k in ("requests", "bytes", "article_downloads")},
        "later_runs": len(rest),
        "new_articles": new,
        "requests": requests,
        "bytes": size,
        "article_downloads": sum(r["article_downloads"] for r in rest),
        "not_modified": sum(r["not_modified"] for r in rest),
        "median_requests_per_run": statistics.median(r["requests"] for r in rest) if rest else 0,
        "requests_per_new_article": round(requests / new, 1) if new else None,
        "bytes_per_new_article": round(size / new) if new else None,
        "edits": len(day.edits),
        "edits_stored": len(delays),
        "edit_delay_median_min": round(statistics.median(delays), 1) if delays else None,
        "edit_delay_max_min": round(max(delays), 1) if delays else None,
        "stored": day.stored,
        "failed_runs": day.failed_runs,
        "period_min": period.total_seconds() / 60,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=96)
    parser.add_argument("--period", type=float, default=15.0, help="minutes between two runs")
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--old-ref", default="main", help="git ref of today's code")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--verbose", action="store_true", help="one line per run on stderr")
    args = parser.parse_args(argv)
    faketime_lib()
    period = dt.timedelta(minutes=args.period)
    with tempfile.TemporaryDirectory(prefix="bench-season-") as tmp:
        work = Path(tmp)
        commit = old_tree(args.old_ref, work / "old")
        old = play(f"{args.old_ref} ({commit})", work / "old", args, work / "old-run")
        shutil.rmtree(work / "old")
        new = play("this tree", ROOT, args, work / "new-run")
    figures = [summary(old, period), summary(new, period)]
    keys = ["first_run", "median_requests_per_run", "requests", "bytes", "article_downloads",
            "not_modified", "new_articles", "requests_per_new_article", "bytes_per_new_article",
            "edits", "edits_stored", "edit_delay_median_min", "edit_delay_max_min", "stored",
            "failed_runs"]
    print(f"{args.runs} runs every {args.period:g} min, {args.articles} articles at the start; "
          "figures after the first run unless named first_run")
    print(f"| figure | {figures[0]['code']} | {figures[1]['code']} | ratio |")
    print("|---|---|---|---|")
    for key in keys:
        a, b = figures[0][key], figures[1][key]
        ratio = f"{b / a:.3f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and a and not isinstance(a, bool) else "-"
        print(f"| {key} | {a} | {b} | {ratio} |")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                        "figures": figures,
                                        "runs": {"old": old.runs, "new": new.runs}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
