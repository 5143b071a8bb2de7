"""`newscrawl sites`: the catalogue, how an entry classifies URLs, the parameters learnt per host,
a site's listing pages (`--listings`, crawler/cli/listings.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from crawler.cli.common import project_settings

if TYPE_CHECKING:
    from crawler.catalogue.sites import Site


def _print_params() -> int:
    """`newscrawl sites --params`: what the crawls learnt about URL parameters (crawler.links.params)."""
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.params import ParamStore

    settings = project_settings()
    try:
        observed = ParamStore(open_database(settings)).observed()
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl sites --params: {exc}", file=sys.stderr)
        return 1
    print_params(observed, catalogue_sites(settings.get("SITES_FILE")), sys.stdout)
    return 0


def add_parser(commands: Any) -> None:
    sites = commands.add_parser("sites", help="list the catalogue: key, language, time zone, sources")
    sites.add_argument("--classify", metavar="SITE",
                       help="print how SITE's entry treats each URL: article, listing, next or "
                            "ignored, with the rule that decided")
    sites.add_argument("urls", nargs="*", metavar="URL", help="URLs to classify (with --classify)")
    sites.add_argument("--params", action="store_true",
                       help="URL parameters learnt per host (counts, when), and catalogue overrides")
    sites.add_argument("--listings", metavar="SITE",
                       help="SITE's listing pages: when each last changed and last gave a new "
                            "article, and when it is visited next")
    sites.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.catalogue.sites import classify_url
    from crawler.errors import CatalogueError

    try:
        if args.classify:
            if not args.urls:
                print("newscrawl sites --classify SITE: give at least one URL", file=sys.stderr)
                return 2
            [site] = catalogue_sites(project_settings().get("SITES_FILE"), [args.classify])
            for url in args.urls:  # one line per URL: role, URL, the rule that decided
                verdict = classify_url(site, url)
                sys.stdout.write(f"{verdict.role.value}\t{url}\t{verdict.rule}\n")
            return 0
        if args.params:
            return _print_params()
        if args.listings:
            from crawler.cli.listings import run_listings
            return run_listings(args.listings)
        print_sites(catalogue_sites(project_settings().get("SITES_FILE")), sys.stdout)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    return 0


def table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def print_sites(sites: Iterable[Site], out: TextIO) -> None:
    rows = [["key", "name", "language", "time zone", "sources", "from"]]
    for site in sites:
        rows.append([site.key, site.name, site.language, site.timezone,
                     ",".join(sorted(site.sources)), site.origin.rsplit("/", 1)[-1]])
    table(rows, out)


def catalogue_sites(settings_sites_file: str | None, keys: Sequence[str] = ()) -> list[Site]:
    """The catalogue (built-in + SITES_FILE), or the named entries; KeyError names unknown keys."""
    from crawler.catalogue.sites import load_catalogue

    files = [p for p in str(settings_sites_file or "").replace(";", ":").split(":") if p.strip()]
    catalogue = load_catalogue(files)
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise KeyError(f"unknown site(s) {', '.join(unknown)}; sites: {', '.join(catalogue)}")
    return [catalogue[k] for k in keys] if keys else list(catalogue.values())


def print_params(observed: Iterable[dict[str, Any]], sites: Iterable[Site], out: TextIO) -> int:
    """`newscrawl sites --params`: the URL parameters learnt per host, and the catalogue's word.

    One row per (host, parameter) the database holds evidence for: `learnt` (stripped from the
    host's links), `kept` (a canonical kept it: never stripped) or `learning` (fewer pages than
    PARAMS_MIN_PAGES so far); then the catalogue's keep_params / drop_params, which win.
    Returns the number of learnt parameters.
    """
    overrides = {}
    for site in sites:
        for domain in site.domains:
            host = domain.lower().removeprefix("www.")
            for name in site.keep_params:
                overrides[(host, name)] = f"keep_params ({site.key})"
            for name in site.drop_params:
                overrides[(host, name)] = f"drop_params ({site.key})"
    rows = [["host", "parameter", "status", "dropped", "kept", "learnt at (UTC)", "catalogue"]]
    learnt = 0
    seen = set()
    for document in observed:
        host, name = str(document.get("host")), str(document.get("param"))
        seen.add((host, name))
        when = document.get("learnt_at")
        status = ("kept" if document.get("kept_count") else "learnt" if when else "learning")
        learnt += status == "learnt"
        rows.append([host, name, status, str(document.get("dropped_count", 0)),
                     str(document.get("kept_count", 0)),
                     when.strftime("%Y-%m-%d %H:%M") if isinstance(when, dt.datetime) else "-",
                     overrides.get((host, name), "-")])
    for (host, name), rule in sorted(overrides.items()):
        if (host, name) not in seen:
            rows.append([host, name, "catalogue", "-", "-", "-", rule])
    if len(rows) == 1:
        out.write("no URL parameter learnt yet, and no keep_params / drop_params in the "
                  "catalogue\n")
        return 0
    table(rows, out)
    hosts = {row[0] for row in rows[1:] if row[2] == "learnt"}
    out.write(f"\n{learnt} learnt parameter(s) on {len(hosts)} host(s)\n")
    return learnt
