"""The report step of the benchmark: results JSON in, docs/benchmarks.md and its plot out.

    python bench/run.py                                  # collect: writes var/bench/results.json
    python bench/report.py var/bench/results.json        # report: docs/benchmarks.md and .png

`bench/run.py --write-docs` runs both. The floors below are what docs/benchmarks.md checks the
figures of a session against.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from bench import sitegen
from bench.harness import ROOT, SECTIONS

DOCS = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"

FLOOR_RATIO = 0.35
FLOOR_SECOND_RATIO = 0.05
FLOOR_RSS_MB = 300
FLOOR_COLD_START = 3.0
FLOOR_DATE_ISO_US = 20
FLOOR_DATE_FRENCH_US = 500
NOTES = ROOT / "bench" / "optimisations.md"

# The first session's medians (docs/benchmarks.md at commit 42a5891, 2026-11-27, same machine,
# 5,000 articles, 3 rounds), before the changes described in bench/optimisations.md.
BEFORE: dict[str, float] = {
    "bare": 162.6, "first": 17.2, "null": 95.1, "ratio": 0.11, "null_ratio": 0.58,
    "first_cpu_per_article": 0.0113, "db_cpu": 228.8, "first_wall": 290.5, "full_rss": 115,
    "second_ratio": 0.015, "sweep16_full": 38.9, "sweep16_ratio": 0.24,
    "listing_ms": 16.54, "detect_language_ms": 0.87,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _runs(results: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in results["runs"] if r["kind"] == kind]


def _by_round(results: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["label"]: r for r in _runs(results, kind)}


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The medians and per-round ratios the floors are judged on."""
    bare, first = _by_round(results, "bare"), _by_round(results, "first")
    second, third = _by_round(results, "second"), _by_round(results, "third")
    null = _by_round(results, "null")
    ratios, null_ratios, second_ratios = [], [], []
    for label, run in first.items():
        if label in bare and run["articles_per_s"] and bare[label]["articles_per_s"]:
            ratios.append(run["articles_per_s"] / bare[label]["articles_per_s"])
        if label in second and run["returncode"] == 0:
            second_ratios.append(second[label]["wall"] / run["wall"])
    for label, run in null.items():
        if label in bare and run["articles_per_s"] and bare[label]["articles_per_s"]:
            null_ratios.append(run["articles_per_s"] / bare[label]["articles_per_s"])
    return {
        "ratio": _median(ratios), "ratios": ratios,
        "null_ratio": _median(null_ratios), "null_ratios": null_ratios,
        "second_ratio": _median(second_ratios), "second_ratios": second_ratios,
        "second_article_pages": _median([r["article_pages"] for r in second.values()]),
        "third_article_pages": _median([r["article_pages"] for r in third.values()]),
        "full_rss": _median([r["maxrss_mb"] for r in first.values()]),
        "cold_start": _median([r["cold_start"] for r in first.values()]),
        "bare_cold_start": _median([r["cold_start"] for r in bare.values()]),
    }


def render(results: dict[str, Any]) -> str:
    h = headline(results)
    machine_info, site = results["machine"], results["site"]
    out = ["# Benchmarks", "",
           "Written by `bench/run.py --write-docs` (`make bench`); do not edit by hand. Method and "
           "how to read the figures: the last section.", "",
           f"Run {results['started']} → {results['finished']} (UTC).", "",
           "## Command", "", "```", "apt-get install -y nginx   # once, as root: the benchmark "
           "installs nothing", results["command"], "```", "",
           "## Machine", "", "| | |", "|---|---|"]
    for key in ("nproc", "cpu", "memory", "os", "python", "scrapy", "twisted", "lxml", "parsel",
                "pymongo", "nx-27017", "dateparser", "nginx"):
        out.append(f"| {key} | {machine_info.get(key, '?')} |")
    out.append(f"| database server | {results['database']} |")
    if "load_before" in results:
        load = ", ".join(f"{v:.2f}" for v in results["load_before"])
        out.append(f"| load average (1, 5, 15 min) at start | {load} |")
        load = ", ".join(f"{v:.2f}" for v in results["load_after"])
        out.append(f"| load average at end | {load} |")
    bare_rates = [r["articles_per_s"] for r in _runs(results, "bare") if r["articles_per_s"]]
    if len(bare_rates) > 1:
        out += ["", f"Other processes shared the machine: bare Scrapy's throughput ranged "
                f"{min(bare_rates):.0f}-{max(bare_rates):.0f} articles/s over the rounds, which "
                "is why every ratio is taken within a round and the rounds alternate which crawl "
                "goes first."]
    project = results["project"]
    out += ["", "## Site", "",
            f"Generated by `bench/sitegen.py`: {site['articles']:,} articles in {len(SECTIONS)} "
            f"sections, {site['listing_pages']} listing pages of {sitegen.PER_PAGE} articles "
            f"(rel=next pagination), served by {results['nginx']} on 127.0.0.1. Article "
            f"pages {site['article_kb_min']:.0f}-{site['article_kb_max']:.0f} KB (median "
            f"{site['article_kb_median']:.0f} KB), listing pages median "
            f"{site['listing_kb_median']:.0f} KB, {site['total_mb']:.0f} MB in all. Each article "
            "is linked 3-4 times per listing page (tracking parameters, #comments) plus the "
            "sidebar's most-read links.", "",
            f"Concurrency (project defaults, both spiders): CONCURRENT_REQUESTS="
            f"{project['CONCURRENT_REQUESTS']}, CONCURRENT_REQUESTS_PER_DOMAIN="
            f"{project['CONCURRENT_REQUESTS_PER_DOMAIN']}; AutoThrottle off, no download delay, "
            "robots.txt obeyed.", ""]

    out += ["## Full crawl against bare Scrapy (medians over rounds)", "",
            "| crawl | articles/s | CPU s / article | peak RSS MB | wall s | article pages "
            "| requests |", "|---|---:|---:|---:|---:|---:|---:|"]
    names = {"bare": "bare Scrapy (ceiling)", "first": "full crawl, database writes",
             "null": "full crawl, no-op store"}
    for kind, title in names.items():
        runs = _runs(results, kind)
        if not runs:
            continue
        out.append(
            f"| {title} | {_fmt(_median([r['articles_per_s'] for r in runs]), 1)} | "
            f"{_fmt(_median([r['cpu_per_article'] for r in runs]), 4)} | "
            f"{_fmt(_median([r['maxrss_mb'] for r in runs]), 0)} | "
            f"{_fmt(_median([r['wall'] for r in runs]), 1)} | "
            f"{_fmt(_median([r['article_pages'] for r in runs]), 0)} | "
            f"{_fmt(_median([r['requests'] for r in runs]), 0)} |")
    db_cpu = _median([r.get("db_cpu") for r in _runs(results, "first")])
    stored = _median([r.get("stored_new") for r in _runs(results, "first")])
    out += ["", f"Ratio full/bare throughput: **{_fmt(h['ratio'])}** (per round: "
            f"{', '.join(_fmt(r) for r in h['ratios']) or 'n/a'}); with the store replaced by "
            f"nothing: **{_fmt(h['null_ratio'])}** (per round: "
            f"{', '.join(_fmt(r) for r in h['null_ratios']) or 'n/a'}).", "",
            f"Articles stored by the first run: {_fmt(stored, 0)}. CPU used by the database server "
            f"during it: {_fmt(db_cpu, 1)} s (not included in the crawl's CPU seconds above).", ""]
    out += ["## Incremental runs (same database, medians)", "",
            "| run | wall s | requests | article pages downloaded | listing pages | new articles "
            "stored |", "|---|---:|---:|---:|---:|---:|"]
    for kind, title in (("first", "first run (empty database)"),
                        ("second", "second run, unchanged site"),
                        ("third", "third run, after +1% articles")):
        runs = _runs(results, kind)
        if not runs:
            continue
        out.append(f"| {title} | {_fmt(_median([r['wall'] for r in runs]), 1)} | "
                   f"{_fmt(_median([r['requests'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r['article_pages'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r['listing_pages'] for r in runs]), 0)} | "
                   f"{_fmt(_median([r.get('stored_new') for r in runs]), 0)} |")
    out += ["", f"Second run wall time / first: {_fmt(h['second_ratio'], 3)} (per round: "
            f"{', '.join(_fmt(r, 3) for r in h['second_ratios']) or 'n/a'}).", ""]

    out += ["## Floors (issue 9)", "", "| measure | floor | measured | |", "|---|---|---|---|"]

    def floor(label: str, limit: str, value: float | None, ok: Callable[[float], bool],
              digits: int = 2, suffix: str = "") -> None:
        verdict = "n/a" if value is None else ("pass" if ok(value) else "**FAIL**")
        out.append(f"| {label} | {limit} | {_fmt(value, digits, suffix)} | {verdict} |")

    floor(f"full/bare throughput ({site['articles']:,} articles, database writes)",
          f">= {FLOOR_RATIO}", h["ratio"], lambda v: v >= FLOOR_RATIO)
    floor("second run, unchanged site: article pages downloaded", "0",
          h["second_article_pages"], lambda v: v == 0, 0)
    floor("second run wall time / first run wall time", f"<= {FLOOR_SECOND_RATIO}",
          h["second_ratio"], lambda v: v <= FLOOR_SECOND_RATIO, 3)
    floor(f"peak RSS of the full crawl of {site['articles']:,} articles", f"<= {FLOOR_RSS_MB} MB",
          h["full_rss"], lambda v: v <= FLOOR_RSS_MB, 0, " MB")
    floor("cold start of `scrapy crawl` to first request", f"< {FLOOR_COLD_START} s",
          h["cold_start"], lambda v: v < FLOOR_COLD_START, 2, " s")
    dates = date_medians(results)
    floor("date normalisation, ISO 8601 string", f"<= {FLOOR_DATE_ISO_US} µs median",
          dates.get("ISO 8601 with offset"), lambda v: v <= FLOOR_DATE_ISO_US, 1, " µs")
    floor("date normalisation, French free text with a label (warm)",
          f"<= {FLOOR_DATE_FRENCH_US} µs median", dates.get("labelled French, cached"),
          lambda v: v <= FLOOR_DATE_FRENCH_US, 1, " µs")
    out += ["", f"Cold start is the time from creating the `scrapy crawl` process to nginx "
            f"logging its first request (robots.txt); bare Scrapy's (`runspider`, no project): "
            f"{_fmt(h['bare_cold_start'], 2)} s. The date figures are `bench/bench_dates.py`'s "
            "(micro-benchmarks below); the floors on full/bare throughput and on RSS are judged "
            "on the full crawl with database writes.", ""]
    out += optimisations(results, h)

    sweep = [r for r in results["runs"] if r["concurrency"] is not None]
    if sweep:
        facts = results.get("sweep_site", {})
        out += ["## Concurrency sweep", "",
                f"Articles/s against CONCURRENT_REQUESTS (= CONCURRENT_REQUESTS_PER_DOMAIN) on a "
                f"generated site of {facts.get('articles', '?'):,} articles, full crawl with "
                "database writes, medians.", "", "![articles per second against concurrency]"
                "(benchmarks.png)", "",
                "| concurrency | bare articles/s | full articles/s | ratio | bare CPU s/article | "
                "full CPU s/article | full peak RSS MB |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for concurrency, bare_rate, full_rate in sweep_series(results):
            b = [r for r in sweep if r["kind"] == "sweep_bare" and r["concurrency"] == concurrency]
            f = [r for r in sweep if r["kind"] == "sweep_full" and r["concurrency"] == concurrency]
            ratio = full_rate / bare_rate if full_rate and bare_rate else None
            out.append(f"| {concurrency} | {_fmt(bare_rate, 1)} | {_fmt(full_rate, 1)} | "
                       f"{_fmt(ratio)} | {_fmt(_median([r['cpu_per_article'] for r in b]), 4)} | "
                       f"{_fmt(_median([r['cpu_per_article'] for r in f]), 4)} | "
                       f"{_fmt(_median([r['maxrss_mb'] for r in f]), 0)} |")
        out.append("")

    micro = results.get("micro")
    if micro:
        out += ["## Micro-benchmarks", "", "| what | median |", "|---|---:|"]
        for label, value in micro["canonical_url_us"].items():
            out.append(f"| `canonical_url`, {label} | {value:.1f} µs / URL |")
        out += ["", "`canonical_url` keeps an LRU cache: a crawl sees most URLs again (navigation, "
                "footer, most-read links on every listing page), so the cached figures are the "
                "common case and the uncached one is the cost of a new URL.", "",
                "| what | median |", "|---|---:|"]
        for label, value in micro["listing_page_ms"].items():
            out.append(f"| listing page ({micro['links_per_listing_page']} links), {label} | "
                       f"{value:.2f} ms / page |")
        if "detect_language_ms" in micro:
            out.append(f"| `detect_language`, article text (60 articles) | "
                       f"{micro['detect_language_ms']:.2f} ms / article |")
        out.append("")
        for script, output in micro["siblings"].items():
            out += [f"`python bench/{script}`:", ""]
            out += ["```", output, "```", ""] if output else ["(not present in this run)", ""]

    profile = ROOT / "var" / "bench" / "profile" / "summary.md"
    if profile.exists():
        out += ["## Profile of the full crawl", "", profile.read_text().strip(), ""]

    out += ["## Per run", "", "| run | crawl | exit | wall s | CPU s | peak RSS MB | article pages "
            "| requests | articles/s | first request s |", "|---|---|---:|---:|---:|---:|---:|---:|"
            "---:|---:|"]
    for r in results["runs"]:
        out.append(f"| {r['label']} | {r['kind']} | {r['returncode']} | {r['wall']:.1f} | "
                   f"{r['cpu']:.1f} | {r['maxrss_mb']:.0f} | {r['article_pages']} | "
                   f"{r['requests']} | {_fmt(r['articles_per_s'], 1)} | "
                   f"{_fmt(r['cold_start'], 2)} |")
    out += ["", "## Method", "",
            "- One session: nginx (1 worker) runs on 127.0.0.1 for the whole run; the site is "
            "generated once and cached under `var/bench/sites`. The embedded database server is "
            "started fresh (empty data folder) for each round and each sweep point, the way the "
            "crawler starts it (`crawler.storage.embedded.EmbeddedServer`, "
            "`python -m crawler.storage.embedded "
            "serve`), on 127.0.0.1.",
            "- Each round runs the bare spider and our full crawl (alternating which goes first), "
            "then on the same database the second run (unchanged site) and the third (the site "
            "with 1% new articles, newest first, so every listing page shifts), then the full "
            "crawl again with `-s ITEM_PIPELINES=...` minus `StorePipeline` (no-op store) into an "
            "empty database. Each full crawl starts from a fresh database.",
            "- The bare spider (`bench/bare_spider.py`) runs with `scrapy runspider` outside the "
            "project (Scrapy's defaults, no pipelines) and the same concurrency, robots.txt and "
            "user agent; it follows the same section, next-page and article links and yields "
            "only URLs.",
            "- Articles/s = article pages nginx served with 200 during the run / the run's wall "
            "time, process start to exit. CPU s = user + system time of the crawl process "
            "(`wait4` rusage); the database server's CPU is reported separately. Peak RSS = "
            "`ru_maxrss` of the crawl process.",
            "- Ratios are taken per round, then the median of the ratios is reported.",
            "- The crawl's own log of each run is kept in `var/bench/logs/`, the raw figures in "
            "`var/bench/results.json`; `python bench/run.py --docs-from var/bench/results.json` "
            "rewrites this page from them.",
            ""]
    return "\n".join(out)


def date_medians(results: dict[str, Any]) -> dict[str, float]:
    """`bench/bench_dates.py`'s medians by label, in µs (its output: label, value, µs)."""
    output = (results.get("micro") or {}).get("siblings", {}).get("bench_dates.py") or ""
    return {m[1].strip(): float(m[2]) for m in re.finditer(r"^(.+?)\s+([\d.]+) µs$", output, re.M)}


def optimisations(results: dict[str, Any], h: dict[str, Any]) -> list[str]:
    """Before (the first session, BEFORE) and after (this run), then bench/optimisations.md."""
    first, null = _runs(results, "first"), _runs(results, "null")
    sweep16 = {c: (b, f) for c, b, f in sweep_series(results)}.get(16, (None, None))
    micro = results.get("micro") or {}
    listing = micro.get("listing_page_ms", {}).get("SectionPage.links() (ours)")
    rows = [
        ("bare Scrapy, articles/s", "bare", _median([r["articles_per_s"]
                                                    for r in _runs(results, "bare")]), 1),
        ("full crawl with database writes, articles/s", "first",
         _median([r["articles_per_s"] for r in first]), 1),
        ("full crawl, no-op store, articles/s", "null",
         _median([r["articles_per_s"] for r in null]), 1),
        ("**full/bare throughput, database writes** (floor 0.35)", "ratio", h["ratio"], 2),
        ("full/bare throughput, no-op store", "null_ratio", h["null_ratio"], 2),
        ("full crawl, CPU s / article (crawl process)", "first_cpu_per_article",
         _median([r["cpu_per_article"] for r in first]), 4),
        ("database server CPU during the first run, s", "db_cpu",
         _median([r.get("db_cpu") for r in first]), 1),
        ("first run wall time, s", "first_wall", _median([r["wall"] for r in first]), 1),
        ("peak RSS of the full crawl, MB", "full_rss", h["full_rss"], 0),
        ("second run wall / first run wall", "second_ratio", h["second_ratio"], 3),
        ("sweep, 1,000 articles, concurrency 16: full articles/s", "sweep16_full",
         sweep16[1], 1),
        ("sweep, concurrency 16: full/bare", "sweep16_ratio",
         sweep16[1] / sweep16[0] if sweep16[0] and sweep16[1] else None, 2),
        ("SectionPage.links() per listing page, ms", "listing_ms", listing, 2),
        ("detect_language per article, ms", "detect_language_ms",
         micro.get("detect_language_ms"), 2),
    ]
    out = ["## Optimisations", "",
           "Before: the first session (commit 42a5891, same machine and command, medians of 3 "
           "rounds). After: this run.", "", "| measure | before | after |", "|---|---:|---:|"]
    for label, key, after, digits in rows:
        out.append(f"| {label} | {_fmt(BEFORE[key], digits)} | {_fmt(after, digits)} |")
    out.append("")
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    return out


def sweep_series(results: dict[str, Any]) -> list[tuple[int, float | None, float | None]]:
    sweep = [r for r in results["runs"] if r["concurrency"] is not None]
    series = []
    for concurrency in sorted({r["concurrency"] for r in sweep}):
        bare = _median([r["articles_per_s"] for r in sweep
                        if r["kind"] == "sweep_bare" and r["concurrency"] == concurrency])
        full = _median([r["articles_per_s"] for r in sweep
                        if r["kind"] == "sweep_full" and r["concurrency"] == concurrency])
        series.append((concurrency, bare, full))
    return series


def plot(results: dict[str, Any], path: Path) -> bool:
    series = sweep_series(results)
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    xs = [c for c, _, _ in series]
    for index, (label, marker) in enumerate((("bare Scrapy (ceiling)", "o"),
                                             ("full crawl, database writes", "s"))):
        points = [(c, values[index]) for c, *values in series if values[index] is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("CONCURRENT_REQUESTS (= per domain)")
    ax.set_ylabel("articles / second")
    facts = results.get("sweep_site", {})
    ax.set_title(f"newscrawl vs bare Scrapy, {facts.get('articles', '?')} articles, "
                 f"{results['machine']['nproc']} CPUs")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def print_summary(results: dict[str, Any]) -> None:
    text = render(results)
    start = text.index("## Full crawl")
    end = text.index("## Per run")
    print(text[start:end])


# --- main ----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the results JSON of bench/run.py")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    print_summary(results)
    DOCS.write_text(render(results))
    wrote = [DOCS]
    if plot(results, PLOT):
        wrote.append(PLOT)
    log("wrote " + ", ".join(str(p.relative_to(ROOT)) for p in wrote))
    return 0


if __name__ == "__main__":
    sys.exit(main())
