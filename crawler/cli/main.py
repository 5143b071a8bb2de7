"""`newscrawl`: the operator's command.

    newscrawl crawl [SITE ...] [--all]       crawl catalogue sites (see README "Scheduling")
    newscrawl extract --url URL FILE         extraction of one saved page, as JSON
    newscrawl extract --manifest FILE.jsonl  the same for many pages
    newscrawl demo                           crawl the bundled fixture site offline
    newscrawl db start|stop|status           the embedded default database
    newscrawl sites                          the catalogue: key, language, time zone, sources
    newscrawl sites --classify SITE URL ...  article / listing / next / ignored, and the rule
    newscrawl sites --params                 URL parameters learnt per host, with their counts
    newscrawl check-sites [SITE ...]         does each site still give links, feeds, articles?
    newscrawl check-sites --json [SITE ...]  the same per key: works / broken / unverified
    newscrawl export [--source S ...] [...]  articles as JSON lines or CSV (README "Reading the database")
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
from importlib import metadata, resources
from pathlib import Path
from typing import Any, NoReturn

# The demo site ships inside the package (package data), so `newscrawl demo` works from a wheel.
DEMO_SITE = resources.files("crawler").joinpath("demo_site")
DEMO_CATALOGUE = resources.files("crawler").joinpath("demo_site.toml")


def _settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.addons import AddonManager
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    AddonManager.load_pre_crawler_settings(settings)  # defaults and derived settings (crawler.addon)
    return settings


def cmd_extract(args: argparse.Namespace) -> int:
    """Print each saved page as the document a crawl would store (crawler/cli/extract.py)."""
    from crawler.cli.extract import PreviewError, SavedPage, preview, read_manifest

    try:
        pages = (read_manifest(Path(args.manifest)) if args.manifest
                 else [SavedPage(Path(args.file), args.url)])
        if not args.manifest and not pages[0].file.is_file():
            raise PreviewError(f"no such file: {pages[0].file}")
        for document in preview(pages, debug=args.debug):
            sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    except PreviewError as exc:
        print(f"newscrawl extract: {exc}", file=sys.stderr)
        return 2
    return 0


def _embedded(settings: Any) -> Any:
    from crawler.storage.embedded import EmbeddedServer

    return EmbeddedServer(var_dir=Path(settings.get("VAR_DIR")),
                          port=settings.getint("EMBEDDED_DB_PORT"))


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.get("MONGO_URI") and args.action != "status":
        print("MONGO_URI is set: the embedded database is not used", file=sys.stderr)
        return 2
    server = _embedded(settings)
    if args.action == "start":
        try:
            uri = server.ensure_running()
        except RuntimeError as exc:  # PortTaken, or a server that did not start
            print(f"newscrawl db start: {exc}", file=sys.stderr)
            return 1
        print(f"embedded database running at {uri} (data in {server.data_dir})")
    elif args.action == "stop":
        print("embedded database stopped" if server.stop() else "embedded database was not running")
    else:
        from crawler.storage.embedded import speaks_mongodb

        if not server.is_up():
            print(f"embedded database at {server.uri}: down")
            return 1
        if not speaks_mongodb(server.host, server.port):
            print(f"embedded database at {server.uri}: down (the port is held by a program that "
                  f"is not a MongoDB server; set EMBEDDED_DB_PORT to a free port)")
            return 1
        print(f"embedded database at {server.uri}: up")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the fixture site on 127.0.0.1, crawl it into the database, show what was stored."""
    from crawler.devserver import StaticSite
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.articles import ArticleStore
    from crawler.storage.connection import drop_database

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
    with (resources.as_file(DEMO_SITE) as root, StaticSite(root) as site,
          tempfile.TemporaryDirectory() as tmp):
        catalogue = Path(tmp) / "demo_sites.toml"
        catalogue.write_text(DEMO_CATALOGUE.read_text(encoding="utf-8")
                             .replace("BASE_URL", site.base_url), encoding="utf-8")
        # SCRAPY_SETTINGS_MODULE, not a scrapy.cfg: an installed newscrawl has none.
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
               "SITES_FILE": str(catalogue), "MONGO_DATABASE": database,
               "VAR_DIR": settings.get("VAR_DIR"),  # absolute: the crawl runs in `tmp`
               "AUTOTHROTTLE_ENABLED": "false", "LOG_LEVEL": "WARNING",
               "ALLOW_PRIVATE_ADDRESSES": "true"}  # the demo site is on 127.0.0.1
        started = time.monotonic()
        print(f"demo: serving the bundled demo site at {site.base_url}, crawling it with "
              f"`scrapy crawl fixture_fr` into database {database!r}...")
        code = subprocess.call([sys.executable, "-m", "scrapy", "crawl", "fixture_fr"],
                               env=env, cwd=tmp)
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
    from crawler.cli.crawl import run_crawl

    return run_crawl(args.sites, all_sites=args.all, spider_args=args.spider_args or [])


def _reader_stores(settings: Any) -> tuple[Any, Any]:
    from crawler.extensions.database import open_database
    from crawler.storage.articles import ArticleStore
    from crawler.storage.runs import RunStore

    database = open_database(settings)
    return (ArticleStore(database, settings.get("MONGO_COLLECTION")),
            RunStore(database, settings.get("MONGO_RUNS_COLLECTION")))


def _when(text: str) -> Any:
    from crawler.storage.queries import parse_when

    try:
        return parse_when(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_replay(args: argparse.Namespace) -> int:
    """Load a dead-letter file or journal (FILE), or with no FILE every journal a dead run left
    in JOURNAL_DIR (then deleted); running it twice changes nothing more."""
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.articles import ArticleStore
    from crawler.storage.deadletters import replay_dead_journals, replay_dead_letters
    from crawler.storage.documents import WriteResult
    from crawler.storage.journal import is_live

    settings = _settings()
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
        store = ArticleStore(open_database(settings), settings.get("MONGO_COLLECTION"))
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


def cmd_export(args: argparse.Namespace) -> int:
    from crawler.cli.export import export
    from crawler.errors import DatabaseUnavailable
    from crawler.storage.queries import ArticleQuery

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
    except OSError as exc:  # -o in a missing or read-only directory, a full disk
        print(f"newscrawl export: cannot write {args.output}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2 if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)) else 1
    if args.output:
        print(f"{count} articles written to {args.output}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from crawler.cli.stats import compute_stats, render_table
    from crawler.errors import DatabaseUnavailable

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


# --- sites and check-sites (logic in crawler/cli/check_sites.py) --------------------------------------
def cmd_sites(args: argparse.Namespace) -> int:
    from crawler.catalogue.sites import classify_url
    from crawler.cli.check_sites import catalogue_sites, print_sites
    from crawler.errors import CatalogueError

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
        if args.params:
            return _print_params()
        print_sites(catalogue_sites(_settings().get("SITES_FILE")), sys.stdout)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    return 0


def _print_params() -> int:
    """`newscrawl sites --params`: what the crawls learnt about URL parameters (crawler.links.params)."""
    from crawler.cli.check_sites import catalogue_sites, print_params
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.params import ParamStore

    settings = _settings()
    try:
        observed = ParamStore(open_database(settings)).observed()
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl sites --params: {exc}", file=sys.stderr)
        return 1
    print_params(observed, catalogue_sites(settings.get("SITES_FILE")), sys.stdout)
    return 0


def cmd_check_sites(args: argparse.Namespace) -> int:
    from crawler.cli.check_sites import catalogue_sites, http_fetcher, run_checks
    from crawler.errors import CatalogueError

    settings = _settings()
    try:
        sites = catalogue_sites(settings.get("SITES_FILE"), args.sites)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl check-sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    fetch = http_fetcher(user_agent=settings.get("USER_AGENT"), timeout=args.timeout)
    if args.json:
        from crawler.cli.check_sites import run_key_checks

        return run_key_checks(sites, fetch, sys.stdout)
    return run_checks(sites, fetch, sys.stdout)
# --- end of sites and check-sites ----------------------------------------------------------------


def _at_least(minimum: int) -> Any:
    """An argparse type: an integer >= minimum (argparse names the option in its message)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _database_name(text: str) -> str:
    """An argparse type: a name MongoDB accepts for a database (crawler.addon's rule)."""
    import re

    from crawler.addon import SETTINGS

    spec = SETTINGS["MONGO_DATABASE"]
    if not re.fullmatch(spec.pattern, text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected {spec.meaning}")
    return text


def version_line() -> str:
    """`newscrawl --version`: this package's version and the Scrapy and Python it runs on."""
    import platform

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (f"newscrawl {installed('newscrawl')} (Scrapy {installed('scrapy')}, "
            f"Python {platform.python_version()})")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (the usage text is behind --help), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (`{self.prog} --help` shows the usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newscrawl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", required=True)

    crawl = commands.add_parser("crawl", help="crawl catalogue sites")
    crawl.add_argument("sites", nargs="*", help="site keys (see `scrapy list`)")
    crawl.add_argument("--all", action="store_true", help="every catalogue site")
    crawl.add_argument("-a", dest="spider_args", action="append", metavar="NAME=VALUE",
                       help="spider argument, as with scrapy crawl")
    crawl.set_defaults(func=cmd_crawl)

    extract = commands.add_parser(
        "extract", help="saved pages as the stored documents, as JSON lines",
        description="Print each saved page as the document a crawl would store (the keys and "
                    "UTC dates of `newscrawl export`; docs/schema.md).")
    extract.add_argument("file", nargs="?", help="a saved HTML page (with --url)")
    extract.add_argument("--url", help="the URL the page was saved from")
    extract.add_argument("--manifest", help="a JSON-lines file of {file, url, id}")
    extract.add_argument("--debug", action="store_true",
                         help="add a `debug` object: article verdict, time-zone hint, whether a "
                              "crawl would store the page")
    extract.set_defaults(func=cmd_extract)

    demo = commands.add_parser("demo", help="crawl the bundled fixture site offline")
    demo.add_argument("--database", type=_database_name, default="newscrawl_demo",
                      help="database name to fill")
    demo.set_defaults(func=cmd_demo)

    db = commands.add_parser("db", help="the embedded default database")
    db.add_argument("action", choices=["start", "stop", "status"])
    db.set_defaults(func=cmd_db)

    replay = commands.add_parser(
        "replay", help="load articles a run accepted but never wrote (journals of dead runs)")
    replay.add_argument("file", nargs="?",
                        help="a dead-letter file or journal; default: every journal a dead run "
                             "left in JOURNAL_DIR")
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
    export.add_argument("--limit", type=_at_least(0), default=0, metavar="N",
                        help="at most N articles (0: all)")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(func=cmd_export)

    stats = commands.add_parser("stats", help="per source: articles per day, last good run")
    stats.add_argument("--days", type=_at_least(1), default=7, metavar="N",
                       help="days to show (default 7)")
    stats.add_argument("--json", action="store_true", help="JSON instead of a table")
    stats.set_defaults(func=cmd_stats)

    sites = commands.add_parser("sites", help="list the catalogue: key, language, time zone, sources")
    sites.add_argument("--classify", metavar="SITE",
                       help="print how SITE's entry treats each URL: article, listing, next or "
                            "ignored, with the rule that decided")
    sites.add_argument("urls", nargs="*", metavar="URL", help="URLs to classify (with --classify)")
    sites.add_argument("--params", action="store_true",
                       help="URL parameters learnt per host (counts, when), and catalogue overrides")
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
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
