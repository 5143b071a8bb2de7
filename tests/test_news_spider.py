"""The no-config `news` spider on a generated site of 300 articles it has no entry for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import StaticSite
from tests.conftest import ROOT
from tests.sitegen import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, list[Any]]]:
    root = tmp_path_factory.mktemp("gensite")
    articles = generate(root, count=300)
    with StaticSite(root) as site:
        yield site, articles


def crawl_news(site: StaticSite, tmp: Path, *args: str) -> tuple[list[str], dict[str, Any]]:
    out, stats = tmp / "items.jsonl", tmp / "stats.json"
    env = {**os.environ, "LOG_LEVEL": "INFO", "VAR_DIR": str(tmp / "var")}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.crawl_driver", str(out), str(stats), "news",
         "-a", f"url={site.base_url}/", "-a", "max_pages=1500", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    urls = [json.loads(line)["url"] for line in out.read_text().splitlines()] if out.exists() else []
    paths = [u.split(str(site.port), 1)[1] for u in urls]
    return paths, json.loads(stats.read_text())["news"]


@pytest.mark.parametrize("sources", ["sections,feeds,sitemaps", "sections"])
def test_news_spider_stores_the_articles_and_nothing_else(generated, tmp_path, sources):
    site, articles = generated
    paths, stats = crawl_news(site, tmp_path, "-a", f"sources={sources}")
    expected = {a.path for a in articles}
    assert len(paths) == len(set(paths)), "an article was stored twice"
    assert set(paths) <= expected, f"not articles stored: {sorted(set(paths) - expected)[:5]}"
    assert len(set(paths)) >= 0.95 * len(expected), (len(paths), stats)
    assert stats["news/guess/article"] > 0 and stats["news/guess/listing"] > 0
    assert not any(p.startswith("/recherche") for p in site.paths()), "robots.txt not obeyed"


def test_news_spider_respects_max_pages(generated, tmp_path):
    site, _ = generated
    site.clear_log()
    out, stats = tmp_path / "items.jsonl", tmp_path / "stats.json"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.crawl_driver", str(out), str(stats), "news",
         "-a", f"url={site.base_url}/", "-a", "max_pages=30", "-a", "sources=sections"],
        cwd=ROOT, env={**os.environ, "VAR_DIR": str(tmp_path / "var")},
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = [p for p in site.paths() if p != "/robots.txt"]
    assert len(pages) <= 30
