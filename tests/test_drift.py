"""The drift verdict (crawler/health/drift.py) on run histories a season of cron runs leaves."""

from __future__ import annotations

from crawler.health.drift import DriftThresholds, baseline, find_drift

LIMITS = DriftThresholds(min_articles=10, drift_points=40, baseline_runs=5)


def run(new: int, *, authors: int | None = None, trusted: int | None = None, status: str = "ok",
        drift: list | None = None) -> dict:
    authors = new if authors is None else authors
    trusted = authors if trusted is None else trusted
    return {"status": status, "articles": {"new": new}, "drift": [] if drift is None else drift,
            "health": {"articles": new, "fields": {
                "title": {"present": new, "trusted": new},
                "authors": {"present": authors, "trusted": trusted}}}}


def test_a_source_that_used_to_yield_articles_and_yields_none_drifts():
    [entry] = find_drift(run(0), [run(20), run(15)], LIMITS)
    assert (entry["field"], entry["measure"], entry["value"], entry["baseline"]) == (
        "articles", "new", 0, 17.5)


def test_an_empty_run_after_quiet_runs_is_not_judged():
    # a cron run every few minutes mostly brings nothing: no verdict
    assert find_drift(run(0), [run(2), run(20)], LIMITS) is None
    assert find_drift(run(0), [run(20)], LIMITS) is None  # one run is no habit


def test_a_fall_of_the_share_itself_is_named_before_the_trusted_share():
    [entry] = find_drift(run(20, authors=2), [run(20)], LIMITS)
    assert (entry["field"], entry["measure"], entry["value"]) == ("authors", "share", 0.1)


def test_a_fall_within_the_threshold_is_no_drift():
    assert find_drift(run(20, trusted=13), [run(20)], LIMITS) == []  # 35 points
    assert find_drift(run(20, trusted=11), [run(20)], LIMITS) != []  # 45 points


def test_a_drifted_run_is_no_baseline_so_the_drift_is_reported_again():
    drifted = run(20, trusted=2, drift=[{"field": "authors"}])
    again = find_drift(run(20, trusted=2), [drifted, run(20), run(20)], LIMITS)
    assert [d["field"] for d in again] == ["authors"] and again[0]["baseline_runs"] == 2


def test_failed_runs_small_runs_and_old_records_are_left_out_of_the_baseline():
    history = [run(20, status="failed", authors=0), run(5, authors=0),
               {"status": "ok", "health": "junk"}, {"status": "ok"}, {"status": "ok", "drift": "x"},
               run(30)]
    pooled = baseline(history, LIMITS)
    assert pooled is not None
    assert (pooled["runs"], pooled["articles"]) == (1, 30)
    assert baseline(history[:-1], LIMITS) is None
    assert find_drift(run(20, authors=0), history[:-1], LIMITS) == []  # no baseline yet


def test_the_thresholds_are_settings():
    strict = DriftThresholds(min_articles=3, drift_points=10, baseline_runs=1)
    assert find_drift(run(4, trusted=3), [run(4)], strict) != []
    assert find_drift(run(4, trusted=3), [run(4)], LIMITS) is None
