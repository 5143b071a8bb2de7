"""`newscrawl`: the operator's command.

    newscrawl crawl [SITE ...] [--all]       crawl catalogue sites (see README "Scheduling")
    newscrawl extract --url URL FILE         extraction of one saved page, as JSON
    newscrawl extract --manifest FILE.jsonl  the same for many pages
    newscrawl demo                           crawl the bundled fixture site offline
    newscrawl db start|stop|status           the embedded default database
    newscrawl sites                          the catalogue: key, language, time zone, sources
    newscrawl sites --classify SITE URL ...  article / listing / next / ignored, and the rule
    newscrawl check-sites [SITE ...]         does each site still give links, feeds, articles?
    newscrawl check-sites --json [SITE ...]  the same per key: works / broken / unverified
    newscrawl export [--source S ...] [...]  matching articles as JSON lines or CSV (docs/reading.md)
    newscrawl stats [--days N] [--json]      per source: articles per day, dated share, last good run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SITE = PROJECT_ROOT / "tests" / "fixtures" / "site"
FIXTURE_CATALOGUE = PROJECT_ROOT / "tests" / "fixtures" / "fixture_site.toml"


def _settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extract.batch import extract_file, iter_manifest

    documents = (iter_manifest(args.manifest) if args.manifest
                 else [extract_file(args.file, args.url)])
    for document in documents:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, default=_json_default) + "\n")
    return 0


def _embedded(settings: Any) -> Any:
    from crawler.embedded import EmbeddedServer

    return EmbeddedServer(var_dir=Path(settings.get("VAR_DIR")),
                          port=settings.getint("EMBEDDED_DB_PORT"))


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.get("MONGO_URI") and args.action != "status":
        print("MONGO_URI is set: the embedded database is not used", file=sys.stderr)
        return 2
    server = _embedded(settings)
    if args.action == "start":
        print(f"embedded database running at {server.ensure_running()} (data in {server.data_dir})")
    elif args.action == "stop":
        print("embedded database stopped" if server.stop() else "embedded database was not running")
    else:
        up = server.is_up()
        print(f"embedded database at {server.uri}: {'up' if up else 'down'}")
        return 0 if up else 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the fixture site on 127.0.0.1, crawl it into the database, show what was stored."""
    from crawler.connection import open_database
    from crawler.devserver import StaticSite
    from crawler.storage import ArticleStore, DatabaseUnavailable, drop_database

    settings = _settings()
    database = args.database
    settings.set("MONGO_DATABASE", database)
    try:
        # The demo's own database starts empty, so each demo shows one crawl's result (the
        # fixture site's URLs carry the port it is served on, which changes every time).
        drop_database(open_database(settings))
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    with StaticSite(FIXTURE_SITE) as site, tempfile.TemporaryDirectory() as tmp:
        catalogue = Path(tmp) / "demo_sites.toml"
        catalogue.write_text(FIXTURE_CATALOGUE.read_text().replace("BASE_URL", site.base_url))
        env = {**os.environ, "SITES_FILE": str(catalogue), "MONGO_DATABASE": database,
               "AUTOTHROTTLE_ENABLED": "false", "LOG_LEVEL": "WARNING",
               "ALLOW_PRIVATE_ADDRESSES": "true"}  # the demo site is on 127.0.0.1
        started = time.monotonic()
        print(f"demo: serving tests/fixtures/site at {site.base_url}, crawling it with "
              f"`scrapy crawl fixture_fr` into database {database!r}...")
        code = subprocess.call([sys.executable, "-m", "scrapy", "crawl", "fixture_fr"],
                               env=env, cwd=PROJECT_ROOT)
        if code != 0:
            print(f"demo: the crawl failed (exit code {code})", file=sys.stderr)
            return code
        print(f"demo: crawl finished in {time.monotonic() - started:.1f} s, "
              f"{len(site.paths())} requests served\n")
    articles = ArticleStore(open_database(settings), settings.get("MONGO_COLLECTION"))
    rows = [(d.get("published_at"), d.get("section") or "", ", ".join(d.get("authors") or []),
             d.get("title") or "") for d in articles.find({}, sort=[("published_at", -1)])]
    print(f"{'published (UTC)':<17}  {'section':<10}  {'authors':<24}  title")
    for published, section, authors, title in rows:
        when = published.strftime("%Y-%m-%d %H:%M") if published else "?"
        print(f"{when:<17}  {section[:10]:<10}  {authors[:24]:<24}  {title[:70]}")
    print(f"\n{len(rows)} articles in {database}.{settings.get('MONGO_COLLECTION')}")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.runner import run_crawl

    return run_crawl(args.sites, all_sites=args.all, spider_args=args.spider_args or [])


def _reader_stores(settings: Any) -> tuple[Any, Any]:
    from crawler.connection import open_database
    from crawler.storage import ArticleStore, RunStore

    database = open_database(settings)
    return (ArticleStore(database, settings.get("MONGO_COLLECTION")),
            RunStore(database, settings.get("MONGO_RUNS_COLLECTION")))


def _when(text: str) -> Any:
    from crawler.queries import parse_when

    try:
        return parse_when(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_replay(args: argparse.Namespace) -> int:
    """Load a dead-letter file into the database; running it twice changes nothing more."""
    from crawler.connection import open_database
    from crawler.storage import ArticleStore, DatabaseUnavailable, replay_dead_letters

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"newscrawl replay: no such file: {path}", file=sys.stderr)
        return 2
    try:
        store = ArticleStore(open_database(settings), settings.get("MONGO_COLLECTION"))
        store.ensure_indexes()
        result = replay_dead_letters(store, path)
    except (DatabaseUnavailable, RuntimeError, ValueError) as exc:
        print(f"newscrawl replay: {exc}", file=sys.stderr)
        return 1
    for _, message in result.rejected:
        print(f"refused by the server: {message}", file=sys.stderr)
    total = result.inserted + result.updated + result.unchanged + len(result.rejected)
    print(f"replayed {total} articles from {path}: {result.inserted} new, {result.updated} "
          f"updated, {result.unchanged} unchanged, {len(result.rejected)} refused")
    return 1 if result.rejected else 0


def cmd_export(args: argparse.Namespace) -> int:
    from crawler.export import export
    from crawler.queries import ArticleQuery
    from crawler.storage import DatabaseUnavailable

    query = ArticleQuery(sources=tuple(args.source or ()), since=args.since, until=args.until,
                         changed_since=args.changed_since, section=args.section, tag=args.tag,
                         search=args.search, language=args.language, limit=args.limit)
    try:
        articles, _ = _reader_stores(_settings())
        if not args.output:
            try:
                count = export(articles, query, sys.stdout, fmt=args.format)
                sys.stdout.flush()
            except BrokenPipeError:  # `| head`: the reader has all it wants
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            partial = Path(f"{args.output}.part")
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = export(articles, query, stream, fmt=args.format)
            partial.replace(args.output)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl export: {exc}", file=sys.stderr)
        return 1
    if args.output:
        print(f"{count} articles written to {args.output}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from crawler.stats_report import compute_stats, render_table
    from crawler.storage import DatabaseUnavailable

    try:
        articles, runs = _reader_stores(_settings())
        report = compute_stats(articles, runs, days=args.days)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl stats: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_table(report))
    return 0


# --- sites and check-sites (logic in crawler/checks.py) --------------------------------------
def cmd_sites(args: argparse.Namespace) -> int:
    from crawler.checks import catalogue_sites, print_sites
    from crawler.sites import CatalogueError, classify_url

    try:
        if args.classify:
            if not args.urls:
                print("newscrawl sites --classify SITE: give at least one URL", file=sys.stderr)
                return 2
            [site] = catalogue_sites(_settings().get("SITES_FILE"), [args.classify])
            for url in args.urls:  # one line per URL: role, URL, the rule that decided
                verdict = classify_url(site, url)
                sys.stdout.write(f"{verdict.role.value}\t{url}\t{verdict.rule}\n")
            return 0
        print_sites(catalogue_sites(_settings().get("SITES_FILE")), sys.stdout)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    return 0


def cmd_check_sites(args: argparse.Namespace) -> int:
    from crawler.checks import catalogue_sites, http_fetcher, run_checks
    from crawler.sites import CatalogueError

    settings = _settings()
    try:
        sites = catalogue_sites(settings.get("SITES_FILE"), args.sites)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl check-sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    fetch = http_fetcher(user_agent=settings.get("USER_AGENT"), timeout=args.timeout)
    if args.json:
        from crawler.checks import run_key_checks

        return run_key_checks(sites, fetch, sys.stdout)
    return run_checks(sites, fetch, sys.stdout)
# --- end of sites and check-sites ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscrawl", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    crawl = commands.add_parser("crawl", help="crawl catalogue sites")
    crawl.add_argument("sites", nargs="*", help="site keys (see `scrapy list`)")
    crawl.add_argument("--all", action="store_true", help="every catalogue site")
    crawl.add_argument("-a", dest="spider_args", action="append", metavar="NAME=VALUE",
                       help="spider argument, as with scrapy crawl")
    crawl.set_defaults(func=cmd_crawl)

    extract = commands.add_parser("extract", help="extract saved pages to JSON lines")
    extract.add_argument("file", nargs="?", help="a saved HTML page (with --url)")
    extract.add_argument("--url", help="the URL the page was saved from")
    extract.add_argument("--manifest", help="a JSON-lines file of {file, url, id}")
    extract.set_defaults(func=cmd_extract)

    demo = commands.add_parser("demo", help="crawl the bundled fixture site offline")
    demo.add_argument("--database", default="newscrawl_demo", help="database name to fill")
    demo.set_defaults(func=cmd_demo)

    db = commands.add_parser("db", help="the embedded default database")
    db.add_argument("action", choices=["start", "stop", "status"])
    db.set_defaults(func=cmd_db)

    replay = commands.add_parser("replay", help="load a dead-letter file of unwritten articles")
    replay.add_argument("file", help="a dead-letter file written by a run that lost its database")
    replay.set_defaults(func=cmd_replay)

    export = commands.add_parser(
        "export", help="matching articles as JSON lines or CSV",
        description="Stream matching articles, newest published first (--changed-since: oldest "
                    "change first; --search: most relevant first). Times: ISO 8601 (UTC unless "
                    "an offset is given) or an age such as 6h, 3d, 2w.")
    export.add_argument("--source", action="append", metavar="S",
                        help="only this source (repeatable)")
    export.add_argument("--since", type=_when, metavar="T", help="published_at >= T")
    export.add_argument("--until", type=_when, metavar="T", help="published_at < T")
    export.add_argument("--changed-since", type=_when, metavar="T",
                        help="inserted or changed (changed_at) at or after T")
    export.add_argument("--section", help="section equal to this value")
    export.add_argument("--tag", help="tags containing this value")
    export.add_argument("--search", metavar="WORDS", help="full-text search in title, subtitle, body")
    export.add_argument("--language", metavar="LANG",
                        help="language equal to LANG (fr, en...); with --search, the words are "
                             "stemmed in it")
    export.add_argument("--limit", type=int, default=0, metavar="N", help="at most N articles")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(func=cmd_export)

    stats = commands.add_parser("stats", help="per source: articles per day, last good run")
    stats.add_argument("--days", type=int, default=7, metavar="N", help="days to show (default 7)")
    stats.add_argument("--json", action="store_true", help="JSON instead of a table")
    stats.set_defaults(func=cmd_stats)

    sites = commands.add_parser("sites", help="list the catalogue: key, language, time zone, sources")
    sites.add_argument("--classify", metavar="SITE",
                       help="print how SITE's entry treats each URL: article, listing, next or "
                            "ignored, with the rule that decided")
    sites.add_argument("urls", nargs="*", metavar="URL", help="URLs to classify (with --classify)")
    sites.set_defaults(func=cmd_sites)
    check = commands.add_parser("check-sites", help="fetch a section, a feed and an article of "
                                "each site and report what looks broken")
    check.add_argument("sites", nargs="*", help="site keys (default: every site)")
    check.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    check.add_argument("--json", action="store_true",
                       help="per site and key: works / broken / unverified, the URL tried, and a "
                            "proposed article pattern where the entry's no longer match; exit 1 "
                            "when a key is broken")
    check.set_defaults(func=cmd_check_sites)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "extract" and not args.manifest and not (args.file and args.url):
        parser.error("extract needs --manifest FILE, or --url URL FILE")
    if (args.command == "stats" and args.days < 1) or (args.command == "export" and args.limit < 0):
        parser.error(f"{args.command}: --days must be at least 1 and --limit at least 0")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
