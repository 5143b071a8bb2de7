"""Scrapy settings for newscrawl: the only module that reads os.environ.

Every project setting can be overridden by an environment variable of the same name (README,
"Settings"). Values are checked here so that a malformed one stops the run before it starts,
naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path


class SettingError(SystemExit):
    """An environment variable that cannot be used as the setting of the same name.

    A SystemExit: a malformed setting stops any command at start with this one line.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"newscrawl: bad setting: {message}")


def _text(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def _number(name: str, default: float, kind: type = int, minimum: float = 0) -> int | float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise SettingError(
            f"environment variable {name}={raw!r}: expected {'an integer' if kind is int else 'a number'}"
        ) from None
    if value < minimum:
        raise SettingError(f"environment variable {name}={raw!r}: must be at least {minimum}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"environment variable {name}={raw!r}: expected true or false")


PROJECT_ROOT = Path(__file__).resolve().parent.parent

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
SPIDER_LOADER_CLASS = "crawler.spiders.loader.CatalogueSpiderLoader"
COMMANDS_MODULE = "crawler.commands"

# --- Database ----------------------------------------------------------------------------------
# Empty MONGO_URI = the embedded default: an nx-27017 server under VAR_DIR, started on demand.
MONGO_URI = _text("MONGO_URI", "")
MONGO_DATABASE = _text("MONGO_DATABASE", "newscrawl")
MONGO_COLLECTION = _text("MONGO_COLLECTION", "articles")
MONGO_RUNS_COLLECTION = _text("MONGO_RUNS_COLLECTION", "crawl_runs")
MONGO_TIMEOUT_MS = _number("MONGO_TIMEOUT_MS", 5000, minimum=100)
VAR_DIR = _text("VAR_DIR", str(PROJECT_ROOT / "var"))
EMBEDDED_DB_PORT = _number("EMBEDDED_DB_PORT", 27117, minimum=1)
STORE_BATCH_SIZE = _number("STORE_BATCH_SIZE", 100, minimum=1)
STORE_FLUSH_SECONDS = _number("STORE_FLUSH_SECONDS", 5.0, kind=float, minimum=0.1)
# How long a write is retried while the database is away before its articles go to the
# dead-letter file (DEAD_LETTER_DIR, default $VAR_DIR/dead-letter) for `newscrawl replay`.
STORE_RETRY_SECONDS = _number("STORE_RETRY_SECONDS", 60.0, kind=float)
DEAD_LETTER_DIR = _text("DEAD_LETTER_DIR", "")

# --- Catalogue ---------------------------------------------------------------------------------
# Extra catalogue files merged over the built-in crawler/sites.toml (os.pathsep-separated).
SITES_FILE = _text("SITES_FILE", "")

# --- Crawl behaviour ---------------------------------------------------------------------------
LOG_LEVEL = _text("LOG_LEVEL", "INFO").upper()
USER_AGENT = _text(
    "USER_AGENT",
    "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; tech-news archive crawler)",
)
ROBOTSTXT_OBEY = _flag("ROBOTSTXT_OBEY", True)
CONCURRENT_REQUESTS = _number("CONCURRENT_REQUESTS", 16, minimum=1)
CONCURRENT_REQUESTS_PER_DOMAIN = _number("CONCURRENT_REQUESTS_PER_DOMAIN", 4, minimum=1)
# Items are cheap to process but Scrapy's default of 100 in flight per response costs CPU
# (measured ~1.4x per page on 80 KB pages); articles yield one item per response anyway.
CONCURRENT_ITEMS = _number("CONCURRENT_ITEMS", 8, minimum=1)
DOWNLOAD_DELAY = _number("DOWNLOAD_DELAY", 0.0, kind=float)
DOWNLOAD_TIMEOUT = _number("DOWNLOAD_TIMEOUT", 30, minimum=1)
DOWNLOAD_MAXSIZE = _number("DOWNLOAD_MAXSIZE", 10 * 1024 * 1024, minimum=1024)
DOWNLOAD_WARNSIZE = _number("DOWNLOAD_WARNSIZE", 2 * 1024 * 1024, minimum=1024)
RETRY_ENABLED = True
RETRY_TIMES = _number("RETRY_TIMES", 2)
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# Longest wait honoured from a 429/503 Retry-After header, in seconds.
RETRY_AFTER_MAX = _number("RETRY_AFTER_MAX", 120.0, kind=float)
AUTOTHROTTLE_ENABLED = _flag("AUTOTHROTTLE_ENABLED", True)
AUTOTHROTTLE_START_DELAY = _number("AUTOTHROTTLE_START_DELAY", 1.0, kind=float)
AUTOTHROTTLE_MAX_DELAY = _number("AUTOTHROTTLE_MAX_DELAY", 30.0, kind=float)
AUTOTHROTTLE_TARGET_CONCURRENCY = _number("AUTOTHROTTLE_TARGET_CONCURRENCY", 2.0, kind=float)
COOKIES_ENABLED = False
# Catalogue sites, links and redirects to private, loopback or link-local addresses are refused
# (crawler.middlewares.PrivateAddressMiddleware); true allows them, for local testing only.
ALLOW_PRIVATE_ADDRESSES = _flag("ALLOW_PRIVATE_ADDRESSES", False)
DOWNLOADER_MIDDLEWARES = {
    "crawler.paramfilter.ParamFilterMiddleware": 55,  # stripped learnt parameters: see module
    # after OffsiteMiddleware (50), before RobotsTxtMiddleware (100): no robots.txt is fetched
    # from a refused host either
    "crawler.middlewares.PrivateAddressMiddleware": 60,
    # sees download exceptions before DownloaderStats (850): an oversize page is not a failure
    "crawler.middlewares.TooLargeMiddleware": 870,
    # Scrapy's retry, waiting for Retry-After on 429/503 (same position as the one it replaces)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": 550,
}
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
# Default bound of one no-config (`news`) crawl.
NEWS_MAX_DEPTH = _number("NEWS_MAX_DEPTH", 3)
NEWS_MAX_PAGES = _number("NEWS_MAX_PAGES", 200, minimum=1)
# Sitemap indexes: children followed per index (newest first) and levels of indexes followed.
DISCOVERY_MAX_SITEMAPS = _number("DISCOVERY_MAX_SITEMAPS", 20, minimum=1)
DISCOVERY_MAX_SITEMAP_DEPTH = _number("DISCOVERY_MAX_SITEMAP_DEPTH", 3, minimum=1)

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.DatesPipeline": 200,
    # -a since / until: drops articles outside the window once their date is known
    "crawler.window.DateWindowPipeline": 250,
    "crawler.pipelines.DedupePipeline": 300,
    "crawler.pipelines.StorePipeline": 900,
}

# --- Scheduled runs (README "Scheduling") ------------------------------------------------------
INCREMENTAL_ENABLED = _flag("INCREMENTAL_ENABLED", True)
# Articles first seen less than REFRESH_WINDOW_HOURS ago are fetched again at most every
# REFRESH_INTERVAL_HOURS, to catch corrections.
REFRESH_WINDOW_HOURS = _number("REFRESH_WINDOW_HOURS", 48.0, kind=float)
REFRESH_INTERVAL_HOURS = _number("REFRESH_INTERVAL_HOURS", 2.0, kind=float)
# A run whose failed downloads and 5xx responses exceed this share of its requests has failed.
MAX_ERROR_RATE = _number("MAX_ERROR_RATE", 0.5, kind=float)
# Bounded run time, in seconds (fits a 30-minute cron period); 0 = unbounded.
RUN_TIME_LIMIT = _number("RUN_TIME_LIMIT", 1500)
CLOSESPIDER_TIMEOUT = RUN_TIME_LIMIT
LOCK_DIR = _text("LOCK_DIR", str(Path(VAR_DIR) / "locks"))
LOG_FILE = _text("LOG_FILE", "") or None

SPIDER_MIDDLEWARES = {
    "crawler.paramfilter.ParamFilterMiddleware": 960,  # before incremental: it sees clean URLs
    "crawler.middlewares.IncrementalMiddleware": 950,
}
EXTENSIONS = {
    "crawler.runs.RunRecorder": 100,
}
# Pages rejected as not articles are not downloaded again for this many days.
REJECTED_RECHECK_DAYS = _number("REJECTED_RECHECK_DAYS", 7.0, kind=float)
# A URL parameter is irrelevant for a host once canonicals dropped it on this many pages.
PARAMS_MIN_PAGES = _number("PARAMS_MIN_PAGES", 3, minimum=1)

# --- Distributed mode (README "Scaling out"; logic in crawler/distributed.py) ----------------
# REDIS_URL switches a run to distributed mode: every worker with the same REDIS_URL, MONGO_URI
# and catalogue shares one crawl per site through scrapy-redis. Unset, nothing here applies and
# Redis is never imported.
REDIS_URL = _text("REDIS_URL", "")
if REDIS_URL:
    REDIS_KEY_PREFIX = _text("REDIS_KEY_PREFIX", "newscrawl")
    SCHEDULER = "crawler.distributed.RoundScheduler"
    SCHEDULER_PERSIST = True
    SCHEDULER_QUEUE_KEY = f"{REDIS_KEY_PREFIX}:%(spider)s:requests"
    SCHEDULER_DUPEFILTER_KEY = f"{REDIS_KEY_PREFIX}:%(spider)s:dupefilter:%(round)s"
    # A worker exits once the shared queue has been empty, with nothing in flight anywhere, this long.
    SCHEDULER_IDLE_BEFORE_CLOSE = _number("SCHEDULER_IDLE_BEFORE_CLOSE", 10.0, kind=float)
    # A worker silent this long is dead: its in-flight requests go back to the queue.
    REDIS_WORKER_TIMEOUT = _number("REDIS_WORKER_TIMEOUT", 30.0, kind=float, minimum=1)
    # An open round (and its duplicate filter) that no worker touches for this long expires.
    REDIS_ROUND_TTL = _number("REDIS_ROUND_TTL", 86400, minimum=60)
    # Take from the shared queue only what can be downloaded at once; store each article at once,
    # so that a killed worker's unfinished requests are exactly its in-flight ones.
    CONCURRENT_REQUESTS = _number("CONCURRENT_REQUESTS", CONCURRENT_REQUESTS_PER_DOMAIN, minimum=1)
    STORE_BATCH_SIZE = _number("STORE_BATCH_SIZE", 1, minimum=1)
    SPIDER_MIDDLEWARES = {**SPIDER_MIDDLEWARES, "crawler.distributed.SeedOncePerRound": 30}
    EXTENSIONS = {**{k: v for k, v in EXTENSIONS.items() if k != "crawler.runs.RunRecorder"},
                  "crawler.distributed.RoundRunRecorder": 100}
# --- end of distributed mode
