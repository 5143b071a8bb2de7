"""The database owner: one connection per crawl, and a crawl that stops cleanly without one."""

from __future__ import annotations

import sys

from tests.conftest import _command_runner

# A crawl started without the commands' pre-flight check (a script using CrawlerProcess).
_CRAWL = """
import os
os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
process = CrawlerProcess(get_project_settings())
crawler = process.create_crawler("fixture_fr")
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
print(stats.get("finish_reason"), stats.get("newscrawl/status"), stats.get("downloader/request_count"))
"""


def test_an_unreachable_database_stops_the_crawl_with_one_line_and_no_request(tmp_path, mongo_uri):
    run = _command_runner([sys.executable, "-c", _CRAWL], mongo_uri, "unused", tmp_path)
    result = run(env={"MONGO_URI": "mongodb://crawler:hunter2@127.0.0.1:9/",
                      "MONGO_TIMEOUT_MS": "300"}, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["database_unavailable", "failed", "None"]
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert "cannot reach MongoDB at mongodb://crawler:***@127.0.0.1:9/" in errors[0]
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
