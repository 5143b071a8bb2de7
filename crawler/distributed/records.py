"""One run record per round: each worker's figures, the round's totals and verdict."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from crawler.distributed.connection import worker_id
from crawler.extensions.runs import RunRecorder, judge_run, run_key, summarise_stats
from crawler.health.fields import with_shares
from crawler.storage.documents import SCHEMA_VERSION

if TYPE_CHECKING:
    from scrapy import Spider

logger = logging.getLogger(__name__)


def merge_figures(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum run-record figures: numbers add up, nested mappings add up key by key.

    >>> merge_figures([{"requests": 3, "articles": {"new": 2}, "dropped": {}},
    ...                {"requests": 4, "articles": {"new": 1, "updated": 1}, "dropped": {"x": 1}}])
    {'requests': 7, 'articles': {'new': 3, 'updated': 1}, 'dropped': {'x': 1}}
    """
    total: dict[str, Any] = {}
    for entry in entries:
        for key, value in entry.items():
            if isinstance(value, Mapping):
                before = total.get(key)
                total[key] = merge_figures([before if isinstance(before, Mapping) else {}, value])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


_FIGURES = ("requests", "responses", "responses_by_status", "articles", "dropped",
            "date_parse_failures", "errors", "download_errors", "section_article_links",
            "revisits", "health")


class RoundRunRecorder(RunRecorder):
    """One run record per round: `run_id` is the round id; each worker `$set`s its figures under
    `workers.<worker id>` and recomputes the round's totals; once the round has ended they carry
    its verdict. A worker that found nothing left to do has not failed."""

    marks_abandoned_and_forced_stops = False  # a lost worker is marked `lost` by the others

    def spider_opened(self, spider: Spider) -> None:
        if not self.attach():
            return
        self.run_id = self.stats.get_value("newscrawl/run_id") or self.run_id
        self.worker = self.stats.get_value("distributed/worker") or worker_id()
        self.previous = self.runs.latest(run_key(spider), excluding=self.run_id)
        entry = {"host": socket.gethostname(), "pid": os.getpid(), "started_at": self.started_at,
                 "status": "running", "seeded": bool(self.stats.get_value("distributed/seeded"))}
        self._update({"$setOnInsert": {
            "run_id": self.run_id, "spider": run_key(spider), "host": entry["host"], "distributed": True,
            "started_at": self.started_at, "status": "running", "schema_version": SCHEMA_VERSION,
        }, "$set": {f"workers.{self.worker}": entry}}, upsert=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self.attach():
            return
        finished_at = dt.datetime.now(dt.UTC)
        stats = self.stats.get_stats()
        figures = summarise_stats(stats, self.previous)
        figures["recovered_requests"] = int(stats.get("distributed/recovered", 0))
        nothing_to_do = reason == "finished" and figures["requests"] == 0
        failure = None if nothing_to_do else judge_run(figures, reason, self.previous,
                                                       max_error_rate=self.max_error_rate)
        if failure is None and stats.get("distributed/redis_errors"):
            failure = (f"Redis failed {stats['distributed/redis_errors']} times: "
                       "the round may be incomplete")
        status = "interrupted" if reason == "shutdown" else ("failed" if failure else "ok")
        self.stats.set_value("newscrawl/status", status)
        self.stats.set_value("newscrawl/failure_reason", failure)
        entry = {
            "host": socket.gethostname(), "pid": os.getpid(), "started_at": self.started_at,
            "seeded": bool(stats.get("distributed/seeded")), **figures,
            "finished_at": finished_at, "finish_reason": reason,
            "duration_s": round((finished_at - self.started_at).total_seconds(), 3),
            "status": status, "failed": failure is not None, "failure_reason": failure,
        }
        updates: dict[str, Any] = {f"workers.{self.worker}": entry}
        for key, count in stats.items():
            if key.startswith("distributed/recovered_from/"):
                lost = key.rsplit("/", 1)[1]
                updates[f"workers.{lost}.status"] = "lost"
                updates[f"workers.{lost}.requeued_requests"] = int(count)
        try:
            self._update({"$set": updates, "$inc": {"closed_workers": 1}})
            self._update_round(spider, ended=bool(stats.get("distributed/round_ended")))
        except Exception as exc:  # the articles are stored; losing the record is logged
            logger.error("could not write the run record %s: %s", self.run_id, exc)
        if failure:
            logger.error("worker %s of round %s of %s failed: %s", self.worker, self.run_id,
                         spider.name, failure)

    def _update(self, update: Mapping[str, Any], *, upsert: bool = False) -> None:
        self.runs.update(self.run_id, update, upsert=upsert)

    def _update_round(self, spider: Spider, *, ended: bool) -> None:
        """Totals over the workers that closed; the write is conditional on no other worker having
        closed meanwhile (that one writes fresher totals itself)."""
        for _ in range(5):
            record = self.runs.get(self.run_id) or {}
            done = [w for w in (record.get("workers") or {}).values() if "finished_at" in w]
            totals = merge_figures({k: w[k] for k in _FIGURES if k in w} for w in done)
            if isinstance(totals.get("health"), Mapping):  # summed counts: shares recomputed
                totals["health"] = with_shares(totals["health"])
            fields: dict[str, Any] = {**totals, "workers_count": len(record.get("workers") or {})}
            if ended or record.get("round_ended"):
                finished_at = max(w["finished_at"] for w in done)
                failure = judge_run(totals, "finished", self.previous,
                                    max_error_rate=self.max_error_rate)
                started_at = record.get("started_at") or self.started_at
                fields.update(
                    round_ended=True, finished_at=finished_at, finish_reason="finished",
                    duration_s=round((finished_at - started_at).total_seconds(), 3),
                    status="failed" if failure else "ok", failed=failure is not None,
                    failure_reason=failure,
                )
            if self.runs.set_if(self.run_id, {"closed_workers": record.get("closed_workers")},
                                fields):
                if fields.get("failed"):
                    logger.error("round %s of %s failed: %s", self.run_id, spider.name,
                                 fields["failure_reason"])
                return
