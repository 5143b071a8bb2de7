"""`newscrawl`: the operator's command.

    newscrawl crawl [SITE ...] [--all]       crawl catalogue sites (see README "Scheduling")
    newscrawl extract --url URL FILE         extraction of one saved page, as JSON
    newscrawl extract --manifest FILE.jsonl  the same for many pages
    newscrawl demo                           crawl the bundled fixture site offline
    newscrawl db start|stop|status           the embedded default database
    newscrawl sites                          the catalogue: key, language, time zone, sources
    newscrawl sites --classify SITE URL ...  article / listing / next / ignored, and the rule
    newscrawl sites --params                 URL parameters learnt per host, with their counts
    newscrawl sites --listings SITE          what each listing gave lately, when it is visited next
    newscrawl check-sites [SITE ...]         does each site still give links, feeds, articles?
    newscrawl check-sites --json [SITE ...]  the same per key: works / broken / unverified
    newscrawl export [--source S ...] [...]  articles as JSON lines or CSV (README "Reading the database")
    newscrawl stats [--days N] [--json]      per source: articles per day, dated share, last good run
    newscrawl stats --health [--fail-on-drift]  field shares against the baseline, drift (exit 3)
    newscrawl report [-o report.html]        one self-contained page of charts per source
    newscrawl metrics [-o FILE.prom]         latest runs and data health for Prometheus
    newscrawl history URL [--json]           every kept version of an article and what changed
    newscrawl migrate [--dry-run]            fill the current schema version's fields on stored articles
    newscrawl reextract [SITE ...]           re-derive the articles from the WARC archive (no network)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

from crawler.cli import (
    check_sites,
    crawl,
    db,
    demo,
    export,
    extract,
    history,
    metrics,
    migrate,
    reextract,
    replay,
    report,
    sites,
    stats,
)

# The commands in the order `newscrawl --help` lists them; each module adds its own parser.
COMMANDS = (crawl, extract, demo, db, replay, export, stats, sites, check_sites,
            history, migrate, reextract, report, metrics)


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
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "extract" and not args.manifest and not (args.file and args.url):
        parser.error("extract needs --manifest FILE, or --url URL FILE")
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # `newscrawl export | head`: the reader has all it wants. Python's advice for SIGPIPE:
        # point stdout at /dev/null so that the interpreter's own flush at exit says nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
