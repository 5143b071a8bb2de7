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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.extensions.database import DatabaseOwner
from crawler.health.drift import DriftThresholds, drift_text, find_drift
from crawler.health.fields import health_from_stats
from crawler.logs import network_summary

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.storage.runs import RunStore

logger = logging.getLogger(__name__)

_DATE_ERRORS = ("unparseable", "future", "before-1995")


def summarise_stats(stats: Mapping[str, Any],
                    previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The figures of a run record, from a crawl's stats (and the previous run's record: a
    section front that answered 304 has the links it had then)."""
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
    before = (previous or {}).get("section_article_links") or {}
    for key in stats:  # crawler/middlewares/conditional.py: not modified, so not read
        section = key.split("/", 2)[2] if key.startswith("listing/section_unchanged/") else None
        if section and section not in sections and isinstance(before.get(section), int):
            sections[section] = before[section]
    # sections crawled with the news heuristics because the entry's patterns no longer fit
    # (crawler/catalogue/fallback.py): {section: {matched, article_like, links, articles}}
    fallback: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "fallback":
            fallback.setdefault(parts[1], {})[parts[2]] = int(value)
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "responses_by_status": responses,
        # failed connections by cause (crawler/middlewares/network.py): dns, refused, timeout, tls, other
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
        # the write-ahead journal (crawler/storage/journal.py): articles accepted, and those the database
        # had not acknowledged when the run ended (kept in the journal for the next run)
        "journalled": int(stats.get("journal/appended", 0)),
        "unwritten": int(stats.get("store/unwritten", 0)),
        "unwritten_file": stats.get("store/unwritten_file"),
        "journal_replayed": {name: int(stats.get(f"journal/replayed/{name}", 0))
                             for name in ("held", "new", "updated", "unchanged")},
        # 429 Too Many Requests and 503 Service Unavailable: the site asked us to come back later
        "throttled": sum(int(stats.get(f"downloader/response_status_count/{code}", 0))
                         for code in (429, 503)),
        "pages_served": int(responses.get("2xx", 0))
                        - int(stats.get("robotstxt/response_status_count/200", 0)),
        "section_article_links": sections,
        "fallback_sections": fallback,
        # the fields of the new articles (crawler/health/fields.py): counts, shares, methods
        "health": health_from_stats(stats),
        # re-runs (crawler/middlewares/conditional.py, incremental.py): requests that carried
        # validators, pages the server said had not changed (304), articles re-fetched because a
        # source said they changed or by the age schedule, listings skipped by their back-off
        "revisits": {"conditional": int(stats.get("conditional/sent", 0)),
                     "not_modified": int(stats.get("conditional/not_modified", 0)),
                     "unexpected_304": int(stats.get("conditional/unexpected_304", 0)),
                     "unstable_etag": int(stats.get("conditional/unstable_etag", 0)),
                     "future_last_modified": int(stats.get("conditional/future_last_modified", 0)),
                     "refresh_changed": int(stats.get("incremental/refresh/changed", 0)),
                     "refresh_age": int(stats.get("incremental/refresh/age", 0)),
                     "listings_backed_off": int(stats.get("listings/backed_off", 0))},
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
    >>> judge_run({"responses": 10, "requests": 10, "throttled": 9, "pages_served": 0},
    ...           "finished", None, max_error_rate=0.5)
    'no page served: the site answered 429/503 (try later) 9 times'
    """
    if figures.get("unwritten"):
        return (f"{figures['unwritten']} articles could not be written to the database; kept in "
                f"{figures.get('unwritten_file')}: the next run of the site loads them, or "
                f"`newscrawl replay`")
    if figures.get("dead_lettered"):
        return (f"{figures['dead_lettered']} articles could not be written to the database; "
                f"load them with `newscrawl replay {figures.get('dead_letter_file')}`")
    if finish_reason == "shutdown":
        return "interrupted"
    requests = figures.get("requests", 0)
    if not figures.get("responses"):

        cause = network_summary({f"network/{k}": v for k, v in
                                 (figures.get("network_errors") or {}).items()})
        return f"no response received: {cause}" if cause else "no response received"
    if figures.get("throttled") and not figures.get("pages_served"):
        return f"no page served: the site answered 429/503 (try later) {figures['throttled']} times"
    failures = figures.get("download_errors", 0) + figures.get("responses_by_status", {}).get("5xx", 0)
    if requests and failures / requests > max_error_rate:
        return f"error rate {failures}/{requests} above {max_error_rate:.0%}"
    before = (previous or {}).get("section_article_links") or {}
    for section, links in (figures.get("section_article_links") or {}).items():
        if links == 0 and before.get(section, 0) > 0:
            return (f"section {section} yielded no article link ({before[section]} in the "
                    f"previous run): has its layout changed?")
    return None


# How often a run notes in its record that it is alive, with its figures so far; a record on
# another host whose heartbeat is older than _STALE_AFTER belongs to a dead run.
HEARTBEAT_SECONDS = 60.0
_STALE_AFTER = dt.timedelta(seconds=10 * HEARTBEAT_SECONDS)


def _aware(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _process_started_at(pid: int) -> dt.datetime | None:
    """When process `pid` started (Linux /proc), None when unknown; raises ProcessLookupError
    when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            raise ProcessLookupError(pid) from None
        return None  # not Linux: the pid check alone
    except (OSError, StopIteration):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        raise ProcessLookupError(pid)
    ticks = int(fields[19])  # field 22, starttime, in clock ticks after boot
    return dt.datetime.fromtimestamp(int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK"),
                                     dt.UTC)


def run_process_gone(record: Mapping[str, Any], *, host: str, now: dt.datetime) -> bool:
    """Whether the process of a `running` record is gone: on this host, no process with its
    pid started before the run did; on another host, no heartbeat for ten intervals."""
    if record.get("host") != host:
        beat = _aware(record.get("heartbeat_at")) or _aware(record.get("started_at"))
        return beat is not None and now - beat > _STALE_AFTER
    pid, started = record.get("pid"), _aware(record.get("started_at"))
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
        process_started = _process_started_at(pid)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        process_started = None
    # the pid was reused by a process that started after the run did (1 s of clock granularity)
    return (process_started is not None and started is not None
            and process_started > started + dt.timedelta(seconds=1))


class RunRecorder:
    """An extension: the run's record in `crawl_runs`, from start to verdict.

    At start it marks `abandoned` the records of this spider left `running` by a process that
    is gone (killed, crashed), with what that run's journal held (the store pipeline loaded it
    just before). While the run goes on it refreshes `heartbeat_at` and its figures every
    HEARTBEAT_SECONDS. A forced stop (a second Ctrl-C or SIGTERM) stops the reactor without
    closing the spider: the record is then written `interrupted` as the reactor shuts down, with
    the figures so far and what the journal holds for the next run.
    """

    # The round recorder (distributed mode) shares one record between workers and says itself
    # which worker was lost.
    marks_abandoned_and_forced_stops = True

    def __init__(self, crawler: Crawler, runs: RunStore | None = None, *,
                 max_error_rate: float, thresholds: DriftThresholds | None = None,
                 baseline_days: float = 30.0) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self._runs = runs
        self.max_error_rate = max_error_rate
        self.run_id = crawler.settings.get("RUN_ID") or uuid.uuid4().hex
        self.stats.set_value("newscrawl/run_id", self.run_id)
        self.started_at = dt.datetime.now(dt.UTC)
        self.previous: dict[str, Any] | None = None
        self.thresholds = thresholds or DriftThresholds()
        self.baseline_days = baseline_days
        self.history: list[dict[str, Any]] | None = None  # earlier runs, newest first (drift)
        self._heartbeat: Any = None
        self._shutdown_trigger: Any = None
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        # The store is looked up when the spider opens: an extension is built before Scrapy
        # answers `get_extension` (DatabaseOwner.of).
        settings = crawler.settings
        thresholds = DriftThresholds(min_articles=settings.getint("HEALTH_MIN_ARTICLES"),
                                     drift_points=settings.getfloat("HEALTH_DRIFT_POINTS"),
                                     baseline_runs=settings.getint("HEALTH_BASELINE_RUNS"))
        recorder = cls(crawler, max_error_rate=settings.getfloat("MAX_ERROR_RATE"),
                       thresholds=thresholds, baseline_days=settings.getfloat("HEALTH_BASELINE_DAYS"))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def attach(self) -> bool:
        """Find the run store on the crawl's database owner; False (nothing recorded) when the
        crawl has no database (the owner has said why and marked the run failed)."""
        if self._runs is None:
            try:
                self._runs = DatabaseOwner.of(self.crawler).runs
            except NotConfigured:
                return False
        return True

    @property
    def runs(self) -> RunStore:
        assert self._runs is not None, "no run store: RunRecorder.attach() first"
        return self._runs

    def spider_opened(self, spider: Spider) -> None:
        if not self.attach():
            return
        if self.marks_abandoned_and_forced_stops:
            self._abandon_dead_runs(run_key(spider))
        self.previous = self.runs.latest(run_key(spider))
        self._load_history(run_key(spider))
        # Did the last run reach the end of its listings? If it was interrupted, killed or cut by
        # the time limit, the incremental middleware paginates again to catch up.
        complete = self.previous is None or (self.previous.get("status") == "ok"
                                             and self.previous.get("finish_reason") == "finished")
        self.stats.set_value("newscrawl/previous_run_complete", complete)
        # ... and did every page it asked for arrive? A listing's validators are worth sending
        # only when every link the last run read from it was followed to the end: after a kill
        # or a failed download, a 304 would hide the links that were never stored
        # (crawler.middlewares.conditional).
        previous = self.previous or {}
        clean = complete and not previous.get("download_errors") and not (
            previous.get("responses_by_status") or {}).get("5xx")
        self.stats.set_value("newscrawl/previous_run_clean", clean)
        self.runs.start({
            "run_id": self.run_id, "spider": run_key(spider), "spider_name": spider.name,
            "host": socket.gethostname(),
            "pid": os.getpid(), "started_at": self.started_at, "status": "running",
            "heartbeat_at": self.started_at,
        })
        if self.marks_abandoned_and_forced_stops:
            from twisted.internet import reactor, task

            self._heartbeat = task.LoopingCall(self._beat)
            self._heartbeat.start(HEARTBEAT_SECONDS, now=False)
            core: Any = reactor  # twisted's IReactorCore stubs declare methods without self
            self._shutdown_trigger = core.addSystemEventTrigger(
                "before", "shutdown", self._reactor_shutting_down)

    def _load_history(self, spider: str) -> None:
        """The source's earlier runs of the baseline window, for the drift verdict at close."""
        since = self.started_at - dt.timedelta(days=self.baseline_days)
        try:
            self.history = self.runs.history(spider, since=since, excluding=self.run_id,
                                             min_health_articles=self.thresholds.min_articles)
        except Exception as exc:  # the run goes on; it judges no drift
            logger.warning("could not read the earlier runs of %s: %s", spider, exc)
            self.history = None

    def judge_drift(self, source: str, figures: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The run's drift from the source's recent good runs (None: not judged), each drift
        logged once as a WARNING and listed under `newscrawl/drift` for the summary line."""
        if self.history is None:
            return None
        drift = find_drift(figures, self.history, self.thresholds)
        for entry in drift or ():
            logger.warning("data drift in %s: %s", source, drift_text(entry))
        if drift:
            self.stats.set_value("newscrawl/drift", [drift_text(entry) for entry in drift])
        return drift

    def _abandon_dead_runs(self, spider: str) -> None:
        now, host = dt.datetime.now(dt.UTC), socket.gethostname()
        try:
            running = self.runs.running(spider, excluding=self.run_id)
        except Exception as exc:  # the crawl goes on; the stale records wait for the next run
            logger.warning("could not look for abandoned runs of %s: %s", spider, exc)
            return
        for record in running:
            if record.get("distributed") or not run_process_gone(record, host=host, now=now):
                continue
            journal = record.get("journal") or {}
            held = int(journal.get("held", 0))
            reason = (f"abandoned: its process (pid {record.get('pid')} on {record.get('host')}) "
                      f"ended without finishing the run; its journal held {held} articles not "
                      f"yet written, loaded by run {self.run_id}")
            if self.runs.set_if(record["run_id"], {"status": "running"}, {
                    "status": "abandoned", "failed": True, "failure_reason": reason,
                    "finish_reason": "abandoned", "abandoned_at": now,
                    "abandoned_by": self.run_id, "journal": {"held": held, **journal}}):
                self.stats.inc_value("newscrawl/abandoned_runs")
                logger.warning("run %s of %s was %s", record["run_id"], spider, reason)

    def _beat(self) -> None:
        figures = summarise_stats(self.stats.get_stats(), self.previous)
        try:
            self.runs.finish(self.run_id, {"heartbeat_at": dt.datetime.now(dt.UTC),
                                           "requests": figures["requests"],
                                           "responses": figures["responses"],
                                           "articles": figures["articles"],
                                           "journalled": figures["journalled"]})
        except Exception as exc:  # a missed beat only delays an abandoned-run verdict elsewhere
            logger.warning("could not refresh the run record %s: %s", self.run_id, exc)

    def _stop_timers(self) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self._shutdown_trigger is not None:
            from twisted.internet import reactor

            core: Any = reactor  # see spider_opened
            core.removeSystemEventTrigger(self._shutdown_trigger)
            self._shutdown_trigger = None

    def _reactor_shutting_down(self) -> None:
        """The reactor stops before the spider closed: a forced stop (second Ctrl-C / SIGTERM)."""
        self._shutdown_trigger = None
        if self._closed:
            return
        self._stop_timers()
        pending = int(self.stats.get_value("journal/pending", 0))
        reason = ("forced stop before the run finished"
                  + (f": {pending} articles journalled, not yet written, loaded by the next run"
                     if pending else ""))
        self._finish("killed", reason, status="interrupted")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._closed = True
        if self._runs is None:
            return
        self._stop_timers()
        figures = summarise_stats(self.stats.get_stats(), self.previous)
        failure = judge_run(figures, reason, self.previous, max_error_rate=self.max_error_rate)
        status = "interrupted" if reason == "shutdown" else ("failed" if failure else "ok")
        # a failed or interrupted run is loud already; its empty figures are no data change
        drift = self.judge_drift(run_key(spider), figures) if status == "ok" else None
        self._finish(reason, failure, status=status, extra={"drift": drift})
        if failure:
            logger.error("run %s of %s failed: %s", self.run_id, spider.name, failure)

    def _finish(self, reason: str, failure: str | None, *, status: str,
                extra: Mapping[str, Any] | None = None) -> None:
        finished_at = dt.datetime.now(dt.UTC)
        duration = round((finished_at - self.started_at).total_seconds(), 3)
        record = {
            **summarise_stats(self.stats.get_stats(), self.previous),
            "finished_at": finished_at,
            "finish_reason": reason,
            "duration_s": duration,
            "status": status,
            "failed": failure is not None,
            "failure_reason": failure,
            "drift": None,
            **(extra or {}),
        }
        self.stats.set_value("newscrawl/status", status)
        self.stats.set_value("newscrawl/failure_reason", failure)
        self.stats.set_value("newscrawl/duration_s", duration)
        try:
            self.runs.finish(self.run_id, record)
        except Exception as exc:  # the articles are stored; losing the record is logged
            logger.error("could not write the run record %s: %s", self.run_id, exc)
