"""Cost of the listing teasers' dates (issue 23) on the eval pages: `python bench/bench_teasers.py`.

Times, per page, `page_links` alone (what the `news` reader ran before) and `page_links`
collecting the date elements in its walk plus the teaser dates of the article-looking links
(`crawler.reading.reader._link_dates`), best and median of 5 passes over ../shared/eval.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Imported after the path tweak so that the script runs from any directory.
from crawler.reading.listing import page_links  # noqa: E402
from crawler.reading.reader import PageJob, _link_dates, page_of  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def pages() -> list[tuple[PageJob, Any]]:
    now = dt.datetime.now(dt.UTC)
    found = []
    for part in ("dev", "wide"):
        for line in (EVAL / part / "truth.jsonl").read_text().splitlines():
            record = json.loads(line)
            host = urlsplit(record["url"] or "").hostname
            if not host:
                continue
            job = PageJob(record["url"], (EVAL / part / record["file"]).read_bytes(), "utf-8",
                          now, {}, domains=(host,), article=False, links=True)
            page, _ = page_of(job)
            if page.tree is not None:
                found.append((job, page))
    return found


def with_dates(job: PageJob, page: Any) -> dict[str, dt.datetime]:
    elements: list[Any] = []
    page_links(page.tree, dates=elements)
    return _link_dates(job, elements)


def timed(read: Callable[[PageJob, Any], object], jobs: list[tuple[PageJob, Any]]
          ) -> tuple[float, float]:
    passes = []
    for _ in range(5):
        start = time.perf_counter()
        for job, page in jobs:
            read(job, page)
        passes.append((time.perf_counter() - start) / len(jobs) * 1000)
    return min(passes), statistics.median(passes)


def main() -> None:
    jobs = pages()
    before = timed(lambda job, page: page_links(page.tree), jobs)
    after = timed(with_dates, jobs)
    dated = [with_dates(job, page) for job, page in jobs]
    print(f"{len(jobs)} pages: page_links {before[0]:.3f} ms (median {before[1]:.3f}); with the "
          f"teaser dates {after[0]:.3f} ms (median {after[1]:.3f}); {sum(map(bool, dated))} "
          f"pages with dated links, {sum(map(len, dated))} dated links")


if __name__ == "__main__":
    main()
