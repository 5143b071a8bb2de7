"""Extraction quality on the shared evaluation sets must stay above the floors (README).

Both sets live beside the project (`../shared/eval/dev`, `../shared/eval/wide`); their scorer is
stdlib-only and is imported from there, so the figures are exactly the ones `score.py` prints.
A set that is absent skips its tests, saying where it was looked for. No timing here: the speed
floor is checked by `bench/bench_extract.py`.

The issue's floors that the extractor does not reach yet on `wide` are strict expected failures
(they turn into an error the day they pass, so the marker is removed then), and each of them
also has a no-regression floor at the figure reached, which must hold.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"

# (field, metric): floor, from issue 14's "Done means" table; titles and authors raised to
# issue 25's floors and what it reached (dev title 0.950 and authors 0.939, wide title 0.920
# and authors 0.912; the issue asks wide title >= 0.92, authors >= 0.90, dev not lower)
ISSUE_FLOORS = {
    "dev": {
        ("title", "exact"): 0.95, ("authors", "f1"): 0.935, ("published", "day"): 0.96,
        ("published", "minute"): 0.92, ("body", "f1"): 0.96, ("snippets", "f1"): 0.93,
        ("lang", "acc"): 0.98,
    },
    "wide": {
        ("title", "exact"): 0.92, ("authors", "f1"): 0.91, ("published", "day"): 0.94,
        ("published", "minute"): 0.90, ("body", "f1"): 0.96, ("snippets", "f1"): 0.94,
        ("lang", "acc"): 0.97,
    },
}
# pages whose body F1 is below 0.5: at most this many
MAX_LOW_BODY_PAGES = {"dev": 0, "wide": 2}
# Issue floors not reached yet, with the figure reached: strict xfail on the issue's floor, and
# that figure minus 0.005 (rounding) as a floor against regressions. Empty since issue 14c:
# every wide floor is reached (authors on 14b: 0.860; on 14c title 0.903, published day 0.943
# and minute 0.902, body 0.961, snippets 0.946).
NOT_YET_REACHED: dict[tuple[str, str, str], float] = {}


def _missing(name: str) -> str | None:
    folder = EVAL_DIR / name
    if not (folder / "truth.jsonl").is_file() or not (EVAL_DIR / "score.py").is_file():
        return f"{name} set not found at {folder} (it sits beside the project, not inside it)"
    return None


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", EVAL_DIR / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_RESULTS: dict[str, tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = {}


def _results(name: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(aggregate scores, per-page scores, predictions) of one set, computed once per session."""
    reason = _missing(name)
    if reason:
        pytest.skip(reason)
    if name not in _RESULTS:
        from crawler.extract.batch import iter_manifest

        scorer = _scorer()
        manifest = EVAL_DIR / name / "truth.jsonl"
        truth = scorer.load_jsonl(manifest)
        predictions = [json.loads(json.dumps(p, default=str)) for p in iter_manifest(manifest)]
        by_id = {p.get("id"): p for p in predictions}
        pages = [scorer.score_page(t, by_id.get(t["id"], {})) for t in truth]
        _RESULTS[name] = (scorer.aggregate(pages), pages, predictions)
    return _RESULTS[name]


def _floor_cases() -> list[Any]:
    cases = []
    for name, floors in ISSUE_FLOORS.items():
        for (field, metric), floor in floors.items():
            marks = []
            if (name, field, metric) in NOT_YET_REACHED:
                marks.append(pytest.mark.xfail(strict=True, reason=(
                    f"issue 14 floor not reached yet: {NOT_YET_REACHED[(name, field, metric)]}")))
            cases.append(pytest.param(name, field, metric, floor, marks=marks,
                                      id=f"{name}-{field}-{metric}"))
    return cases


@pytest.mark.parametrize(("name", "field", "metric", "floor"), _floor_cases())
def test_figure_is_at_or_above_the_issue_floor(name, field, metric, floor):
    scores, _, _ = _results(name)

    value = scores[field][metric]

    assert value >= floor, f"{name}: {field} {metric} = {value:.3f} < floor {floor}"


@pytest.mark.parametrize(("name", "field", "metric"), list(NOT_YET_REACHED),
                         ids=lambda v: str(v))
def test_figure_below_the_issue_floor_does_not_regress(name, field, metric):
    scores, _, _ = _results(name)
    reached = NOT_YET_REACHED[(name, field, metric)]

    value = scores[field][metric]

    assert value >= reached - 0.005, f"{name}: {field} {metric} = {value:.3f} < {reached}"


@pytest.mark.parametrize("name", list(MAX_LOW_BODY_PAGES))
def test_few_pages_get_a_near_empty_body(name):
    _, pages, _ = _results(name)

    low = [page for page in pages if "body" in page and page["body"]["f1"] < 0.5]

    assert len(low) <= MAX_LOW_BODY_PAGES[name]


@pytest.mark.parametrize("name", list(ISSUE_FLOORS))
def test_every_page_gets_a_prediction_with_its_extraction_record(name):
    _, _, predictions = _results(name)

    ids = [p.get("id") for p in predictions]

    assert all(ids) and len(ids) == len(set(ids))
    assert not any("error" in p for p in predictions)
    for prediction in predictions:
        extraction = prediction["extraction"]
        assert set(extraction) == {"title", "authors", "published", "body", "language"}
        assert all(0 <= entry["confidence"] <= 1 for entry in extraction.values())
        # an empty field is never claimed with confidence
        assert (extraction["body"]["confidence"] == 0) == (not prediction["body"])


def _eval_trees(name: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each page of an eval set with its parsed tree (pages lxml cannot parse left out)."""
    from crawler.extract.document import parse_html

    for line in (EVAL_DIR / name / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        tree = parse_html((EVAL_DIR / name / entry["file"]).read_text(encoding="utf-8",
                                                                      errors="replace"))
        if tree is not None:
            yield entry, tree


@pytest.mark.parametrize("name", list(ISSUE_FLOORS))
def test_native_author_xpaths_select_what_trafilaturas_select(name):
    """crawler.extract.fallback rewrites trafilatura's `re:test` author rules as `contains()`:
    on every page of the set, each rule must select the same elements."""
    reason = _missing(name)
    if reason:
        pytest.skip(reason)
    from trafilatura.xpaths import AUTHOR_XPATHS

    from crawler.extract.fallback import _native_author_xpaths

    native = _native_author_xpaths()
    assert [x.path for x in native] != [x.path for x in AUTHOR_XPATHS]  # something was rewritten
    for entry, tree in _eval_trees(name):
        for theirs, ours in zip(AUTHOR_XPATHS, native, strict=True):
            assert ours(tree) == theirs(tree), (entry["id"], theirs.path)


@pytest.mark.parametrize("name", list(ISSUE_FLOORS))
def test_byline_rules_select_what_the_byline_xpaths_select(name):
    """crawler.extract.authors finds byline candidates in one pass and applies its six byline
    selectors to them in Python: on every page of the set, each must select what its XPath
    selects."""
    reason = _missing(name)
    if reason:
        pytest.skip(reason)
    from lxml import etree

    from crawler.extract.authors import _BYLINE_CANDIDATES, _BYLINE_RULES, _BYLINE_SELECTORS

    selectors = [etree.XPath(x) for x in _BYLINE_SELECTORS]
    matched = 0
    for entry, tree in _eval_trees(name):
        body = tree.find("body")
        root = body if body is not None else tree
        candidates = _BYLINE_CANDIDATES(root)
        for selector, rule in zip(selectors, _BYLINE_RULES, strict=True):
            expected = selector(root)
            assert [e for e in candidates if rule(e)] == expected, (entry["id"], selector.path)
            matched += len(expected)
    assert matched  # the set has bylines: the comparison compared something
