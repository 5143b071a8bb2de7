"""ArticlePage on the hand-built fixture site (crawler/demo_site/, also `newscrawl demo`'s site).

The Softonic page is a rebuild of a real softonic.com/fr article around its visible text; the
expected body is in `tests/fixtures/demo_site/softonic_expected_body.txt`. `expected.json` beside
it describes every article of the site; extraction is checked against it page by page, without a
crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent.parent / "crawler" / "demo_site"
EXPECTATIONS = Path(__file__).resolve().parent / "fixtures" / "demo_site"
HOST = "http://fixture.test"
SOFTONIC_PATH = (
    "/articles/voici-comment-microsoft-a-vecu-de-linterieur-la-debacle-dopenai-et-de-sam-altman"
)
EXPECTED = json.loads((EXPECTATIONS / "expected.json").read_text(encoding="utf-8"))


def _html(path: str) -> str:
    return (SITE / path.strip("/") / "index.html").read_text(encoding="utf-8")


def _page(path: str):
    # imported here so that a missing or broken module fails these tests, not their collection
    from crawler.extract import ArticlePage

    return ArticlePage(
        HOST + path, _html(path), source="fixture_fr", language="fr", timezone="Europe/Paris"
    )


def test_softonic_article_fields_are_extracted_exactly():
    item = _page(SOFTONIC_PATH).to_item()

    assert item["title"] == (
        "Voici comment Microsoft a vécu de l’intérieur la débâcle d’OpenAI et de Sam Altman :"
        " ça vaut le coup"
    )
    assert item["subtitle"] == (
        "Le géant américain a commenté sur les forums internes ce qui se passait"
        " de l'autre côté de la ville"
    )
    assert item["authors"] == ["Chema Carvajal Sarabia"]
    assert item["section"] == "Infos"
    assert item["language"] == "fr"
    assert item["tags"] == ["OpenAI", "Microsoft", "Sam Altman", "Intelligence artificielle"]
    assert item["image_url"] == (
        "https://images.techactu.example/2023/11/microsoft-openai-sam-altman.jpg"
    )
    # JSON-LD datePublished, kept raw; the dates pipeline makes it 2023-11-22T08:12:00Z
    assert item["published_raw"]["text"] == "2023-11-22T09:12:00+01:00"


def test_softonic_body_is_the_article_text_without_widgets_ads_or_author_box():
    item = _page(SOFTONIC_PATH).to_item()
    expected = (EXPECTATIONS / "softonic_expected_body.txt").read_text(encoding="utf-8").rstrip("\n")

    assert item["body"] == expected
    clutter_texts = (
        "Télécharger",
        "Publicité",
        "Mise à jour",
        "Lire aussi",
        "Journaliste spécialisé",
        "Nouveautés de",
        "Directives éditoriales",
        "commentaires",
    )
    for clutter in clutter_texts:
        assert clutter not in item["body"]


def test_video_hub_under_articles_is_not_an_article():
    is_article, reason = _page("/articles/videos").article_verdict()

    assert is_article is False
    assert isinstance(reason, str)
    assert reason


def _opening(expected: dict) -> str:
    """The standfirst, when the page has one, then the first paragraph."""
    if expected.get("subtitle"):
        return f"{expected['subtitle']}\n\n{expected['body_starts']}"
    return expected["body_starts"]


@pytest.mark.parametrize(
    "expected", EXPECTED["articles"], ids=lambda a: a["path"].rsplit("/", 1)[1]
)
def test_fixture_article_is_extracted_as_described_in_expected_json(expected):
    page = _page(expected["path"])
    is_article, reason = page.article_verdict()
    assert is_article, reason

    item = page.to_item()
    assert item["title"] == expected["title"]
    assert item["subtitle"] == expected["subtitle"]
    assert item["authors"] == expected["authors"]
    assert item["language"] == expected["language"]
    assert item["tags"] == expected["tags"]
    # a standfirst inside the article opens the body (issue 14c) and is also the subtitle
    assert item["body"].startswith((expected["body_starts"], _opening(expected)))
    assert item["body"].endswith(expected["body_ends"])
    assert item["published_raw"] is not None
