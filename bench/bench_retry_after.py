"""`newscrawl crawl` with one site answering 429 + Retry-After on every page (issue 16's figures).

    .venv/bin/python bench/bench_retry_after.py --retry-after 30 --delay 0.5

A benchmark, not a test (tests/test_retry.py runs the same scenario with a 3 s Retry-After).
Serves the fixture site (tests/fixtures/site) from one server per fast site, with a per-request
delay (network latency), and from one more server that answers every request with 429 and
`Retry-After: N`. Crawls the fast sites alone, then the fast sites beside the 429 site, in one
`newscrawl crawl` process each time, and, as a control, beside a third site that answers 404 to
everything (a crawler as cheap as the 429 one, without back-off), `--rounds` times. Prints, per
fast site, its crawl time (first to last request its server saw) in the three runs, medians over
the rounds, and their ratios, then the 429 site's requests per page and the shortest gap between
two tries of one page (must be >= N). CONCURRENT_REQUESTS is set so that every site gets the same
concurrency in every run (`newscrawl crawl` shares it out between the sites; with robots.txt
counted, a smaller share slows a site down whatever the other sites do). Uses MONGO_URI when set,
else an embedded server of its own.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from bench.harness import ROOT, free_port
from crawler.storage.connection import connect
from crawler.storage.embedded import EmbeddedServer
from tests.faulty_site import FaultySite

DEMO_SITE = ROOT / "crawler" / "demo_site"
DEMO_CATALOGUE = ROOT / "crawler" / "demo_site.toml"


def write_catalogue(path: Path, bases: dict[str, str]) -> None:
    entry = DEMO_CATALOGUE.read_text()
    path.write_text("\n".join(entry.replace("fixture_fr", name).replace("BASE_URL", base)
                              for name, base in bases.items()))


def crawl(sites: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "crawler.cli.main", "crawl", *sites], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    return time.monotonic() - started, proc.stdout


def span(site: FaultySite) -> float:
    times = [when for when, _ in site.log]
    return max(times) - min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--retry-after", type=int, default=30, help="seconds the 429 site asks for")
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per request, fast sites")
    parser.add_argument("--fast-sites", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="requests at once per site")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fast_names = [f"fast_{n}" for n in range(1, args.fast_sites + 1)]

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        mongo = os.environ.get("MONGO_URI")
        embedded = None
        if not mongo:
            embedded = EmbeddedServer(var_dir=tmp_path / "nx", port=free_port())
            mongo = embedded.ensure_running()
        database = f"bench_{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "MONGO_URI": mongo, "MONGO_DATABASE": database,
               "AUTOTHROTTLE_ENABLED": "false", "ALLOW_PRIVATE_ADDRESSES": "true",
               "INCREMENTAL_ENABLED": "false", "VAR_DIR": str(tmp_path / "var"),
               "CONCURRENT_REQUESTS": str(2 * args.concurrency * (args.fast_sites + 1)),
               "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.concurrency), "LOG_LEVEL": "INFO"}
        servers: list[FaultySite] = []
        walls: dict[str, float] = {}
        try:
            def serve(**kwargs: object) -> FaultySite:
                servers.append(FaultySite(DEMO_SITE, **kwargs).__enter__())  # type: ignore[arg-type]
                return servers[-1]

            runs = ("alone", "control", "mixed")
            spans: dict[str, dict[str, list[float]]] = {n: {r: [] for r in runs} for n in fast_names}
            for round_number in range(args.rounds):
                outputs = {}
                for run in runs:
                    fast = {name: serve(delay=args.delay) for name in fast_names}
                    bases = {n: s.base_url for n, s in fast.items()}
                    if run == "control":  # a third site as cheap as the 429 one, without back-off
                        bases["other"] = serve(default="status:404").base_url
                    if run == "mixed":
                        slow = serve(default=f"status:429:retry-after={args.retry_after}")
                        bases["slow"] = slow.base_url
                    write_catalogue(tmp_path / f"{run}.toml", bases)
                    walls[run], outputs[run] = crawl(
                        list(bases), {**env, "SITES_FILE": str(tmp_path / f"{run}.toml")})
                    for name in fast_names:
                        spans[name][run].append(span(fast[name]))
                print(f"round {round_number + 1}: " + "; ".join(
                    f"{n} " + ", ".join(f"{r} {spans[n][r][-1]:.2f} s" for r in runs) for n in fast_names),
                    flush=True)
        finally:
            for server in servers:
                server.__exit__()
            connect(mongo, database).client.drop_database(database)
            if embedded is not None:
                embedded.stop()

    print(f"Retry-After {args.retry_after} s on every page of `slow`; fast sites: fixture site, "
          f"{args.delay * 1000:.0f} ms per request, {args.concurrency} requests at once per site")
    print("\n## last round, beside the 429 site\n" + outputs["mixed"])
    print(f"| site | requests | crawl time alone | beside a 404 site | beside the 429 site | "
          f"ratio to alone | ratio to beside the 404 site |   (medians of {args.rounds} rounds)")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in fast_names:
        alone, control, mixed = (statistics.median(spans[name][run]) for run in runs)
        print(f"| {name} | {len(fast[name].log)} | {alone:.2f} s | {control:.2f} s | {mixed:.2f} s | "
              f"{mixed / alone:.2f} | {mixed / control:.2f} |")
    tried: dict[str, list[float]] = {}
    for when, path in slow.log:
        tried.setdefault(path.split("?")[0], []).append(when)
    gaps = [b - a for times in tried.values() for a, b in itertools.pairwise(times)]
    finished_fast = max(when for site in fast.values() for when, _ in site.log)
    print(f"| slow | {len(slow.log)} | - | - | {span(slow):.2f} s | - | - |")
    print(f"\nslow: {len(tried)} pages, tries per page {sorted({len(t) for t in tried.values()})}, "
          f"shortest gap between two tries of a page {min(gaps):.2f} s (Retry-After {args.retry_after} s); "
          f"last fast-site request {finished_fast - min(w for w, _ in slow.log):.1f} s after the "
          f"first 429-site request")
    print(f"process wall time, last round: {walls['alone']:.1f} s alone, {walls['control']:.1f} s beside "
          f"the 404 site, {walls['mixed']:.1f} s beside the 429 site")


if __name__ == "__main__":
    main()
