"""The newscrawl settings add-on (Scrapy `ADDONS`): every default once, checks, derived settings.

`SETTINGS` is the one table of newscrawl's operator settings (README, "Settings"): name ->
default, type and lower bound. `read_environment` (the only reader of `os.environ`; importing
`crawler/settings.py` reads nothing) puts an environment variable's value in the settings at the
`project` priority, below `-s` and `custom_settings`, after `parse_setting` has checked it, and
warns once about a variable that looks like a misspelt setting. `NewscrawlAddon` then works on
the *final* settings, whatever set them (environment, `-s`, `custom_settings`):

1. writes each default at the `addon` priority, so anything the operator set wins;
2. checks and types every value (`-s CONCURRENT_REQUESTS=lots` stops like the environment variable
   does, with one line naming the setting);
3. derives the settings that follow from others: `CLOSESPIDER_TIMEOUT` from `RUN_TIME_LIMIT`,
   `DEAD_LETTER_DIR`, `JOURNAL_DIR`, `ARCHIVE_DIR` and `LOCK_DIR` from `VAR_DIR`, and, when
   `REDIS_URL` is set, the distributed scheduler, its keys and components (README, "Scaling
   out"). A derived setting the operator set himself is left alone.

It runs twice: `update_pre_crawler_settings` on the process's settings (the environment is read
there, so that `LOG_LEVEL`, `LOG_FILE` and `SITES_FILE` hold before logging and the spider
loader start), and `update_settings` on each crawler's (which add the spider's `custom_settings`
and what `newscrawl crawl` sets per site). Both passes are the same idempotent function. A
`scrapy` command that builds no crawler process (`scrapy list`) gets the environment from the
spider loader (`crawler.spiders.loader`).

To add a setting: one row in `SETTINGS`, one row in the README table; read it in the component
with `settings.getint(NAME)` (no fallback default there). `tests/test_settings.py` checks that
the environment, `-s` and `custom_settings` give the same value for every README row.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.misc import load_object

from crawler.errors import SettingError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

ADDON_PRIORITY = SETTINGS_PRIORITIES["addon"]


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_flag(value: Any) -> bool | None:
    """True, False, or None when `value` is not a flag (the caller decides what that means).

    >>> parse_flag(" Yes "), parse_flag("0"), parse_flag(True), parse_flag("perhaps")
    (True, False, True, None)
    """
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class Setting:
    default: Any
    kind: type = str  # str, int, float or bool
    minimum: float = 0
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # for a str: the only values allowed (compared upper-case)
    pattern: str = ""  # for a str: a regular expression the whole value must match
    meaning: str = ""  # what `pattern` stands for, for the message


# MongoDB's naming rules (a name the server refuses fails every write, with pymongo's InvalidName).
_DATABASE_NAME = Setting("newscrawl", pattern=r'[^/\\. "$*<>:|?\x00]{1,63}',
                         meaning="a MongoDB database name (1 to 63 characters, none of /\\. \"$*<>:|?)")


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


_COLLECTION = r"(?!system\.)[^$\x00]{1,120}"
_COLLECTION_MEANING = "a MongoDB collection name (no $, not starting with system.)"

# The README "Settings" tables, in their order. Defaults live here and nowhere else.
SETTINGS: dict[str, Setting] = {
    # Database. Empty MONGO_URI = the embedded default: an nx-27017 server under VAR_DIR.
    "MONGO_URI": Setting(""),
    "MONGO_DATABASE": _DATABASE_NAME,
    "MONGO_COLLECTION": Setting("articles", pattern=_COLLECTION, meaning=_COLLECTION_MEANING),
    "MONGO_RUNS_COLLECTION": Setting("crawl_runs", pattern=_COLLECTION,
                                     meaning=_COLLECTION_MEANING),
    "MONGO_TIMEOUT_MS": Setting(5000, int, 100, 600_000),
    # Relative to the working directory (made absolute once): beside the package it was not
    # writable from an installed wheel or a Scrapyd egg; `make crawl` runs from the checkout.
    "VAR_DIR": Setting("var"),
    "EMBEDDED_DB_PORT": Setting(27117, int, 1, 65535),
    "STORE_BATCH_SIZE": Setting(100, int, 1),
    "STORE_FLUSH_SECONDS": Setting(5.0, float, 0.1),
    # How long a write is retried while the database is away before its articles go to the
    # dead-letter file for `newscrawl replay`.
    "STORE_RETRY_SECONDS": Setting(60.0, float),
    "DEAD_LETTER_DIR": Setting(""),  # empty: $VAR_DIR/dead-letter
    # The write-ahead journal of each run (crawler/storage/journal.py); off only to measure its cost.
    "JOURNAL_ENABLED": Setting(True, bool),
    "JOURNAL_DIR": Setting(""),  # empty: $VAR_DIR/journal
    # The raw record (crawler/archive/, crawler/extensions/archive.py): article pages in WARC files.
    "ARCHIVE_ENABLED": Setting(True, bool),
    "ARCHIVE_DIR": Setting(""),  # empty: $VAR_DIR/archive
    "ARCHIVE_LISTINGS": Setting(False, bool),  # feeds, sitemaps and listing pages too
    "ARCHIVE_FILE_MB": Setting(100.0, float, 0.01),  # a file is closed, and the next opened, past this
    "ARCHIVE_MAX_GB": Setting(0.0, float),  # oldest files removed past this; 0: no limit
    "ARCHIVE_MAX_AGE_DAYS": Setting(0.0, float),  # files older than this removed; 0: no limit
    # Extra catalogue files merged over the built-in crawler/catalogue/sites.toml (os.pathsep-separated).
    "SITES_FILE": Setting(""),
    "LOG_LEVEL": Setting("INFO", choices=LOG_LEVELS),
    "LOG_FILE": Setting(""),  # empty: stderr
    "USER_AGENT": Setting(
        "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; tech-news archive crawler)"),
    "ROBOTSTXT_OBEY": Setting(True, bool),
    "CONCURRENT_REQUESTS": Setting(16, int, 1),
    "CONCURRENT_REQUESTS_PER_DOMAIN": Setting(4, int, 1),
    # Items are cheap to process but Scrapy's default of 100 in flight per response costs CPU
    # (measured ~1.4x per page on 80 KB pages); articles yield one item per response anyway.
    "CONCURRENT_ITEMS": Setting(8, int, 1),
    # Pages read (parsed, extracted) in worker processes beside the crawl (crawler/reading/pool.py),
    # once the crawl has read EXTRACT_PROCESSES_AFTER article pages itself; 0: all in process.
    "EXTRACT_PROCESSES": Setting(1, int, 0, 64),
    "EXTRACT_PROCESSES_AFTER": Setting(20, int),
    "DOWNLOAD_DELAY": Setting(0.0, float, 0, 3600),
    "DOWNLOAD_TIMEOUT": Setting(30, int, 1, 3600),
    "DOWNLOAD_MAXSIZE": Setting(10 * 1024 * 1024, int, 1024),
    "DOWNLOAD_WARNSIZE": Setting(2 * 1024 * 1024, int, 1024),
    # Catalogue sites, links and redirects to private, loopback or link-local addresses are
    # refused (crawler.middlewares.security.PrivateAddressMiddleware); true allows them, for local testing.
    "ALLOW_PRIVATE_ADDRESSES": Setting(False, bool),
    "RETRY_TIMES": Setting(2, int, 0, 100),
    # Longest wait honoured from a 429/503 Retry-After header, in seconds.
    "RETRY_AFTER_MAX": Setting(120.0, float),
    "RETRY_BACKOFF_SECONDS": Setting(2.0, float),
    "AUTOTHROTTLE_ENABLED": Setting(True, bool),
    "AUTOTHROTTLE_START_DELAY": Setting(1.0, float, 0, 3600),
    "AUTOTHROTTLE_MAX_DELAY": Setting(30.0, float, 0, 3600),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": Setting(2.0, float, 0.1),
    # Default bound of one no-config (`news`) crawl.
    "NEWS_MAX_DEPTH": Setting(3, int),
    "NEWS_MAX_PAGES": Setting(200, int, 1),
    # Sitemap indexes: children followed per index (newest first) and levels of indexes followed.
    "DISCOVERY_MAX_SITEMAPS": Setting(20, int, 1),
    "DISCOVERY_MAX_SITEMAP_DEPTH": Setting(3, int, 1),
    "INCREMENTAL_ENABLED": Setting(True, bool),
    # A stored article is fetched again (conditionally) when its age passes each of these hours
    # (crawler/middlewares/incremental.py); empty: only when a source says it changed.
    "REFRESH_AGES_HOURS": Setting("1,6,24,72", pattern=r"\s*(\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*)?",
                                  meaning="hours separated by commas, such as 1,6,24,72"),
    # A listing page that gave nothing new waits this long before its next visit, doubled per
    # quiet visit, at most LISTING_BACKOFF_MAX_HOURS (crawler/storage/listings.py).
    "LISTING_BACKOFF_HOURS": Setting(1.0, float),
    "LISTING_BACKOFF_MAX_HOURS": Setting(24.0, float),
    # Pages rejected as not articles are not downloaded again for this many days.
    "REJECTED_RECHECK_DAYS": Setting(7.0, float),
    "PARAMS_MIN_PAGES": Setting(3, int, 1),
    # A run whose failed downloads and 5xx responses exceed this share of its requests has failed.
    "MAX_ERROR_RATE": Setting(0.5, float, 0, 1),
    # Bounded run time, in seconds (fits a 30-minute cron period); 0 = unbounded.
    "RUN_TIME_LIMIT": Setting(1500, int),
    "LOCK_DIR": Setting(""),  # empty: $VAR_DIR/locks
    # Superseded versions of changed articles (crawler/storage/revisions.py), and how many are
    # kept per article, the oldest dropped first; 0 keeps none.
    "MONGO_REVISIONS_COLLECTION": Setting("article_revisions", pattern=_COLLECTION,
                                          meaning=_COLLECTION_MEANING),
    "REVISIONS_MAX_PER_ARTICLE": Setting(20, int, 0),
    # Distributed mode (README "Scaling out"): REDIS_URL set = every worker with the same
    # REDIS_URL, MONGO_URI and catalogue shares one crawl per site; unset, the rest is ignored and
    # Redis is never imported.
    "REDIS_URL": Setting(""),
    "REDIS_KEY_PREFIX": Setting("newscrawl"),
    # A worker exits once the shared queue has been empty, with nothing in flight anywhere, this long.
    "SCHEDULER_IDLE_BEFORE_CLOSE": Setting(10.0, float),
    # A worker silent this long is dead: its in-flight requests go back to the queue.
    "REDIS_WORKER_TIMEOUT": Setting(30.0, float, 1),
    # An open round (and its duplicate filter) that no worker touches for this long expires.
    "REDIS_ROUND_TTL": Setting(86400, int, 60),
    "SCHEDULER_QUEUE_KEY": Setting(""),  # empty: <prefix>:%(spider)s:requests
    "SCHEDULER_DUPEFILTER_KEY": Setting(""),  # empty: <prefix>:%(spider)s:dupefilter:%(round)s
    # Data health (crawler/health/): what the new articles of a run hold, and drift from the
    # source's recent good runs.
    "HEALTH_MIN_ARTICLES": Setting(10, int, 1),
    "HEALTH_DRIFT_POINTS": Setting(40.0, float, 0, 100),
    "HEALTH_BASELINE_RUNS": Setting(5, int, 1),
    "HEALTH_BASELINE_DAYS": Setting(30.0, float, 0.01),
    "HEALTH_TRUSTED_CONFIDENCE": Setting(0.7, float, 0, 1),
    "HEALTH_MIN_BODY_WORDS": Setting(50, int, 0),
}


def parse_setting(name: str, value: Any, *, source: str = "") -> Any:
    """`value` (a string from the environment or `-s`, or already typed) as the type of setting
    `name`, or `SettingError` naming it.

    >>> parse_setting("CONCURRENT_REQUESTS", " 8 "), parse_setting("LOG_LEVEL", "debug")
    (8, 'DEBUG')
    >>> parse_setting("RETRY_TIMES", "lots")
    Traceback (most recent call last):
    ...
    crawler.errors.SettingError: newscrawl: bad setting: RETRY_TIMES='lots': expected an integer
    """
    spec = SETTINGS[name]
    where = f"{source}{name}={value!r}"
    if spec.kind is bool:
        flag = parse_flag(value)
        if flag is None:
            raise SettingError(f"{where}: expected true or false").stop()
        return flag
    if spec.kind in (int, float):
        if isinstance(value, bool):
            raise SettingError(f"{where}: expected a number").stop()
        try:
            number = spec.kind(str(value).strip()) if isinstance(value, str) else spec.kind(value)
        except (TypeError, ValueError):
            expected = "an integer" if spec.kind is int else "a number"
            raise SettingError(f"{where}: expected {expected}").stop() from None
        if number != number or number < spec.minimum:  # NaN compares false with everything
            raise SettingError(f"{where}: must be at least {spec.minimum:g}").stop()
        if spec.maximum is not None and number > spec.maximum:
            raise SettingError(f"{where}: must be at most {spec.maximum:g}").stop()
        return number
    text = "" if value is None else str(value).strip()
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise SettingError(f"{where}: expected {spec.meaning}").stop()
    if spec.choices:
        if text.upper() not in spec.choices:
            raise SettingError(f"{where}: expected one of {', '.join(spec.choices)}").stop()
        return text.upper()
    return text


def _derive(settings: BaseSettings, name: str, value: Any) -> None:
    """Set a derived value unless the operator set `name` himself (above the add-on's priority)."""
    if (settings.getpriority(name) or 0) <= ADDON_PRIORITY:
        settings.set(name, value, priority="addon")


def apply(settings: BaseSettings) -> None:
    """Defaults, checks and derived settings on `settings` (idempotent; module docstring)."""
    for name, spec in SETTINGS.items():
        settings.set(name, spec.default, priority="addon")  # below any operator's value
        settings.set(name, parse_setting(name, settings[name]),
                     priority=settings.getpriority(name) or ADDON_PRIORITY)
    var_dir = Path(settings["VAR_DIR"]).expanduser().absolute()
    settings.set("VAR_DIR", str(var_dir), priority=settings.getpriority("VAR_DIR") or ADDON_PRIORITY)
    for name, default in (("DEAD_LETTER_DIR", var_dir / "dead-letter"), ("LOCK_DIR", var_dir / "locks"),
                          ("JOURNAL_DIR", var_dir / "journal"), ("ARCHIVE_DIR", var_dir / "archive")):
        if not settings[name]:
            settings.set(name, str(default), priority=settings.getpriority(name) or ADDON_PRIORITY)
    if not settings["LOG_FILE"]:
        settings.set("LOG_FILE", None, priority=settings.getpriority("LOG_FILE") or ADDON_PRIORITY)
    _derive(settings, "CLOSESPIDER_TIMEOUT", settings.getint("RUN_TIME_LIMIT"))
    if settings["REDIS_URL"]:
        _distributed(settings)


def _distributed(settings: BaseSettings) -> None:
    prefix = settings["REDIS_KEY_PREFIX"]
    if not settings["SCHEDULER_QUEUE_KEY"]:
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests",
                     priority=settings.getpriority("SCHEDULER_QUEUE_KEY") or ADDON_PRIORITY)
    if not settings["SCHEDULER_DUPEFILTER_KEY"]:
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:dupefilter:%(round)s",
                     priority=settings.getpriority("SCHEDULER_DUPEFILTER_KEY") or ADDON_PRIORITY)
    _derive(settings, "SCHEDULER", "crawler.distributed.scheduler.RoundScheduler")
    _derive(settings, "SCHEDULER_PERSIST", True)
    # Take from the shared queue only what can be downloaded at once; store each article at once,
    # so that a killed worker's unfinished requests are exactly its in-flight ones.
    _derive(settings, "CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
    _derive(settings, "STORE_BATCH_SIZE", 1)
    settings.set_in_component_priority_dict(
        "SPIDER_MIDDLEWARES", load_object("crawler.distributed.middleware.SeedOncePerRound"), 30)
    recorder = load_object("crawler.extensions.runs.RunRecorder")
    round_recorder = load_object("crawler.distributed.records.RoundRunRecorder")
    extensions = settings.getdict("EXTENSIONS")
    if any(load_object(path) is recorder and order is not None for path, order in extensions.items()):
        settings.replace_in_component_priority_dict("EXTENSIONS", recorder, round_recorder)


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


def environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings set by non-empty environment variables, typed (`SettingError` naming the
    variable when one is malformed).

    >>> environment_settings({"RETRY_TIMES": " 5 ", "LOG_FILE": "", "HOME": "/root"})
    {'RETRY_TIMES': 5}
    """
    return {name: parse_setting(name, environ[name], source="environment variable ")
            for name in SETTINGS if environ.get(name, "").strip()}


@functools.cache
def _print_once(lines: tuple[str, ...]) -> None:
    # On stderr: the settings are read before Scrapy configures logging, and a misspelt MONGO_URI
    # would otherwise send a whole crawl to the embedded database without a word. Once per
    # process: the process's settings and its spider loader both read the environment.
    for line in lines:
        print(line, file=sys.stderr)


def read_environment(settings: BaseSettings) -> None:
    """Put the environment's settings in `settings` at the `project` priority (where
    `crawler/settings.py` would put them: below `-s` and `custom_settings`)."""
    settings.setdict(environment_settings(os.environ), priority="project")
    _print_once(tuple(misspelt_settings(os.environ)))


class NewscrawlAddon:
    """Enabled in crawler/settings.py: `ADDONS = {"crawler.addon.NewscrawlAddon": 0}`."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewscrawlAddon:
        return cls()

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        read_environment(settings)
        apply(settings)

    def update_settings(self, settings: BaseSettings) -> None:
        apply(settings)
