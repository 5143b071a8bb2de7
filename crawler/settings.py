"""Scrapy settings for newscrawl: the only module that reads os.environ.

Every operator setting (README, "Settings"; defaults and types in `crawler.addon.SETTINGS`) can
be set by an environment variable of the same name, by `-s NAME=VALUE` or by a spider's
`custom_settings`, with the same effect. An environment value is checked here, so that a
malformed one stops any command (`scrapy list` included) with one line naming the variable; the
add-on (`crawler.addon.NewscrawlAddon`) then writes the defaults, checks whatever set a value and
derives the settings that follow from others (`CLOSESPIDER_TIMEOUT`, distributed mode).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping

from crawler.addon import SETTINGS, parse_setting

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
SPIDER_LOADER_CLASS = "crawler.spiders.loader.CatalogueSpiderLoader"
COMMANDS_MODULE = "crawler.commands"
ADDONS = {"crawler.addon.NewscrawlAddon": 0}

RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.paramfilter.ParamFilterMiddleware": 55,  # stripped learnt parameters: see module
    # after OffsiteMiddleware (50), before RobotsTxtMiddleware (100): no robots.txt is fetched
    # from a refused host either
    "crawler.middlewares.security.PrivateAddressMiddleware": 60,
    # sees download exceptions before DownloaderStats (850): an oversize page is not a failure
    "crawler.middlewares.security.TooLargeMiddleware": 870,
    # names the cause of a failed connection before DownloaderStats (850) and retry (550) see it
    "crawler.middlewares.network.NetworkErrorMiddleware": 860,
    # Scrapy's retry, backing off on 429/503 (crawler/middlewares/retry.py); same position as the one
    # it replaces
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.RetryAfterMiddleware": 550,
    # the WARC archive: sees responses as sent, after decompression's and redirects' way out
    "crawler.extensions.archive.ArchiveMiddleware": 880,
}
ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
    "crawler.pipelines.dates.DatesPipeline": 200,
    # -a since / until: drops articles outside the window once their date is known
    "crawler.pipelines.window.DateWindowPipeline": 250,
    "crawler.pipelines.dedupe.DedupePipeline": 300,
    "crawler.pipelines.store.StorePipeline": 900,
}
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.paramfilter.ParamFilterMiddleware": 960,  # before incremental: it sees clean URLs
    "crawler.middlewares.incremental.IncrementalMiddleware": 950,
    # pages a killed run archived but never stored: read from the archive first
    "crawler.extensions.recovery.ArchiveRecovery": 940,
}
EXTENSIONS = {
    # the crawl's one database connection; opened before any other component asks for a store
    "crawler.extensions.database.DatabaseOwner": 0,
    "crawler.extensions.runs.RunRecorder": 100,
    # where pages are read: in process, or in worker processes (EXTRACT_PROCESSES)
    "crawler.reading.pool.ReadPool": 0,
    # log calls below LOG_LEVEL return at once (Scrapy builds every record, then drops it)
    "crawler.logs.LogLevelGate": 0,
}


# Variables that look like settings but are not read: the likely intended setting, if any.
_MISSPELT = {"MONGO_URL": "MONGO_URI", "MONGODB_URI": "MONGO_URI", "MONGO_DB": "MONGO_DATABASE",
             "REDIS_URI": "REDIS_URL"}


def misspelt_settings(environ: Mapping[str, str]) -> list[str]:
    """A warning per environment variable that looks like a misspelt setting (it is ignored).

    >>> for warning in misspelt_settings({"MONGO_URL": "x", "NEWSCRAWL_RUN_TIME_LIMIT": "9",
    ...                                   "STORE_BATCH": "5", "HOME": "/root", "MONGO_URI": ""}):
    ...     print(warning.split("; ")[1])
    did you mean MONGO_URI?
    did you mean RUN_TIME_LIMIT? (settings have no prefix)
    did you mean STORE_BATCH_SIZE?
    """
    warnings = []
    for name in sorted(environ):
        if name in SETTINGS or not name.isupper() or "_" not in name or name.startswith("SCRAPY"):
            continue
        hint = ""
        if name in _MISSPELT:
            hint = f"did you mean {_MISSPELT[name]}?"
        elif name.startswith("NEWSCRAWL_"):
            bare = name.removeprefix("NEWSCRAWL_")
            close = [bare] if bare in SETTINGS else difflib.get_close_matches(bare, SETTINGS, 1, 0.8)
            hint = (f"did you mean {close[0]}? (settings have no prefix)" if close
                    else "settings have no prefix (README, \"Settings\")")
        else:
            close = difflib.get_close_matches(name, SETTINGS, 1, 0.8)
            hint = f"did you mean {close[0]}?" if close else ""
        if hint:
            warnings.append(f"newscrawl: warning: environment variable {name} is not a setting "
                            f"and is ignored; {hint}")
    return warnings


def _from_environment() -> dict[str, object]:
    values = {}
    for name in SETTINGS:
        raw = os.environ.get(name)
        if raw is not None and raw.strip():
            values[name] = parse_setting(name, raw, source="environment variable ")
    return values


globals().update(_from_environment())
# On stderr at once: this module is read before Scrapy configures logging, and a misspelt
# MONGO_URI would otherwise send a whole crawl to the embedded database without a word.
for _warning in misspelt_settings(os.environ):
    print(_warning, file=sys.stderr)
