"""Scrapy settings for newscrawl: Scrapy's own settings and newscrawl's components. Importing it
reads nothing.

Every operator setting (README, "Settings"; defaults and types in `crawler.addon.SETTINGS`) can
be set by an environment variable of the same name, by `-s NAME=VALUE` or by a spider's
`custom_settings`, with the same effect. The add-on enabled here (`crawler.addon.NewscrawlAddon`)
reads the environment (a malformed value stops any command, `scrapy list` included, with one line
naming the variable), writes the defaults, checks whatever set a value and derives the settings
that follow from others (`CLOSESPIDER_TIMEOUT`, distributed mode).
"""

from __future__ import annotations

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
    # validators out, 304 in (crawler/middlewares/conditional.py); before RedirectMiddleware (600)
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 590,
    # the WARC archive: sees responses as sent, after decompression's and redirects' way out
    "crawler.extensions.archive.ArchiveMiddleware": 880,
}
ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
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
    # the URL parameters learnt, shared by both registrations of ParamFilterMiddleware
    "crawler.extensions.params.ParamLearning": 0,
    # where pages are read: in process, or in worker processes (EXTRACT_PROCESSES)
    "crawler.reading.pool.ReadPool": 0,
    # log calls below LOG_LEVEL return at once (Scrapy builds every record, then drops it)
    "crawler.logs.LogLevelGate": 0,
}

