"""CPU experiments on the generated site's pages: `python bench/experiments.py [SITE]`.

Each experiment times a crawler function as it is and with a bench-only monkeypatch (the change
we would make in crawler/), on the same pages, in the same process, and checks that both give
the same result. SITE is a folder written by bench/sitegen.py (default var/bench/sites/site-500).

listing-cache
    `SectionPage.links()` canonicalises every href of a listing page (about 260, most of them
    the same navigation, footer and most-read links on every page). Patched: `canonical_url`
    behind an LRU cache in `crawler.pages`.
language-fast
    `detect_language` runs `findall` over 4,000 characters once for letters and once per
    non-Latin script. Patched: letters counted with `str.isalpha`, one regex for all non-Latin
    scripts, the per-script counts only when it matches.
"""

from __future__ import annotations

import functools
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import BENCH_SITE_KEY, ROOT, SECTIONS, write_sites_file


def _median_ms(call: Callable[[], object], rounds: int) -> float:
    call()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def listing_cache(site: Path) -> tuple[float, float]:
    from scrapy.http import HtmlResponse

    from crawler import pages
    from crawler.sites import load_catalogue

    base = "http://127.0.0.1:8080"
    sites_file = write_sites_file(Path("/tmp") / "newscrawl-experiment-sites.toml", base)
    entry = load_catalogue([sites_file])[BENCH_SITE_KEY]
    files = sorted(p for s in SECTIONS for p in (site / s).rglob("index.html"))
    bodies = [(f"{base}/{p.parent.relative_to(site)}/", p.read_bytes()) for p in files]

    def run() -> list[Any]:
        return [pages.SectionPage(url, HtmlResponse(url, body=body, encoding="utf-8"),
                                  entry).links() for url, body in bodies]

    before_result = run()
    before = _median_ms(run, 5) / len(bodies)
    original = pages.canonical_url
    pages.canonical_url = functools.lru_cache(maxsize=1 << 16)(original)  # type: ignore[assignment]
    try:
        after_result = run()
        after = _median_ms(run, 5) / len(bodies)
    finally:
        pages.canonical_url = original
    assert before_result == after_result, "the cache changed the links"
    return before, after


_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff"
                        r"\uac00-\ud7af\u0e00-\u0e7f\u0900-\u097f\u0370-\u03ff]")


def language_fast(site: Path) -> tuple[float, float]:
    from crawler.extract import language
    from crawler.extract.page import ArticlePage

    files = sorted((site / "articles").glob("*/index.html"))[:60]
    texts = [ArticlePage(f"http://127.0.0.1/{p.parent.name}", p.read_text()).body[:4000]
             for p in files]
    original = language.detect_language
    scripts = language._SCRIPTS

    def fast(text: str) -> tuple[str | None, float]:
        sample = text[:4000]
        letters = sum(map(str.isalpha, sample))
        if letters < 40:
            return None, 0.0
        if _NON_LATIN.search(sample):
            for name, script in scripts:
                share = len(script.findall(sample)) / letters
                if share > 0.3:
                    if name == "zh" and re.search(r"[\u3040-\u30ff]", sample):
                        return "ja", share
                    return name, share
        words = [w.lower() for w in language._WORD_RE.findall(sample)]
        if len(words) < 15:
            return None, 0.0
        scores = language.language_scores(words)
        best, best_score = max(scores.items(), key=lambda kv: kv[1])
        return (best, best_score) if best_score >= 0.08 else (None, best_score)

    def run(detect: Callable[[str], tuple[str | None, float]]) -> Callable[[], list[Any]]:
        return lambda: [detect(t) for t in texts]

    assert run(original)() == run(fast)(), "the fast path changed a detection"
    return (_median_ms(run(original), 20) / len(texts), _median_ms(run(fast), 20) / len(texts))


def main() -> None:
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "var" / "bench" / "sites" / "site-500"
    before, after = listing_cache(site)
    print(f"listing-cache   SectionPage.links() per listing page: {before:.2f} ms -> {after:.2f} ms")
    before, after = language_fast(site)
    print(f"language-fast   detect_language per article:          {before:.2f} ms -> {after:.2f} ms")


if __name__ == "__main__":
    main()
