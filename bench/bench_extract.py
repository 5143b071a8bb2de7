"""Median extraction time per page: ArticlePage (metadata + body + dates) vs trafilatura.

    python bench/bench_extract.py [--manifest DEV.jsonl WIDE.jsonl ...] [--rounds 3]

Both run in this process on the same pages, interleaved page by page so that machine load
affects them alike; each page is timed `--rounds` times and the best of its rounds kept. The
floor (issue 14) is ours <= 0.35 x trafilatura's `bare_extraction(html, url=..., with_metadata=True)`,
over all pages of all manifests (default: ../shared/eval/dev and ../shared/eval/wide). Our time
includes the trafilatura / htmldate second opinion on the pages where it is called.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract.batch import extract_html  # noqa: E402 - after the path set-up above

DEFAULT_MANIFESTS = [ROOT.parent / "shared" / "eval" / name / "truth.jsonl" for name in ("dev", "wide")]
FLOOR = 0.35


def _pages(manifest: Path) -> list[tuple[str, str]]:
    pages = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            html = (manifest.parent / entry["file"]).read_text(encoding="utf-8", errors="replace")
            pages.append((entry["url"], html))
    return pages


def _best_time(function, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, nargs="+", default=DEFAULT_MANIFESTS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    import trafilatura

    pages = [page for manifest in args.manifest for page in _pages(manifest)]
    fetched_at = datetime.now(UTC)
    # warm-up: imports, regex compilation and dateparser's language data are one-off costs
    for url, html in pages[:3]:
        extract_html(html, url, fetched_at=fetched_at)
        trafilatura.bare_extraction(html, url=url, with_metadata=True)

    ours, theirs = [], []
    for url, html in pages:
        ours.append(_best_time(
            lambda h=html, u=url: extract_html(h, u, fetched_at=fetched_at), args.rounds))
        theirs.append(_best_time(
            lambda h=html, u=url: trafilatura.bare_extraction(h, url=u, with_metadata=True),
            args.rounds))
    ours_ms = statistics.median(ours) * 1000
    theirs_ms = statistics.median(theirs) * 1000
    ratio = ours_ms / theirs_ms
    print(f"pages={len(pages)}  newscrawl median={ours_ms:.1f} ms  "
          f"trafilatura median={theirs_ms:.1f} ms  ratio={ratio:.2f}  "
          f"({'OK' if ratio <= FLOOR else 'ABOVE'} floor {FLOOR:.2f})")
    return 0 if ratio <= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
