"""`newscrawl report` and `newscrawl stats --health` on awkward databases (issue 26): what came
from crawled pages shows as text and runs nothing in a real browser; an empty database, a source
with one run and a run record of an older schema give a clear line or an empty chart.
"""

from __future__ import annotations

import datetime as dt
import json

from lxml import html as lxml_html

from crawler.storage.articles import ArticleStore
from crawler.storage.runs import RunStore
from tests.browser import distinct_colours, render

EVIL_TITLE = '<script>document.title="pwned"</script><img src=x onerror="document.body.id=\'pwned\'">'
EVIL_AUTHOR = '<b onmouseover="alert(1)">Eve</b>'
EVIL_SOURCE = 'evil"><svg onload=alert(1)>'


def _run(runs: RunStore, source: str, run_id: str, started: dt.datetime, **fields) -> None:
    runs.start({"run_id": run_id, "spider": source, "started_at": started, "status": "running"})
    runs.finish(run_id, {"status": "ok", "failed": False, "duration_s": 12.5, **fields})


def _health(articles: int, authors_trusted: int) -> dict:
    return {"articles": articles, "fields": {
        "title": {"present": articles, "trusted": articles, "confidence_sum": articles * 0.95},
        "authors": {"present": articles, "trusted": authors_trusted, "confidence_sum": 0.0,
                    "methods": {"jsonld": authors_trusted}},
        "body": {"present": articles, "trusted": articles, "confidence_sum": articles * 0.9}}}


def fill(database) -> None:
    now = dt.datetime.now(dt.UTC)
    runs = RunStore(database)
    for n, trusted in enumerate((20, 20)):
        _run(runs, EVIL_SOURCE, f"good{n}", now - dt.timedelta(hours=3 - n),
             articles={"new": 20}, health=_health(20, trusted), drift=[])
    drift = [{"field": "authors", "measure": "trusted_share", "value": 0.1, "baseline": 1.0,
              "articles": 20, "baseline_articles": 40, "baseline_runs": 2}]
    _run(runs, EVIL_SOURCE, "drifted", now - dt.timedelta(hours=1), articles={"new": 20},
         health=_health(20, 2), drift=drift)
    runs.start({"run_id": "failed", "spider": EVIL_SOURCE, "started_at": now, "status": "running"})
    runs.finish("failed", {"status": "failed", "failed": True, "duration_s": 3.0,
                           "failure_reason": "no response received <b>"})
    # a record of an older schema: no health, no drift, no duration, a started_at string
    database["crawl_runs"].insert_one({"run_id": "old", "spider": "oldsite", "status": "ok",
                                       "started_at": "2026-01-02T03:04:05Z", "schema_version": 1})
    store = ArticleStore(database)
    store.upsert_many([{"url": f"http://evil.test/{n}", "source": EVIL_SOURCE, "title": EVIL_TITLE,
                        "authors": [EVIL_AUTHOR], "body": "b", "content_hash": str(n),
                        "published_at": now} for n in range(3)], run_id="drifted", now=now)


def test_report_shows_crawled_text_as_text_and_draws_each_source(run_newscrawl, database, tmp_path):
    fill(database)
    page = tmp_path / "report.html"
    result = run_newscrawl("report", "-o", str(page))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"wrote {page}"
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")

    dom, shot = render(page, tmp_path / "browser")
    tree = lxml_html.document_fromstring(dom)
    assert tree.findtext(".//title") == "newscrawl report"  # the title's script did not run
    assert tree.body.get("id") != "pwned"
    assert not tree.xpath("//script") and not tree.xpath("//img")
    handlers = [(e.tag, a) for e in tree.iter() if isinstance(e.tag, str)
                for a in e.attrib if a.lower().startswith("on")]
    assert handlers == []
    shown = tree.text_content()
    assert EVIL_TITLE in shown and "Eve" in shown and EVIL_AUTHOR in shown
    assert EVIL_SOURCE in shown
    assert "DRIFT: authors found by a trusted method in 10% of 20 new articles" in shown
    # a chart per kind per source; the old record's source has empty ones with a clear line
    assert len(tree.xpath("//svg[@class='chart']")) == 3 * 2
    assert "no judged run yet" in shown and "no response received <b>" in shown
    assert len(tree.xpath("//rect[@class='drift']")) == 1
    assert distinct_colours(shot) > 20


def test_empty_database_gives_a_clear_line_everywhere(run_newscrawl, database, tmp_path):
    page = tmp_path / "empty.html"
    result = run_newscrawl("report", "-o", str(page))
    assert result.returncode == 0, result.stderr
    assert "No run recorded and no article stored yet" in page.read_text(encoding="utf-8")
    health = run_newscrawl("stats", "--health", "--fail-on-drift")
    assert (health.returncode, health.stdout.strip(), health.stderr) == (
        0, "data health: no run recorded", "")


def test_one_run_and_an_old_schema_record_are_not_judged(run_newscrawl, database):
    runs = RunStore(database)
    _run(runs, "single", "only", dt.datetime.now(dt.UTC), articles={"new": 3},
         health=_health(3, 3), drift=None)
    database["crawl_runs"].insert_one({"run_id": "old", "spider": "oldsite", "status": "ok",
                                       "health": "junk", "drift": "junk"})
    result = run_newscrawl("stats", "--health", "--fail-on-drift")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert ("oldsite: no run judged yet (1 run recorded; a run is judged with at least 10 new "
            "articles)") in result.stdout
    assert "single: no run judged yet" in result.stdout
    as_json = json.loads(run_newscrawl("stats", "--health", "--json").stdout)
    assert {s["source"]: s["current"] for s in as_json["sources"]} == {"oldsite": None, "single": None}


def test_drift_in_the_latest_judged_run_exits_3(run_newscrawl, database):
    fill(database)
    result = run_newscrawl("stats", "--health", "--fail-on-drift")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "DRIFT: authors found by a trusted method in 10% of 20 new articles (baseline 100% " \
           "over 2 runs)" in result.stdout
    assert run_newscrawl("stats", "--health").returncode == 0


def test_an_unwritable_report_path_is_one_line(run_newscrawl, database, tmp_path):
    result = run_newscrawl("report", "-o", str(tmp_path / "missing" / "report.html"))
    assert result.returncode == 1
    assert result.stderr.startswith("newscrawl report: cannot write ") and \
        len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_metrics_for_node_exporter_name_the_drift(run_newscrawl, database, tmp_path):
    fill(database)
    result = run_newscrawl("metrics")
    assert result.returncode == 0, result.stderr
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in result.stdout.splitlines() if line and not line.startswith("#")}
    source = EVIL_SOURCE.replace('"', '\\"')  # the exposition format escapes label quotes
    assert samples[f'newscrawl_drifting_fields{{source="{source}"}}'] == 1
    assert samples[f'newscrawl_field_drift{{field="authors",source="{source}"}}'] == 1
    trusted = f'newscrawl_field_share{{field="authors",measure="trusted_share",source="{source}"}}'
    assert samples[trusted] == 0.1
    assert samples[f'newscrawl_last_run_ok{{source="{source}"}}'] == 0  # the failed run
    assert samples['newscrawl_drifting_fields{source="oldsite"}'] == 0
    textfile = tmp_path / "newscrawl.prom"
    written = run_newscrawl("metrics", "-o", str(textfile))
    assert written.returncode == 0, written.stderr
    assert "newscrawl_drifting_fields" in textfile.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("newscrawl.prom")] == ["newscrawl.prom"]


def test_stats_health_judges_only_the_baseline_window(run_newscrawl, database):
    """The drifted run is an hour old: outside a 30-minute HEALTH_BASELINE_DAYS it is not the
    latest judged run any more, as a crawl would not count it either."""
    fill(database)
    inside = run_newscrawl("stats", "--health", "--fail-on-drift")
    assert inside.returncode == 3, inside.stdout + inside.stderr
    outside = run_newscrawl("stats", "--health", "--fail-on-drift",
                            env={"HEALTH_BASELINE_DAYS": str(0.5 / 24)})
    assert outside.returncode == 0, outside.stdout + outside.stderr
    assert "DRIFT" not in outside.stdout
