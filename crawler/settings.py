"""Scrapy settings for newscrawl: the only module that reads os.environ.

Every operator setting (README, "Settings"; defaults and types in `crawler.addon.SETTINGS`) can
be set by an environment variable of the same name, by `-s NAME=VALUE` or by a spider's
`custom_settings`, with the same effect. An environment value is checked here, so that a
malformed one stops any command (`scrapy list` included) with one line naming the variable; the
add-on (`crawler.addon.NewscrawlAddon`) then writes the defaults, checks whatever set a value and
derives the settings that follow from others (`CLOSESPIDER_TIMEOUT`, distributed mode).
"""

from __future__ import annotations

import os

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
    "crawler.paramfilter.ParamFilterMiddleware": 55,  # stripped learnt parameters: see module
    # after OffsiteMiddleware (50), before RobotsTxtMiddleware (100): no robots.txt is fetched
    # from a refused host either
    "crawler.security.PrivateAddressMiddleware": 60,
    # sees download exceptions before DownloaderStats (850): an oversize page is not a failure
    "crawler.security.TooLargeMiddleware": 870,
    # Scrapy's retry, backing off on 429/503 (crawler/retry.py); same position as the one it replaces
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": 550,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.DatesPipeline": 200,
    # -a since / until: drops articles outside the window once their date is known
    "crawler.pipelines.DateWindowPipeline": 250,
    "crawler.pipelines.DedupePipeline": 300,
    "crawler.pipelines.StorePipeline": 900,
}
SPIDER_MIDDLEWARES = {
    "crawler.paramfilter.ParamFilterMiddleware": 960,  # before incremental: it sees clean URLs
    "crawler.incremental.IncrementalMiddleware": 950,
}
EXTENSIONS = {
    # the crawl's one database connection; opened before any other component asks for a store
    "crawler.database.DatabaseOwner": 0,
    "crawler.runs.RunRecorder": 100,
}


def _from_environment() -> dict[str, object]:
    values = {}
    for name in SETTINGS:
        raw = os.environ.get(name)
        if raw is not None and raw.strip():
            values[name] = parse_setting(name, raw, source="environment variable ")
    return values


globals().update(_from_environment())
