"""Run records: one document per spider run in `crawl_runs`, and the verdict failed / ok.

`RunRecorder` (an extension) names the run when the crawler starts (stats key
`newscrawl/run_id`, which the store writes on every article it stores or revises), inserts the
record when the spider opens and completes it when it closes, from the crawl's stats. The verdict
rules live in `judge_run`, a pure function.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.database import DatabaseOwner

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.storage import RunStore

logger = logging.getLogger(__name__)

_DATE_ERRORS = ("unparseable", "future", "before-1995")


def summarise_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of a run record, from a crawl's stats."""
    responses: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("downloader/response_status_count/"):
            status_class = key.rsplit("/", 1)[1][0] + "xx"
            responses[status_class] = responses.get(status_class, 0) + int(value)
    dropped = {
        key.split("/", 2)[2]: int(value)
        for key, value in stats.items()
        if key.startswith(("validate/dropped/", "dedupe/dropped/"))
    }
    for key, reason in (("article/not_article", "not_article"), ("download/too_large", "too_large"),
                        ("security/refused_private", "refused_private"),
                        ("window/dropped_after_download", "outside_window")):
        if stats.get(key):
            dropped[reason] = int(stats[key])
    sections = {
        key.split("/", 2)[2]: int(value)
        for key, value in stats.items() if key.startswith("listing/section_links/")
    }
    # sections crawled with the news heuristics because the entry's patterns no longer fit
    # (crawler/spiders/fallback.py): {section: {matched, article_like, links, articles}}
    fallback: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "fallback":
            fallback.setdefault(parts[1], {})[parts[2]] = int(value)
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "responses_by_status": responses,
        # failed connections by cause (crawler/network.py): dns, refused, timeout, tls, other
        "network_errors": {key.split("/", 1)[1]: int(value) for key, value in stats.items()
                           if key.startswith("network/")},
        "articles": {
            "new": int(stats.get("store/inserted", 0)),
            "updated": int(stats.get("store/updated", 0)),
            "unchanged": int(stats.get("store/unchanged", 0)),
            "skipped_known": int(stats.get("incremental/skipped", 0)),
        },
        "dropped": dropped,
        "date_parse_failures": sum(
            int(v) for k, v in stats.items()
            if k.startswith("dates/") and k.rsplit("/", 1)[1] in _DATE_ERRORS
        ),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "download_errors": int(stats.get("downloader/exception_count", 0)),
        "charset_mismatches": int(stats.get("article/charset_mismatch", 0)),
        "dead_lettered": int(stats.get("store/dead_lettered", 0)),
        "dead_letter_file": stats.get("store/dead_letter_file"),
        "section_article_links": sections,
        "fallback_sections": fallback,
    }


def run_key(spider: Spider) -> str:
    """What a run record is filed under: the `source` of the articles it stores, so that
    `newscrawl stats` shows one row per site and a run is compared with the previous run of the
    same site. A catalogue spider's source is its name; the `news` spider's is its start URL's
    host (`source_key`), not "news" (every `news` crawl would share one history)."""
    return str(getattr(spider, "source_key", None) or spider.name)


def judge_run(figures: Mapping[str, Any], finish_reason: str | None,
              previous: Mapping[str, Any] | None, *, max_error_rate: float) -> str | None:
    """Why the run failed, or None when it did not.

    >>> judge_run({"responses": 0, "requests": 3}, "finished", None, max_error_rate=0.5)
    'no response received'
    >>> judge_run({"responses": 4, "requests": 4, "section_article_links": {"news": 0}},
    ...           "finished", {"section_article_links": {"news": 12}}, max_error_rate=0.5)
    'section news yielded no article link (12 in the previous run): has its layout changed?'
    """
    if figures.get("dead_lettered"):
        return (f"{figures['dead_lettered']} articles could not be written to the database; "
                f"load them with `newscrawl replay {figures.get('dead_letter_file')}`")
    if finish_reason == "shutdown":
        return "interrupted"
    requests = figures.get("requests", 0)
    if not figures.get("responses"):
        from crawler.network import network_summary  # names DNS, refused, timeout, TLS

        cause = network_summary({f"network/{k}": v for k, v in
                                 (figures.get("network_errors") or {}).items()})
        return f"no response received: {cause}" if cause else "no response received"
    failures = figures.get("download_errors", 0) + figures.get("responses_by_status", {}).get("5xx", 0)
    if requests and failures / requests > max_error_rate:
        return f"error rate {failures}/{requests} above {max_error_rate:.0%}"
    before = (previous or {}).get("section_article_links") or {}
    for section, links in (figures.get("section_article_links") or {}).items():
        if links == 0 and before.get(section, 0) > 0:
            return (f"section {section} yielded no article link ({before[section]} in the "
                    f"previous run): has its layout changed?")
    return None


class RunRecorder:
    def __init__(self, crawler: Crawler, runs: RunStore, *, max_error_rate: float) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.runs = runs
        self.max_error_rate = max_error_rate
        self.run_id = crawler.settings.get("RUN_ID") or uuid.uuid4().hex
        self.stats.set_value("newscrawl/run_id", self.run_id)
        self.started_at = dt.datetime.now(dt.UTC)
        self.previous: dict[str, Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        recorder = cls(crawler, DatabaseOwner.of(crawler).runs,
                       max_error_rate=crawler.settings.getfloat("MAX_ERROR_RATE"))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.previous = self.runs.latest(run_key(spider))
        # Did the last run reach the end of its listings? If it was interrupted, killed or cut by
        # the time limit, the incremental middleware paginates again to catch up.
        complete = self.previous is None or (self.previous.get("status") == "ok"
                                             and self.previous.get("finish_reason") == "finished")
        self.stats.set_value("newscrawl/previous_run_complete", complete)
        self.runs.start({
            "run_id": self.run_id, "spider": run_key(spider), "spider_name": spider.name,
            "host": socket.gethostname(),
            "pid": os.getpid(), "started_at": self.started_at, "status": "running",
        })

    def spider_closed(self, spider: Spider, reason: str) -> None:
        finished_at = dt.datetime.now(dt.UTC)
        figures = summarise_stats(self.stats.get_stats())
        failure = judge_run(figures, reason, self.previous, max_error_rate=self.max_error_rate)
        status = "interrupted" if reason == "shutdown" else ("failed" if failure else "ok")
        record = {
            **figures,
            "finished_at": finished_at,
            "finish_reason": reason,
            "duration_s": round((finished_at - self.started_at).total_seconds(), 3),
            "status": status,
            "failed": failure is not None,
            "failure_reason": failure,
        }
        self.stats.set_value("newscrawl/status", status)
        self.stats.set_value("newscrawl/failure_reason", failure)
        try:
            self.runs.finish(self.run_id, record)
        except Exception as exc:  # the articles are stored; losing the record is logged
            logger.error("could not write the run record %s: %s", self.run_id, exc)
        if failure:
            logger.error("run %s of %s failed: %s", self.run_id, spider.name, failure)
