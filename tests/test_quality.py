"""Extraction quality on the shared dev set must stay above the project's floors (README).

The dev set lives beside the project (`../shared/eval/dev`); its scorer is stdlib-only and is
imported from there, so the figures are exactly the ones `score.py` prints. No timing here: the
speed floor is checked by `bench/bench_extract.py`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEV_DIR = EVAL_DIR / "dev"
FLOORS = {
    ("title", "exact"): 0.92,
    ("authors", "f1"): 0.88,
    ("published", "day"): 0.97,
    ("published", "minute"): 0.90,
    ("body", "f1"): 0.96,
    ("lang", "acc"): 0.95,
}

pytestmark = pytest.mark.skipif(
    not (DEV_DIR / "truth.jsonl").is_file() or not (EVAL_DIR / "score.py").is_file(),
    reason=f"dev set not found at {DEV_DIR} (it sits beside the project, not inside it)",
)


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", EVAL_DIR / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dev_scores() -> dict[str, dict[str, float]]:
    from crawler.extract.batch import iter_manifest

    scorer = _scorer()
    truth = scorer.load_jsonl(DEV_DIR / "truth.jsonl")
    predictions = {p["id"]: json.loads(json.dumps(p, default=str))
                   for p in iter_manifest(DEV_DIR / "truth.jsonl")}
    results = [scorer.score_page(t, predictions.get(t["id"], {})) for t in truth]
    return scorer.aggregate(results)


@pytest.mark.parametrize(("field", "metric"), list(FLOORS), ids=lambda v: str(v))
def test_dev_set_figure_is_at_or_above_its_floor(dev_scores, field, metric):
    floor = FLOORS[(field, metric)]

    value = dev_scores[field][metric]

    assert value >= floor, f"{field} {metric} = {value:.3f} < floor {floor}"


def test_every_dev_page_gets_a_prediction():
    from crawler.extract.batch import iter_manifest

    ids = [p.get("id") for p in iter_manifest(DEV_DIR / "truth.jsonl")]

    assert all(ids) and len(ids) == len(set(ids))
    assert not any("error" in p for p in iter_manifest(DEV_DIR / "truth.jsonl"))
