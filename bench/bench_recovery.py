"""Article pages downloaded again after kills (issue 24): with the archive's crash recovery and
without it, on the generated 200-article site (tests/sitegen.py, 30 ms a page).

    .venv/bin/python -m bench.bench_recovery --tries 7

Each try: a fresh database, three crawls SIGKILLed once each has downloaded a random number
(20 to 60) of article pages (the reading worker starts after 20), then a crawl to the end; the
site's access log counts how often each article page was downloaded. Same seeds for both modes.
The bound the issue sets: at most the requests in flight at the kills (16 a kill).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.devserver import StaticSite
from crawler.storage.connection import connect
from crawler.storage.embedded import EmbeddedServer
from tests.conftest import free_port
from tests.sitegen import generate
from tests.test_journal import article_downloads, gen_env, start_run, stored, wait_for_articles


def one_try(site: StaticSite, articles: set[str], uri: str, seed: int, archive: bool,
            work: Path) -> tuple[int, int, int]:
    name = f"recovery_{seed}_{int(archive)}"
    env = gen_env(uri, name, work, site, CONCURRENT_REQUESTS="16",
                  CONCURRENT_REQUESTS_PER_DOMAIN="16", LOG_LEVEL="INFO",
                  ARCHIVE_ENABLED="true" if archive else "false")
    rng = random.Random(seed)
    since = len(site.paths())
    for number in range(3):
        run = start_run(env, work / f"killed{number}.log")
        wait_for_articles(site, len(site.paths()), articles, rng.randint(20, 60), run)
        time.sleep(rng.uniform(0, 0.05))
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate(timeout=30)
    last = start_run(env, work / "last.log")
    last.communicate(timeout=300)
    downloads = Counter(article_downloads(site, since, articles))
    database = connect(uri, name)
    paths = stored(database)
    database.client.drop_database(name)
    return sum(n - 1 for n in downloads.values()), len(paths), len(set(paths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        articles = {a.path for a in generate(root, count=200)}
        server = EmbeddedServer(var_dir=Path(tmp) / "db", port=free_port())
        uri = server.ensure_running()
        try:
            with StaticSite(root, delay=0.03) as site:
                figures: dict[bool, list[int]] = {True: [], False: []}
                for attempt in range(args.tries):
                    for archive in (False, True):
                        work = Path(tmp) / f"w{attempt}{int(archive)}"
                        work.mkdir()
                        again, count, unique = one_try(site, articles, uri, 1000 + attempt,
                                                       archive, work)
                        figures[archive].append(again)
                        print(f"try {attempt} archive {'on ' if archive else 'off'}: {again} "
                              f"downloaded again, {count} stored ({unique} distinct)", flush=True)
        finally:
            server.stop()
    for archive in (False, True):
        values = figures[archive]
        print(f"archive {'on ' if archive else 'off'}: downloaded again min {min(values)} median "
              f"{statistics.median(values)} max {max(values)} over {len(values)} tries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
