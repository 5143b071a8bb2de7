"""URL parameters learnt from the site's own canonicals (issue 13): the rule, and its storage.

The storage tests run against the real test database (tests/conftest.py `database`).
"""

from __future__ import annotations

import datetime as dt

import pytest

from crawler.links.params import ParamLearner
from crawler.storage.params import ParamStore

SITE = "https://www.example.com"


def _pages(learner: ParamLearner, count: int, query: str, *, canonical_query: str = "",
           start: int = 0) -> list:
    observations = []
    for n in range(start, start + count):
        path = f"/tech/2024/06/story-{n}.html"
        canonical = f"{SITE}{path}" + (f"?{canonical_query.format(n=n)}" if canonical_query else "")
        observations += learner.observe(f"{SITE}{path}?{query.format(n=n)}", canonical)
    return observations


def test_parameter_is_learnt_after_three_different_pages_drop_it():
    learner = ParamLearner()
    link = f"{SITE}/tech/2024/06/story-99.html?replytocom=7"

    _pages(learner, 2, "replytocom={n}")
    before = learner.clean_url(link)
    _pages(learner, 1, "replytocom=3", start=2)

    assert before == f"{SITE}/tech/2024/06/story-99.html?replytocom=7"
    assert learner.clean_url(link) == f"{SITE}/tech/2024/06/story-99.html"
    assert learner.learnt() == {"example.com": ["replytocom"]}


def test_same_page_seen_three_times_is_one_page_of_evidence():
    learner = ParamLearner()

    for n in range(3):
        learner.observe(f"{SITE}/a.html?share={n}&nb=1", f"{SITE}/a.html")

    assert learner.learnt() == {}


def test_parameter_the_canonical_keeps_is_never_learnt():
    learner = ParamLearner()

    _pages(learner, 5, "id={n}&from_box=1", canonical_query="id={n}")
    learner.observe(f"{SITE}/x?id=4", f"{SITE}/x")  # one page whose canonical drops id

    assert learner.learnt() == {"example.com": ["from_box"]}
    assert learner.clean_url(f"{SITE}/read?id=12&from_box=1") == f"{SITE}/read?id=12"


def test_kept_once_unlearns_a_learnt_parameter():
    learner = ParamLearner()
    _pages(learner, 3, "view={n}")

    learner.observe(f"{SITE}/gallery?view=grid", f"{SITE}/gallery?view=grid")

    assert learner.learnt() == {}


def test_pagination_parameters_are_never_learnt():
    learner = ParamLearner()

    _pages(learner, 6, "page={n}&paged={n}&p={n}&start={n}0&offset={n}")

    assert learner.learnt() == {}
    assert learner.clean_url(f"{SITE}/tech/?page=2") == f"{SITE}/tech/?page=2"


def test_canonical_to_another_page_or_host_teaches_nothing():
    learner = ParamLearner()

    for n in range(5):
        learner.observe(f"{SITE}/a{n}?session={n}", f"{SITE}/elsewhere")
        learner.observe(f"{SITE}/b{n}?session={n}", f"https://other.example/b{n}")

    assert learner.learnt() == {}


def test_catalogue_overrides_win_both_ways():
    learner = ParamLearner()
    learner.set_overrides("example.com", keep=["replytocom"], drop=["lang_switch"])
    _pages(learner, 4, "replytocom={n}")

    cleaned = learner.clean_url(f"{SITE}/a?replytocom=1&lang_switch=fr&b=1")

    assert cleaned == f"{SITE}/a?b=1&replytocom=1"


def test_fixed_list_still_applies_without_any_learning():
    learner = ParamLearner()

    assert learner.clean_url(f"{SITE}/a?utm_source=x&fbclid=y") == f"{SITE}/a"


def test_learnt_parameters_are_stored_and_reloaded_by_the_next_run(database):
    store = ParamStore(database)
    store.ensure_indexes()
    first_run = ParamLearner()
    store.record(_pages(first_run, 3, "replytocom={n}&share=twitter&nb=1"),
                 now=dt.datetime.now(dt.UTC))

    next_run = ParamLearner()
    next_run.load(store.load(["example.com"]))

    assert next_run.learnt() == {"example.com": ["nb", "replytocom"]}
    document = database["url_params"].find_one({"_id": "example.com replytocom"})
    assert document["dropped_count"] == 3 and document["kept_count"] == 0
    assert len(document["pages"]) == 3 and document["learnt_at"] is not None
    assert [d["param"] for d in store.learnt()] == ["nb", "replytocom"]


def test_two_workers_evidence_adds_up_in_the_database(database):
    store = ParamStore(database)
    worker_a, worker_b = ParamLearner(), ParamLearner()
    now = dt.datetime.now(dt.UTC)

    store.record(_pages(worker_a, 2, "ref_box={n}"), now=now)
    store.record(_pages(worker_b, 2, "ref_box={n}", start=2), now=now)
    worker_a.load(store.load())

    assert worker_a.learnt() == {"example.com": ["ref_box"]}
    assert database["url_params"].find_one()["dropped_count"] == 4


def test_a_stored_keep_vetoes_what_another_worker_learnt(database):
    store = ParamStore(database)
    learner = ParamLearner()
    now = dt.datetime.now(dt.UTC)
    store.record(_pages(learner, 3, "view={n}"), now=now)
    other = ParamLearner()
    store.record(other.observe(f"{SITE}/gallery?view=grid", f"{SITE}/gallery?view=grid"), now=now)

    fresh = ParamLearner()
    fresh.load(store.load())

    assert fresh.learnt() == {}
    assert database["url_params"].find_one()["learnt_at"] is None


def test_min_pages_below_one_is_refused():
    with pytest.raises(ValueError, match="min_pages"):
        ParamLearner(min_pages=0)


def test_copy_suffix_is_learnt_like_a_parameter():
    learner = ParamLearner()
    link = f"{SITE}/2024/06/story-9/amp/"

    for n in range(3):
        learner.observe(f"{SITE}/2024/06/story-{n}/amp/", f"{SITE}/2024/06/story-{n}/")

    assert learner.clean_url(link) == f"{SITE}/2024/06/story-9/"
    assert learner.clean_url(f"{SITE}/2024/06/amp/") == f"{SITE}/2024/06/"  # a path ending so
    assert learner.clean_url(f"{SITE}/2024/06/story-9/page/2/") == f"{SITE}/2024/06/story-9/page/2/"


def test_numbers_and_page_are_never_copy_suffixes():
    learner = ParamLearner()

    for n in range(4):
        learner.observe(f"{SITE}/story-{n}/2/", f"{SITE}/story-{n}/")
        learner.observe(f"{SITE}/story-{n}/page/", f"{SITE}/story-{n}/")

    assert learner.learnt() == {}


def test_unsettled_names_the_parameters_still_being_learnt():
    learner = ParamLearner()
    _pages(learner, 1, "replytocom={n}")

    assert learner.unsettled(f"{SITE}/x?replytocom=1&utm_source=a&page=2&q=b") == ["replytocom", "q"]
    _pages(learner, 2, "replytocom={n}", start=1)
    assert learner.unsettled(f"{SITE}/x?replytocom=1") == []


def test_a_pages_own_copy_is_undecided_from_its_first_link():
    learner = ParamLearner()
    page = f"{SITE}/2024/06/story-1/"

    assert learner.unsettled(f"{page}amp/", linked_from=page) == ["/amp"]
    assert learner.unsettled(f"{page}amp/", linked_from=f"{SITE}/tech/") == []  # another page
    assert learner.unsettled(f"{page}page/", linked_from=page) == []  # pagination, never a copy


def test_catalogue_overrides_leave_nothing_to_learn():
    learner = ParamLearner()
    learner.set_overrides("example.com", keep=["ref"], drop=["/amp"])

    observations = _pages(learner, 4, "ref={n}")
    for n in range(4):
        observations += learner.observe(f"{SITE}/story-{n}/amp/", f"{SITE}/story-{n}/")

    assert observations == [] and learner.learnt() == {}
    assert learner.clean_url(f"{SITE}/story-9/amp/?ref=home") == f"{SITE}/story-9/?ref=home"


def test_sites_params_prints_learnt_kept_and_catalogue_rows():
    import io

    from crawler.catalogue.sites import load_catalogue
    from crawler.cli.sites import print_params

    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    observed = [
        {"host": "example.com", "param": "replytocom", "dropped_count": 7, "kept_count": 0,
         "learnt_at": when},
        {"host": "example.com", "param": "view", "dropped_count": 3, "kept_count": 1,
         "learnt_at": None},
        {"host": "example.com", "param": "nb", "dropped_count": 1, "kept_count": 0,
         "learnt_at": None},
    ]
    out = io.StringIO()

    learnt = print_params(observed, load_catalogue().values(), out)

    lines = [line.split() for line in out.getvalue().splitlines()]
    assert learnt == 1
    assert ["example.com", "replytocom", "learnt", "7", "0", "2026-01-02", "03:04", "-"] in lines
    assert ["example.com", "view", "kept", "3", "1", "-", "-"] in lines
    assert ["example.com", "nb", "learning", "1", "0", "-", "-"] in lines
    assert out.getvalue().endswith("1 learnt parameter(s) on 1 host(s)\n")


def test_sites_params_says_so_when_nothing_was_learnt():
    import io

    from crawler.cli.sites import print_params

    out = io.StringIO()

    assert print_params([], [], out) == 0
    assert out.getvalue().startswith("no URL parameter learnt yet")
