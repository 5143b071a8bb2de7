"""`newscrawl demo`: crawl the bundled demo site offline into its own database, print a table."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from crawler.cli.common import database_name, project_settings

# The demo site ships inside the package (package data), so `newscrawl demo` works from a wheel.
DEMO_SITE = resources.files("crawler").joinpath("demo_site")


DEMO_CATALOGUE = resources.files("crawler").joinpath("demo_site.toml")


def add_parser(commands: Any) -> None:
    demo = commands.add_parser("demo", help="crawl the bundled fixture site offline")
    demo.add_argument("--database", type=database_name, default="newscrawl_demo",
                      help="database name to fill")
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the fixture site on 127.0.0.1, crawl it into the database, show what was stored."""
    from crawler.devserver import StaticSite
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.articles import ArticleStore
    from crawler.storage.connection import drop_database

    settings = project_settings()
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
