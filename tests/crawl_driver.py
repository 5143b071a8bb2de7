"""Run catalogue spiders in one process, without the database, for the fixture tests.

    python -m tests.crawl_driver OUT.jsonl STATS.json SITE [SITE ...] [-a NAME=VALUE ...]

Items go to OUT.jsonl (after validate -> dates -> date window -> dedupe); each spider's stats to
STATS.json. SITES_FILE in the environment points at the rewritten catalogue entries.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    out, stats_path, *rest = argv
    keys, spider_args = [], {}
    while rest:
        token = rest.pop(0)
        if token == "-a":
            name, _, value = rest.pop(0).partition("=")
            spider_args[name] = value
        else:
            keys.append(token)
    settings = get_project_settings()
    pipelines = {k: v for k, v in settings.getdict("ITEM_PIPELINES").items()
                 if not k.endswith("StorePipeline")}
    pipelines["crawler.pipelines.window.DateWindowPipeline"] = 250
    settings.set("ITEM_PIPELINES", pipelines)
    settings.set("INCREMENTAL_ENABLED", False)
    settings.set("SPIDER_MIDDLEWARES", {})
    settings.set("EXTENSIONS", {})
    settings.set("AUTOTHROTTLE_ENABLED", False)
    settings.set("ALLOW_PRIVATE_ADDRESSES", True)  # the fixture sites are on 127.0.0.1
    settings.set("FEEDS", {out: {"format": "jsonlines"}})
    process = CrawlerProcess(settings)
    crawlers = []
    for key in keys:
        crawler = process.create_crawler(key)
        crawlers.append(crawler)
        process.crawl(crawler, **spider_args)
    process.start()
    with open(stats_path, "w", encoding="utf-8") as handle:
        json.dump({c.spider.name if c.spider else "?": c.stats.get_stats() if c.stats else {}
                   for c in crawlers}, handle, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
