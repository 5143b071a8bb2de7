"""`scrapy ...` with the bench-only patches of BENCH_PATCHES applied first (see bench/patches.py).

    BENCH_PATCHES=indexed-filters python bench/patched_crawl.py crawl bench_techactu
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.patches import apply

if __name__ == "__main__":
    applied = apply(os.environ.get("BENCH_PATCHES", ""))
    print(f"bench patches applied: {', '.join(applied) or 'none'}", file=sys.stderr, flush=True)
    from scrapy.cmdline import execute

    execute(["scrapy", *sys.argv[1:]])
