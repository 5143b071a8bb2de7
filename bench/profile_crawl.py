"""Profile our full crawl of a generated site with py-spy: `python bench/profile_crawl.py`.

    pip install py-spy            # into the venv; a profiling tool, not a project dependency
    python bench/profile_crawl.py --articles 500

Serves a generated site (bench/sitegen.py) with nginx, runs `scrapy crawl` into a fresh database
under `py-spy record` (sampling, so the crawl runs at nearly full speed), and prints where the
crawl process spends its time: by package (self time) and by function (inclusive). The summary is
also written to var/bench/profile/summary.md, which `bench/run.py --write-docs` includes.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BENCH_SITE_KEY,
    ROOT,
    BenchError,
    Database,
    Nginx,
    python,
    run_child,
    scrapy_env,
    switch,
    write_sites_file,
)
from bench.run import prepared_site

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
PACKAGES = [
    ("crawler/extract", "crawler.extract (article extraction)"),
    ("crawler/dates", "crawler.dates.normalise"), ("crawler/urls", "crawler.links.urls"),
    ("crawler/pages", "crawler.reading.listing (listing links)"), ("crawler/", "crawler (other)"),
    ("dateparser", "dateparser"), ("lxml", "lxml"), ("parsel", "parsel"),
    ("w3lib", "w3lib"), ("scrapy", "scrapy"), ("twisted", "twisted"),
    ("pymongo", "pymongo"), ("bson", "bson"), ("itemadapter", "itemadapter"),
    ("asyncio", "asyncio"), ("urllib", "urllib"), ("re/", "re"), ("json", "json"),
]


def package_of(path: str) -> str:
    for marker, name in PACKAGES:
        if marker in path:
            return name
    return "other (stdlib, importlib, ...)"


def frame_parts(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    if not match:
        return frame, ""
    return match["function"], match["file"]


def summarise(raw: Path, top: int = 25) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    by_package: collections.Counter[str] = collections.Counter()
    total = idle = database = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or "cmdline.py" not in stack:
            continue  # only the main thread: the reactor, the callbacks, the pipelines
        count = int(count_text)
        frames = stack.split(";")
        leaf_function, leaf_file = frame_parts(frames[-1])
        total += count
        if "selectors.py" in leaf_file:
            idle += count
            continue
        if "pymongo/network_layer.py" in leaf_file and "recv" in leaf_function:
            database += count  # waiting for the database server's answer, reactor blocked
        by_package[package_of(leaf_file)] += count
        seen = set()
        for frame in frames:
            function, file = frame_parts(frame)
            key = f"{function} ({_short(file)})"
            if key not in seen and "crawler/" in file:
                inclusive[key] += count
                seen.add(key)
    busy = total - idle
    out = [f"{total} samples of the main thread: {busy} busy ({busy / max(total, 1):.0%}), "
           f"{idle} idle in the event loop (select/epoll: waiting for nginx). Of the busy ones, "
           f"{database} ({database / max(busy, 1):.0%}) are the reactor blocked in pymongo, "
           "waiting for the database server's answer.", "",
           "| self time by package | share of busy samples |", "|---|---:|"]
    for name, count in by_package.most_common():
        out.append(f"| {name} | {count / max(busy, 1):.1%} |")
    out += ["", "| crawler function (inclusive: itself and what it calls) | share of busy "
            "samples |", "|---|---:|"]
    for name, count in inclusive.most_common(top):
        out.append(f"| `{name}` | {count / max(busy, 1):.1%} |")
    return "\n".join(out)


def _short(file: str) -> str:
    return file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(python()).with_name("py-spy"))
    if not Path(spy).exists():
        print("bench: py-spy is not installed; `.venv/bin/pip install py-spy`", file=sys.stderr)
        return 2
    work = args.work.resolve()
    site = prepared_site(work / "sites" / f"site-{args.articles}", args.articles)
    out_dir = work / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    serve = work / "serve-profile"
    switch(serve, site)
    raw = out_dir / "crawl.raw"
    try:
        with Database(out_dir / "db") as database, \
                Nginx(serve, work / "nginx-profile") as nginx:
            sites_file = write_sites_file(out_dir / "sites.toml", nginx.base_url)
            env = scrapy_env(SITES_FILE=str(sites_file), MONGO_URI=database.uri,
                             MONGO_DATABASE=database.new_name("profile"),
                             AUTOTHROTTLE_ENABLED="false", ALLOW_PRIVATE_ADDRESSES="true",
                             VAR_DIR=str(out_dir / "var"), LOG_LEVEL="INFO")
            crawl = [python(), "-m", "scrapy", "crawl", BENCH_SITE_KEY]
            command = [spy, "record", "--idle", "--rate", str(args.rate), "--format", "raw",
                       "-o", str(raw), "--", *crawl]
            child = run_child(command, env=env, cwd=ROOT, log=out_dir / "crawl.log", timeout=1800)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if child.returncode != 0 or not raw.exists():
        print(child.log_tail(), file=sys.stderr)
        return 1
    summary = (f"py-spy, {args.rate} samples/s, one full crawl of {args.articles} articles into "
               f"{database.kind} "
               f"(`python bench/profile_crawl.py --articles {args.articles}"
               f"`), wall {child.wall:.1f} s, CPU "
               f"{child.cpu:.1f} s.\n\n" + summarise(raw))
    (out_dir / "summary.md").write_text(summary + "\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
