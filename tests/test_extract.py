"""ArticlePage and its parts on small hand-written pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crawler.extract import ArticlePage
from crawler.extract.article import article_item
from crawler.extract.datefinder import label_dates, url_date
from crawler.extract.document import parse_html
from crawler.extract.fallback import SecondOpinion
from crawler.extract.jsonld import parse_jsonld_text
from crawler.extract.language import choose_language, detect_language
from crawler.extract.names import clean_name, split_names
from crawler.extract.title import strip_site_name

URL = "https://news.example.fr/2024/03/12/un-article"
PROSE = (
    "Le gouvernement a présenté mardi un projet de loi qui doit encadrer l’usage de "
    "l’intelligence artificielle dans les administrations, et les syndicats ont réagi dans "
    "la journée en demandant des garanties pour les agents."
)


def _page(head: str = "", body: str = "", **kwargs) -> ArticlePage:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return ArticlePage(kwargs.pop("url", URL), html, **kwargs)


def _jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _article_body(paragraphs: int = 4) -> str:
    return "<article><h1>Un titre</h1>" + "".join(
        f"<p>{PROSE} Paragraphe {i}.</p>" for i in range(paragraphs)) + "</article>"


# ---------------------------------------------------------------- JSON-LD


def test_jsonld_news_article_gives_title_authors_dates_and_verdict():
    page = _page(_jsonld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Un titre",
        "datePublished": "2024-03-12T10:00:00+01:00", "dateModified": "2024-03-12T12:00:00+01:00",
        "author": {"@type": "Person", "name": "Jeanne Dupont"},
    }), _article_body())

    item = page.to_item()

    assert page.article_verdict() == (True, "jsonld:NewsArticle")
    assert item["title"] == "Un titre"
    assert item["authors"] == ["Jeanne Dupont"]
    assert item["published_raw"] == {"text": "2024-03-12T10:00:00+01:00", "where": "jsonld"}
    assert item["updated_raw"] == {"text": "2024-03-12T12:00:00+01:00", "where": "jsonld"}


def test_jsonld_graph_with_id_references_resolves_the_author_person():
    page = _page(_jsonld({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": "#page", "name": "Site"},
        {"@type": "Person", "@id": "#jeanne", "name": "Jeanne Dupont"},
        {"@type": ["Article", "NewsArticle"], "headline": "Un titre", "author": {"@id": "#jeanne"},
         "datePublished": "2024-03-12"},
    ]}), _article_body())

    assert page.to_item()["authors"] == ["Jeanne Dupont"]
    assert page.article_verdict()[0] is True


def test_jsonld_list_of_blocks_and_string_author_list_are_split():
    page = _page(_jsonld([{"@type": "Organization", "name": "Le Site"},
                          {"@type": "BlogPosting", "headline": "Un titre",
                           "author": "Jeanne Dupont, Paul Martin"}]), _article_body())

    assert page.to_item()["authors"] == ["Jeanne Dupont", "Paul Martin"]


def test_the_publisher_named_as_author_is_dropped_when_a_person_is_named():
    page = _page(_jsonld({"@type": "NewsArticle", "headline": "Un titre", "author": [
        {"@type": "Organization", "name": "Le Site"}, {"@type": "Person", "name": "Paul Martin"}],
        "publisher": {"@type": "Organization", "name": "Le Site"}}), _article_body())

    item = page.to_item()

    assert item["authors"] == ["Paul Martin"]
    assert item["publisher"] == "Le Site"


def test_an_organisation_author_that_is_not_the_publisher_is_an_agency_beside_the_person():
    page = _page(_jsonld({"@type": "NewsArticle", "headline": "Un titre", "author": [
        {"@type": "Person", "name": "Paul Martin"},
        {"@type": "Organization", "name": "Agence France-Presse"}],
        "publisher": {"@type": "Organization", "name": "Le Site"}}), _article_body())

    assert page.to_item()["authors"] == ["Paul Martin", "Agence France-Presse"]
    assert "not the publisher, an agency" in page.evidence()["authors"][0]


def test_the_parent_company_of_the_copyright_line_is_no_author_beside_the_writer():
    head = ('<meta name="author" content="Condé Nast"><meta name="author" content="Jane Doe">'
            '<meta name="copyright" content="Copyright (c) Condé Nast 2022">')

    page = _page(head, _article_body())

    assert page.to_item()["authors"] == ["Jane Doe"]
    assert page.evidence()["authors"] == ["publisher dropped beside a person: ['Condé Nast']",
                                          "meta: ['Jane Doe']"]


def test_the_publisher_field_comes_from_jsonld_then_og_site_name():
    assert _page('<meta property="og:site_name" content="Le Courrier">',
                 _article_body()).to_item()["publisher"] == "Le Courrier"
    assert _page("", _article_body()).to_item()["publisher"] is None


def test_organisation_author_is_kept_when_alone():
    page = _page(_jsonld({"@type": "NewsArticle", "headline": "Un titre",
                          "author": {"@type": "Organization", "name": "Le Site"}}), _article_body())

    assert page.to_item()["authors"] == ["Le Site"]


def test_broken_jsonld_with_trailing_commas_and_raw_newlines_is_repaired():
    broken = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Un\n'
              'titre", "author": {"name": "Jeanne Dupont",},}</script>')

    page = _page(broken, _article_body())

    assert page.to_item()["authors"] == ["Jeanne Dupont"]
    assert parse_jsonld_text("{not json") is None


def test_invalid_jsonld_is_ignored_and_meta_tags_are_used():
    head = ('<script type="application/ld+json">{{{</script>'
            '<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2024-03-12T10:00:00Z">'
            '<meta name="author" content="Jeanne Dupont">')

    page = _page(head, _article_body())
    item = page.to_item()

    assert page.article_verdict() == (True, "og:type=article")
    assert item["authors"] == ["Jeanne Dupont"]
    assert item["published_raw"] == {"text": "2024-03-12T10:00:00Z",
                                     "where": "meta:article:published_time"}


def test_related_article_node_does_not_win_over_the_full_article_node():
    page = _page(_jsonld([
        {"@type": "NewsArticle", "headline": "Autre article"},
        {"@type": "NewsArticle", "headline": "Un titre", "datePublished": "2024-03-12",
         "author": "Jeanne Dupont"},
    ]), _article_body())

    assert page.to_item()["published_raw"]["text"] == "2024-03-12"


# ---------------------------------------------------------------- authors


@pytest.mark.parametrize(("byline", "names"), [
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("Par Jeanne Dupont et Paul Martin", ["Jeanne Dupont", "Paul Martin"]),
    ("Von Max Mustermann", ["Max Mustermann"]),
    ("Por Luna González", ["Luna González"]),
    ("Jane Doe | Updated March 3, 2024", ["Jane Doe"]),
])
def test_bylines_in_several_languages_are_split_into_names(byline, names):
    assert split_names(byline) == names


@pytest.mark.parametrize("raw", ["https://example.com/author/jane", "12/03/2024", "", "admin"])
def test_urls_dates_and_placeholders_are_not_names(raw):
    assert clean_name(raw) is None


def test_visible_byline_is_used_when_no_metadata_names_an_author():
    page = _page("", '<p class="signature">Par Jeanne Dupont</p>' + _article_body())

    assert page.to_item()["authors"] == ["Jeanne Dupont"]


def test_rel_author_link_names_the_author():
    page = _page("", '<span>Par <a rel="author" href="/a/j">Jeanne Dupont</a></span>'
                 + _article_body())

    assert page.to_item()["authors"] == ["Jeanne Dupont"]


# ---------------------------------------------------------------- titles


def test_site_suffix_is_stripped_when_the_rest_matches_the_h1():
    page = _page("<title>Un titre | Le Site</title>", "<h1>Autre chose</h1>")

    assert strip_site_name("Un titre | Le Site", ["Un titre"]) == "Un titre"
    assert page.to_item()["title"] == "Un titre | Le Site"


def test_h1_wins_when_metadata_agrees_with_it():
    head = '<meta property="og:title" content="Un titre - Le Site"><title>Un titre - Le Site</title>'

    page = _page(head, "<h1>Un titre</h1><p>texte</p>")

    assert page.to_item()["title"] == "Un titre"


def test_site_logo_h1_does_not_replace_the_headline():
    head = '<meta property="og:title" content="Le vrai titre de l’article">'

    page = _page(head, "<h1>Le Site</h1><p>texte</p>")

    assert page.to_item()["title"] == "Le vrai titre de l’article"


def test_title_with_a_dash_inside_is_kept_whole():
    assert strip_site_name("Q&A: a - b", []) == "Q&A: a - b"


# ---------------------------------------------------------------- dates


def test_visible_labels_give_published_and_updated_dates():
    published, updated = label_dates("Publié le 12 mars 2024 à 10h15 Mis à jour le 13 mars 2024")

    assert published == {"text": "12 mars 2024 à 10h15", "where": "text:label"}
    assert updated == {"text": "13 mars 2024", "where": "text:label"}


@pytest.mark.parametrize("text", [
    "Menu News  PUBLISHED  ON 3 March 2024 10:15 by Jane  Last   updated: March 4, 2024 09:00",
    "mis  en ligne le 12/03/2024 Mise à jour : 22 novembre 2023 à 10h15 Publié le 1 mars 2024",
    "Posted Posted on 2024-03-01T10:00Z dernière mise à jour 2 avril 2024 Updated 5 May 2024",
    "Veröffentlicht am 12.03.2024 um 10.15 Uhr AKTUALISIERT 13.03.2024 Erstellt am 1.2.2024",
    "Опубликовано 12 марта 2024 Обновлено 13.03.2024 дата  публикации 1.1.2024",
    "YAYINLANMA 12.03.2024 yayınlanma 13.03.2024 güncelleme 14.03.2024",
    "Publiſhed 1 March 2024, PUBLİSHED 2 March 2024: the case variants of the full scan",
    "nothing to see here, mission promised, first of all, at last",
])
def test_label_search_from_label_starts_finds_what_a_full_scan_finds(text):
    from crawler.extract.datefinder import _LABEL_RE, _label_matches

    found = [m.span() for m in _label_matches(text, text.lower(), 0)]

    assert found == [m.span() for m in _LABEL_RE.finditer(text)]


def test_every_date_label_starts_with_a_label_start():
    from crawler.extract.datefinder import _LABEL_STARTS, _PUBLISHED_LABEL, _UPDATED_LABEL

    labels = f"{_PUBLISHED_LABEL}|{_UPDATED_LABEL}".split("|")

    assert all(label.lower().startswith(_LABEL_STARTS) for label in labels)


def test_time_element_datetime_is_the_published_date():
    page = _page("", '<p><time datetime="2024-03-12T10:00">12 mars</time></p>' + _article_body())

    assert page.to_item()["published_raw"] == {"text": "2024-03-12T10:00",
                                               "where": "time[datetime]"}


def test_time_element_in_related_box_is_ignored_and_url_date_used():
    body = _article_body() + ('<aside class="related"><time datetime="2020-01-01">1 janv.</time>'
                              "</aside>")

    page = _page("", body)

    assert page.to_item()["published_raw"] == {"text": "2024-03-12", "where": "url"}


def test_url_date_is_read_from_the_path():
    assert url_date("https://example.com/2020/02/19/title/") == {"text": "2020-02-19",
                                                                 "where": "url"}
    assert url_date("https://example.com/title/") is None


def test_page_without_offset_gets_a_timezone_hint_from_other_timestamps():
    head = ('<meta property="article:published_time" content="2024-03-12T10:00:00">'
            '<meta property="article:modified_time" content="2024-03-12T12:00:00+01:00">')

    page = _page(head, _article_body(), url="https://example.com/a",
                 fetched_at=datetime(2024, 3, 13, tzinfo=UTC))

    assert page.timezone_hint == "+01:00"
    item, errors = article_item(page)  # the date is read in the page's own zone
    assert item["published_at"] == datetime(2024, 3, 12, 9, 0, tzinfo=UTC) and errors == {}


def test_page_with_offsets_needs_no_timezone_hint():
    head = '<meta property="article:published_time" content="2024-03-12T10:00:00+01:00">'

    assert _page(head, _article_body()).timezone_hint is None


# ---------------------------------------------------------------- body


def test_body_keeps_paragraphs_and_drops_share_newsletter_and_read_also_blocks():
    body = ("<article><h1>Un titre</h1>"
            '<div class="share"><a href="#">Partager sur Facebook</a></div>'
            f"<p>{PROSE}</p>"
            '<p><strong>Lire aussi :</strong> <a href="/x">Un autre article</a></p>'
            '<div class="newsletter"><p>Inscrivez-vous à notre newsletter quotidienne.</p></div>'
            f"<h2>Un intertitre</h2><p>Suite : {PROSE}</p>"
            '<div class="ad-slot"><span>Publicité</span></div>'
            '<div class="author-bio"><p>Jeanne Dupont est journaliste depuis vingt ans.</p></div>'
            "</article>")

    text = _page("", body).to_item()["body"]

    assert text == f"{PROSE}\n\nUn intertitre\n\nSuite : {PROSE}"


def test_jsonld_article_body_is_used_when_the_html_has_much_less_text():
    long_body = "\n".join([PROSE] * 10)
    page = _page(_jsonld({"@type": "NewsArticle", "headline": "T", "articleBody": long_body}),
                 f"<article><p>{PROSE}</p></article>")

    assert page.to_item()["body"].count(PROSE) == 10


def test_css_override_selects_the_body_and_the_title():
    body = (f'<div class="main"><p>{PROSE}</p></div><div class="other"><p>Autre {PROSE}</p></div>'
            '<span class="t">Titre choisi</span>')

    page = _page("", body, selectors={"body": ".other", "title": ".t"})

    assert page.to_item()["body"] == f"Autre {PROSE}"
    assert page.to_item()["title"] == "Titre choisi"


def test_invalid_css_override_is_ignored():
    page = _page("", _article_body(), selectors={"body": "p[[["})

    assert PROSE in page.to_item()["body"]


# ---------------------------------------------------------------- language


def test_declared_language_is_kept_when_the_text_agrees():
    assert choose_language(["fr-FR"], PROSE * 3) == "fr"


def test_text_overrides_a_wrong_declaration():
    english = ("The government presented on Tuesday a bill that is to regulate the use of "
               "artificial intelligence in the administration, and the unions reacted within "
               "the day by asking for guarantees for the staff. ") * 3

    assert choose_language(["fr"], english) == "en"


def test_language_is_detected_from_text_when_nothing_is_declared():
    assert detect_language(PROSE * 3)[0] == "fr"
    assert _page("", _article_body()).to_item()["language"] == "fr"


# ---------------------------------------------------------------- robustness and verdicts


@pytest.mark.parametrize("html", ["", b"", "   ", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
                                  b"\x00\x01\x02" * 1000])
def test_empty_or_binary_input_gives_an_empty_item_and_a_negative_verdict(html):
    page = ArticlePage(URL, html)

    item = page.to_item()
    is_article, reason = page.article_verdict()

    assert is_article is False
    assert reason.startswith("not-html")
    assert item["url"] == URL
    assert item["authors"] == [] and item["tags"] == []
    assert item["body"] == ""


def test_broken_html_still_gives_title_and_text():
    html = f"<html><head><title>Un titre</title><body><div><p>{PROSE}<p>{PROSE}</div></span>"

    item = ArticlePage(URL, html).to_item()

    assert item["title"] == "Un titre"
    assert PROSE in item["body"]


def test_bytes_in_a_declared_legacy_charset_are_decoded():
    html = ("<html><head><meta charset='iso-8859-1'><title>Café crème</title></head>"
            f"<body><p>{PROSE}</p></body></html>").encode("iso-8859-1", errors="replace")

    assert ArticlePage(URL, html).to_item()["title"] == "Café crème"


def test_huge_input_does_not_crash():
    html = "<html><body>" + "<div><p>bla bla bla, bla.</p></div>" * 50_000 + "</body></html>"

    assert isinstance(ArticlePage(URL, html).to_item()["body"], str)


def test_listing_page_is_not_an_article():
    head = ('<meta property="og:type" content="website">'
            + _jsonld({"@type": "CollectionPage", "name": "Vidéos"}))
    body = "".join(f'<a href="/v/{i}">Vidéo {i}</a>' for i in range(30))

    is_article, reason = _page(head, body).article_verdict()

    assert is_article is False
    assert reason.startswith("listing: jsonld:collectionpage")


def test_item_has_exactly_the_item_fields():
    fetched = datetime(2024, 3, 12, tzinfo=UTC)

    item = _page("", _article_body(), source="site", fetched_at=fetched, section="tech").to_item()

    assert set(item) == {
        "url", "fetched_url", "canonical_url", "source", "title", "subtitle", "authors",
        "published_raw", "updated_raw", "section", "tags", "language", "body", "publisher",
        "image_url", "fetched_at", "extraction",
    }
    assert item["fetched_at"] is fetched
    assert item["section"] == "tech"
    assert item["source"] == "site"


def test_canonical_and_image_urls_are_made_absolute():
    head = '<link rel="canonical" href="/canon"><meta property="og:image" content="/i.jpg">'

    item = _page(head, _article_body()).to_item()

    assert item["canonical_url"] == "https://news.example.fr/canon"
    assert item["image_url"] == "https://news.example.fr/i.jpg"


def test_parse_html_rejects_empty_documents():
    assert parse_html("") is None
    assert parse_html("<!-- only a comment -->") is None


# ---------------------------------------------------------------- second opinion (issue 14)


def _weak_body_page() -> ArticlePage:
    """Four paragraphs of prose the own extractor reads, in a page whose main text is 3x that."""
    hidden_prose = "".join(f"<p>{PROSE} Suite {i}.</p>" for i in range(8))
    body = (_article_body() + f'<div class="share-tools" role="navigation">{hidden_prose}</div>')
    return _page('<meta property="og:type" content="article">', body)


def test_a_body_short_for_the_page_text_is_replaced_by_trafilaturas(monkeypatch):
    longer = "\n\n".join(f"{PROSE} Suite {i}." for i in range(12))
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion",
                        lambda html, url: SecondOpinion(body=longer, authors=["Jeanne Dupont"]))

    item = _weak_body_page().to_item()

    assert item["body"] == longer
    assert item["extraction"]["body"] == {"method": "trafilatura", "confidence": 0.7}
    # its names are not taken (issue 25): its byline search also reads related-article boxes;
    # the page's own byline rules, which name nobody here, decide
    assert item["authors"] == []
    assert item["extraction"]["authors"]["method"] == "none"


def test_a_weak_body_is_kept_when_trafilatura_finds_no_more(monkeypatch):
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion",
                        lambda html, url: SecondOpinion(body=PROSE))

    item = _weak_body_page().to_item()

    assert item["body"].startswith(PROSE)
    assert item["extraction"]["body"] == {"method": "own", "confidence": 0.4}


def test_a_sound_body_never_asks_trafilatura(monkeypatch):
    def fail(html, url):
        raise AssertionError("trafilatura called for a sound body")
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion", fail)

    item = _page(_jsonld({"@type": "NewsArticle", "headline": "Un titre",
                          "author": {"@type": "Person", "name": "Jeanne Dupont"}}),
                 _article_body()).to_item()

    assert item["extraction"]["body"] == {"method": "own", "confidence": 0.9}
    assert item["extraction"]["authors"] == {"method": "jsonld", "confidence": 0.9}
    assert item["extraction"]["title"] == {"method": "jsonld+h1", "confidence": 0.95}


def test_a_page_whose_body_both_extractors_miss_gets_an_empty_body(monkeypatch):
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion",
                        lambda html, url: SecondOpinion(body="Abonnez-vous."))
    prose = "".join(f"<p>{PROSE} {i}.</p>" for i in range(8))
    page = _page('<meta property="og:type" content="article">',
                 f'<h1>Un titre</h1><p>Abonnez-vous.</p><div hidden>{prose}</div>')

    item = page.to_item()

    assert item["body"] == ""  # the validator drops it as no_body: never stored empty
    assert item["extraction"]["body"] == {"method": "none", "confidence": 0.0}


def test_trafilaturas_byline_rules_name_the_author_when_ours_find_none():
    body = (_article_body().replace("</h1>", '</h1><span class="journalist-name">Jeanne Dupont'
                                              "</span>"))

    item = _page('<meta property="og:type" content="article">', body).to_item()

    assert item["authors"] == ["Jeanne Dupont"]
    assert item["extraction"]["authors"] == {"method": "trafilatura", "confidence": 0.5}


def test_htmldate_gives_the_day_when_the_page_has_no_date_markup():
    body = _article_body().replace("</article>", "<p>Paris, 12/03/2024</p></article>")

    item = _page('<meta property="og:type" content="article">', body,
                 url="https://news.example.fr/un-article").to_item()

    assert item["published_raw"] == {"text": "2024-03-12", "where": "htmldate"}
    assert item["extraction"]["published"] == {"method": "htmldate", "confidence": 0.5}


def test_the_outlet_named_as_author_gives_way_to_the_visible_byline():
    head = ('<meta property="og:site_name" content="Le Courrier">'
            '<meta name="author" content="Le Courrier">')
    body = _article_body().replace("</h1>", '</h1><p class="byline">Par Jeanne Dupont</p>')

    item = _page(head, body).to_item()

    assert item["authors"] == ["Jeanne Dupont"]
    assert item["extraction"]["authors"]["method"] == "html-byline"


@pytest.mark.parametrize(("values", "names"), [
    (["Sophie Foster", "https://news.example.fr/authors/sophie-foster/", "sophie-foster"],
     ["Sophie Foster"]),
    (["Emma Mackenzie", "(Image: Getty Images/iStockphoto)"], ["Emma Mackenzie"]),
    (["Le Courrier - Jeanne Dupont"], ["Jeanne Dupont"]),
])
def test_author_meta_tags_skip_profile_urls_slugs_credits_and_the_outlet(values, names):
    head = '<meta property="og:site_name" content="Le Courrier">' + "".join(
        f'<meta name="author" content="{v}">' for v in values)

    assert _page(head, _article_body()).authors == names


def test_the_date_is_cut_out_of_a_date_element_that_says_more():
    body = _article_body().replace(
        "</h1>", '</h1><div class="date">Paris · 12 mars 2024 10:15 · 3 min</div>')

    item = _page("", body).to_item()

    assert item["published_raw"] == {"text": "12 mars 2024 10:15", "where": "html:date-class"}


@pytest.mark.parametrize(("raw", "name"), [
    ("Sam Stein Senior Politics Editor", "Sam Stein"),
    ("Laura E Adkins December", "Laura E Adkins"),
    ("Jeanne Dupont Redakteurin", "Jeanne Dupont"),
    ("Mark Senior", "Mark Senior"),  # two words: a surname, not a role
])
def test_a_role_or_month_run_into_a_name_is_cut(raw, name):
    assert clean_name(raw) == name


@pytest.mark.parametrize(("raw", "name"), [
    ("Meg Wagner NEW YORK DAILY NEWS", "Meg Wagner"),
    ("Joe Davidson Washington Post", "Joe Davidson"),
    ("Laura E. Adkins is Opinion Editor", "Laura E. Adkins"),
    ("André Oliver KLEIN", "André Oliver KLEIN"),  # one upper-case word: the surname
    ("Anna Maria Post", "Anna Maria Post"),  # three words: no outlet before "Post"
])
def test_an_outlet_or_a_bio_run_into_a_name_is_cut(raw, name):
    assert clean_name(raw) == name


def test_an_outlet_named_as_author_gives_way_to_a_second_bylines_person():
    head = _jsonld({"@type": "NewsArticle", "headline": "Un titre",
                    "author": {"@type": "Organization", "name": "Le Courrier"}})
    body = _article_body().replace("</h1>", '</h1><span class="journalist-name">Jeanne Dupont'
                                            "</span>")

    item = _page(head, body).to_item()

    assert item["authors"] == ["Jeanne Dupont"]
    assert item["extraction"]["authors"]["method"] == "trafilatura"


def test_an_outlet_author_stays_when_the_second_byline_is_a_credit_line():
    head = _jsonld({"@type": "NewsArticle", "headline": "Un titre",
                    "author": {"@type": "Organization", "name": "Le Courrier"}})
    body = _article_body().replace(
        "</h1>", '</h1><span class="journalist-name">red, lecourrier.fr/Agences</span>')

    item = _page(head, body, url="https://www.lecourrier.fr/2024/03/12/un-article").to_item()

    assert item["authors"] == ["Le Courrier"]
    assert item["extraction"]["authors"]["method"] == "jsonld-organisation"


@pytest.mark.parametrize("title", [
    "Le vrai titre de l’article - Le Courrier",
    "Le vrai titre de l’article ｜ Le Courrier",
])
def test_a_title_tail_naming_the_site_by_its_host_name_is_cut(title):
    head = f'<meta property="og:title" content="{title}">'

    page = _page(head, "<p>texte</p>", url="https://www.lecourrier.fr/2024/03/12/un-article")

    assert page.title == "Le vrai titre de l’article"


def test_a_section_label_before_the_headline_in_the_h1_is_dropped():
    head = '<meta property="og:title" content="Le vrai titre de l’article">'

    page = _page(head, "<h1><span>Politique</span> | Le vrai titre de l’article</h1><p>texte</p>")

    assert page.title == "Le vrai titre de l’article"


def test_an_h1_with_a_dash_inside_the_headline_is_kept_whole():
    head = '<meta property="og:title" content="Le vrai titre de l’article">'

    page = _page(head, "<h1>Le vrai titre - de l’article</h1><p>texte</p>")

    assert page.title == "Le vrai titre - de l’article"


@pytest.mark.parametrize(("byline", "names"), [
    ('<a href="/author/jdupont">Jeanne Dupont</a>', ["Jeanne Dupont"]),
    ('<span>By </span><a href="/profile/jeanne-dupont-1">Jeanne Dupont</a>', ["Jeanne Dupont"]),
    ('<a href="/profile/jeanne-dupont-1">Jeanne Dupont</a>', []),  # a profile link alone
    ('<a href="/author/jdupont">tous ses articles</a>', []),  # not a name
])
def test_a_link_to_the_writers_page_names_the_author_when_nothing_else_does(byline, names):
    body = _article_body().replace("</h1>", f"</h1><div>{byline}</div>")

    item = _page('<meta property="og:type" content="article">', body).to_item()

    assert item["authors"] == names


# ---------------------------------------------------------------- issue 14c: dates


@pytest.mark.parametrize(("line", "raw"), [
    ('<div class="lineinfo">Do 12.03.24 | 14:07 Uhr | Von Jeanne Dupont</div>',
     "12.03.24 | 14:07 Uhr"),
    ('<time data-published="2024-03-12 09:13:00Z">12 mars 2024</time>', "2024-03-12 09:13:00Z"),
])
def test_a_day_from_metadata_takes_the_time_the_page_shows_for_that_day(line, raw):
    head = '<meta property="article:published_time" content="2024-03-12">'
    body = _article_body().replace("</h1>", f"</h1>{line}")

    item = _page(head, body).to_item()

    assert item["published_raw"]["text"] == raw
    assert item["published_raw"]["where"].startswith("meta:article:published_time+")


def test_a_time_shown_for_another_day_is_not_taken():
    head = '<meta property="article:published_time" content="2024-03-12">'
    body = _article_body().replace("</h1>", "</h1><p>Mis en ligne le 11/03/2024 à 18:05</p>")

    item = _page(head, body).to_item()

    assert item["published_raw"] == {"text": "2024-03-12",
                                     "where": "meta:article:published_time"}


def test_a_date_line_the_parser_cannot_read_is_replaced_by_htmldates_day():
    body = _article_body().replace(
        "</h1>", '</h1><div class="date">[03月12日 11時30分]</div>').replace(
        "</article>", "<p>Paris, 12/03/2024</p></article>")

    item = _page('<meta property="og:type" content="article">', body,
                 url="https://news.example.fr/un-article").to_item()

    assert item["published_raw"]["text"] == "2024-03-12"
    assert item["published_raw"]["where"] == "htmldate"


def test_a_pubdate_mark_on_many_times_marks_a_list_not_the_article():
    listing = "".join(f'<li><time pubdate datetime="2024-05-0{i}T10:00:00Z">x</time></li>'
                      for i in range(1, 6))
    body = _article_body().replace(
        "</h1>", '</h1><p><time datetime="2024-03-12T10:00:00Z">12 mars</time></p>').replace(
        "</article>", f"</article><ul>{listing}</ul>")

    assert _page("", body).to_item()["published_raw"]["text"] == "2024-03-12T10:00:00Z"


# ---------------------------------------------------------------- issue 14c: titles

SEO = "Budget vote: council approves transport plan"


def test_the_one_h1_wording_the_story_differently_from_agreeing_metadata_is_the_headline():
    head = (f'<meta property="og:title" content="{SEO}">'
            f'<meta name="twitter:title" content="{SEO}">')

    page = _page(head, "<h1>After a long night, the council approves its transport budget</h1>")

    assert page.title == "After a long night, the council approves its transport budget"
    assert page.extraction()["title"] == {"method": "h1", "confidence": 0.7}


@pytest.mark.parametrize("h1", [
    "Weather: sunny spells all weekend long",  # shares no word: another story
    "Transport",  # a section name
])
def test_an_h1_about_something_else_does_not_replace_the_metadata_headline(h1):
    page = _page(f'<meta property="og:title" content="{SEO}">', f"<h1>{h1}</h1>")

    assert page.title == SEO


def test_metadata_titles_that_disagree_among_themselves_keep_the_first():
    head = (f'<meta property="og:title" content="{SEO}">'
            '<meta name="twitter:title" content="Council approves the transport budget">')

    page = _page(head, "<h1>After a long night, the council approves its transport budget</h1>")

    assert page.title == SEO


def test_a_display_headline_loses_its_kicker_span():
    head = f'<meta property="og:title" content="{SEO}">'
    h1 = ('<h1><span class="seitenkopf__topline">City hall</span> '
          '<span class="headline">Council approves its transport budget after a long night'
          '</span></h1>')

    assert _page(head, h1).title == "Council approves its transport budget after a long night"


@pytest.mark.parametrize(("h1", "title"), [
    # a kicker glued to the metadata headline by the h1's spans
    (f"<h1><span>Open Progress</span><span>{SEO}</span></h1>", SEO),
    # punctuation the spans lost, restored from the metadata
    ("<h1><span>Budget vote</span> <span>council approves transport plan</span></h1>", SEO),
])
def test_an_h1_that_reads_as_the_metadata_headline_takes_its_writing(h1, title):
    assert _page(f'<meta property="og:title" content="{SEO}">', h1).title == title


# ---------------------------------------------------------------- issue 14c: bodies

TEASER = ("The mayor said on Monday that the city would hire forty more drivers next spring, "
          "after a year of complaints about late and cancelled buses on the busiest lines.")


def _teasers(card: str, count: int = 6) -> str:
    return "<div class='more'>" + "".join(card.format(i=i) for i in range(count)) + "</div>"


@pytest.mark.parametrize("card", [
    # a card wrapped in a link
    "<div><a href='/story-{i}'><h4>Other story {i}</h4><p>" + TEASER + "</p></a></div>",
    # a linked title over a description
    "<div><h5><a href='/story-{i}'>Other story {i}</a></h5><div>" + TEASER + "</div></div>",
])
def test_teaser_cards_of_other_stories_stay_out_of_the_body(card):
    body = ("<div><article><h1>Un titre</h1>" + "".join(f"<p>{PROSE} {i}.</p>" for i in range(3))
            + "</article>" + _teasers(card) + "</div>")

    text = _page("", body).to_item()["body"]

    assert text.count(PROSE) == 3
    assert "Other story" not in text and "forty more drivers" not in text


def test_the_standfirst_stays_in_the_body():
    head = f'<meta property="og:description" content="{PROSE}">'

    text = _page(head, _article_body(3).replace("</h1>", f"</h1><p>{PROSE}</p>")).body

    assert text.startswith(f"{PROSE}\n\n")


def test_labels_and_a_copyright_line_around_the_article_are_dropped_but_not_a_closing_list():
    labels = "<p>Temas</p><p>Nächster Artikel</p><p>© 2020 Le Site. All Rights Reserved.</p>"
    listing = "".join(f"<p>June {i} -- Arena {i}, Sometown</p>" for i in range(1, 8))

    with_labels = _page("", _article_body(3).replace("</article>", f"{labels}</article>")).body
    with_list = _page("", _article_body(3).replace("</article>", f"{listing}</article>")).body

    assert with_labels.endswith("Paragraphe 2.")
    assert with_list.endswith("June 7 -- Arena 7, Sometown")


@pytest.mark.parametrize("notice", [
    "This post contains references to products from one or more of our advertisers.",
    "Für Links auf dieser Seite erhält Le Site ggf. eine Provision vom Händler.",
    "Never miss the latest news by signing up to our newsletter today!",
    "Photograph by Jeanne Dupont, Le Site",
    "Marco Odermatt, Ski-Star aus der Schweiz. © AFP / MARCO BERTORELLO",
])
def test_disclosures_newsletter_prompts_and_photo_credits_are_not_article_text(notice):
    body = _article_body(3).replace("</h1>", f"</h1><p>{notice}</p>")

    assert notice not in _page("", body).body


def test_ruby_readings_are_left_out_of_the_text():
    sentence = ("<ruby>子<rt>こ</rt></ruby>どもへの<ruby>虐待<rt>ぎゃくたい</rt></ruby>をなくすための"
                "<ruby>法律<rt>ほうりつ</rt></ruby>ができました。")
    body = ("<article><h1>タイトル</h1>"
            + "".join(f"<p>{sentence}{i}番目の段落です。</p>" for i in range(20)) + "</article>")

    assert _page("", body, url="https://news.example.jp/a").body.startswith(
        "子どもへの虐待をなくすための法律ができました。0番目")


def test_a_short_body_asks_trafilatura_even_when_the_page_has_little_paragraph_text(monkeypatch):
    longer = PROSE * 3
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion",
                        lambda html, url: SecondOpinion(body=longer, authors=[]))
    body = f"<article><h1>Un titre</h1><div>{PROSE[:120]}</div></article>"

    item = _page('<meta property="og:type" content="article">', body).to_item()

    assert item["body"] == longer
    assert item["extraction"]["body"]["method"] == "trafilatura"


# ---------------------------------------------------------------- bylines as a reader sees them (issue 25)


def _redesigned_page(weak_body: bool = False) -> ArticlePage:
    """An article whose redesign removed its byline; a related-article card names its writer
    (with every byline class trafilatura's rules know) and the footer lists the staff."""
    card = ('<div class="related-card"><h3><a href="/2024/03/11/autre-article">Un autre '
            'article du site</a></h3><p>Deux lignes de résumé.</p>'
            '<span class="byline author">Par Marie Curie</span></div>')
    teaser = ('<a href="/2024/03/10/encore-un" class="teaser"><h4>Encore un article</h4>'
              '<div class="author-name">Pierre Curie</div></a>')
    footer = ('<footer><ul class="staff"><li class="author">Jean Valjean, rédacteur en chef</li>'
              '<li class="author">Fantine Thénardier, journaliste</li></ul></footer>')
    body = _article_body(2 if weak_body else 4)
    return _page('<meta property="og:type" content="article">',
                 body + f"<section>{card}{teaser}</section>" + footer)


@pytest.mark.parametrize("weak_body", [False, True])
def test_a_page_without_byline_gets_no_author_from_cards_or_the_footer(monkeypatch, weak_body):
    # the body's second opinion, asked for a weak body, would name the card's writer
    monkeypatch.setattr("crawler.extract.page.trafilatura_opinion",
                        lambda html, url: SecondOpinion(body=PROSE, authors=["Marie Curie"]))

    item = _redesigned_page(weak_body).to_item()

    assert item["authors"] == []
    assert item["extraction"]["authors"] == {"method": "none", "confidence": 0.0}


def test_the_byline_of_the_article_is_found_beside_cards_of_other_articles():
    page = _redesigned_page()
    html = page._html.replace("<h1>Un titre</h1>",
                              '<h1>Un titre</h1><p class="byline">Par Jeanne Dupont</p>')

    assert ArticlePage(URL, html).authors == ["Jeanne Dupont"]


@pytest.mark.parametrize(("raw", "names"), [
    # French: role, place and label glued to the name
    ("Par Marie Dupont, envoyée spéciale à Kiev", ["Marie Dupont"]),
    ("Marie Dupont Rédactrice en chef, Paul Martin", ["Marie Dupont", "Paul Martin"]),
    ("Texte : Jean Dupont", ["Jean Dupont"]),
    # English: role words, a place in parentheses, an agency beside the writer
    ("By Sam Stein Senior Politics Editor", ["Sam Stein"]),
    ("By Jane Doe (London) and John Roe (AFP)", ["Jane Doe", "John Roe", "AFP"]),
    ("Jane Doe, Senior Editor, and John Roe", ["Jane Doe", "John Roe"]),
    # German: the magazine before "Von", "und", a desk label, a particle that stays
    ("FOCUS-Online-Experte Von Robin Tschöpe", ["Robin Tschöpe"]),
    ("Von Anna Schmidt und Tom Berg, Berlin", ["Anna Schmidt", "Tom Berg"]),
    ("Redaktion: Roman Warschauer", ["Roman Warschauer"]),
    ("Ursula von der Leyen", ["Ursula von der Leyen"]),
    # Spanish: "y", a relative date run into the byline, a role after a comma
    ("Por Isabel Caro, Rocío Latorre y José Miguel Wilson Hace 13 horas",
     ["Isabel Caro", "Rocío Latorre", "José Miguel Wilson"]),
    ("Ana García, periodista", ["Ana García"]),
    # Japanese: the label before and the role after the name
    ("文・山田太郎記者", ["山田太郎"]),
    ("山田太郎、佐藤花子", ["山田太郎", "佐藤花子"]),
    # labels and credits alone are nobody
    ("Senior Editor", []),
    ("Foto: Jane Doe", []),
])
def test_byline_names_lose_roles_places_and_labels_in_five_languages(raw, names):
    assert split_names(raw) == names


def test_a_sentence_starting_with_por_is_no_byline():
    body = _article_body().replace(
        "</h1>", "</h1><p>Por lo mismo, Aravena perdió la paciencia y no encontró nada.</p>")

    assert _page('<meta property="og:type" content="article">', body).authors == []


def test_a_menu_link_reading_by_is_no_byline():
    body = ('<nav><ul><li><a href="/transfers/position">By Position FB Transfers</a></li></ul>'
            "</nav>" + _article_body())

    assert _page('<meta property="og:type" content="article">', body).authors == []


def test_photo_shoot_credits_in_the_author_tag_give_way_to_the_visible_byline():
    head = ('<meta name="author" content="Connie Wang,Sharokh Mirzai,Ariel Pierre-Louis at MSA '
            'Models,Paul Warren for Amika">')
    body = _article_body().replace(
        "</h1>", '</h1><div class="byline"><a href="/author/connie-wang">Connie Wang</a></div>')

    page = _page(head, body)

    assert page.authors == ["Connie Wang"]
    assert page.evidence()["authors"][0].startswith("author meta tag lists credits")


def test_the_outlet_glued_to_the_writers_name_is_cut():
    head = '<meta property="og:site_name" content="PhillyVoice">'
    body = _article_body().replace(
        "</h1>", '</h1><div class="byline">By Adam Aaronson PhillyVoice Staff</div>')

    assert _page(head, body, url="https://www.phillyvoice.com/a/").authors == ["Adam Aaronson"]


def test_a_wire_credit_and_a_second_person_after_a_comma_stay_a_place_goes():
    page = _page(_jsonld({"@type": "NewsArticle", "headline": "Un titre", "author": [
        {"@type": "Person", "name": "Felix Schröder und Jörg Soldwisch, dpa"},
        {"@type": "Person", "name": "Markus Haefliger, London, Beat Bumbacher"}]}),
        _article_body())

    assert page.authors == ["Felix Schröder", "Jörg Soldwisch", "dpa", "Markus Haefliger",
                            "Beat Bumbacher"]


def test_the_publisher_alone_gives_way_to_the_person_the_page_credits_not_to_initials():
    head = _jsonld({"@type": "NewsArticle", "headline": "Un titre",
                    "author": {"@type": "Organization", "name": "Le Courrier"},
                    "publisher": {"@type": "Organization", "name": "Le Courrier"}})
    person = _article_body().replace("</h1>", '</h1><p class="byline">Par Jeanne Dupont</p>')
    initials = _article_body().replace("</article>", '<p class="article__author">amw</p>'
                                                     "</article>")

    assert _page(head, person).authors == ["Jeanne Dupont"]
    assert _page(head, initials).authors == ["Le Courrier"]


# ---------------------------------------------------------------- titles as a reader sees them (issue 25)


@pytest.mark.parametrize(("og", "site", "title"), [
    ("Un titre de l’article：Le Site", "Le Site", "Un titre de l’article"),
    ("Un titre de l’article_Économie_Le Site", "Le Site", "Un titre de l’article"),
    ("Un titre de l’article-LeSite", "LeSite", "Un titre de l’article"),
    ("新しいスマホの発表｜ガジェット通信", "ガジェット通信", "新しいスマホの発表"),
    ("Le Site : Un titre de l’article", "Le Site", "Un titre de l’article"),
    # not the site's name: the title stays whole
    ("Covid-19 : les cas augmentent", "Le Site", "Covid-19 : les cas augmentent"),
])
def test_the_sites_name_is_cut_from_the_title_whatever_the_separator(og, site, title):
    head = (f'<meta property="og:title" content="{og}"><meta property="og:site_name" '
            f'content="{site}"><meta property="article:section" content="Économie">')

    page = _page(head, "<article>" + "".join(f"<p>{PROSE}</p>" for _ in range(3)) + "</article>")

    assert page.title == title


def test_a_topic_kicker_shown_apart_from_the_h1_is_not_in_the_title():
    head = '<meta property="og:title" content="Chronik: Lotte Tobisch ist tot">'
    body = ('<div class="keyword">Chronik</div><h1>Lotte Tobisch ist tot</h1>'
            + "".join(f"<p>{PROSE}</p>" for _ in range(3)))

    page = _page(head, body)

    assert page.title == "Lotte Tobisch ist tot"
    assert "shown apart" in page.evidence()["title"][0]


def test_a_kicker_the_page_does_not_show_apart_stays_in_the_title():
    head = '<meta property="og:title" content="Rückbau: Kühltürme gesprengt">'
    body = "<h1>Kühltürme gesprengt</h1>" + "".join(f"<p>{PROSE}</p>" for _ in range(3))

    assert _page(head, body).title == "Rückbau: Kühltürme gesprengt"


def test_an_h1_in_a_breadcrumb_trail_is_not_the_headline():
    head = _jsonld({"@type": "NewsArticle", "headline": "Le titre affiché de l’article"})
    body = ('<ol class="breadcrumb"><li><a href="/">Accueil</a></li><li><h1>Titre SEO de '
            "l’article</h1></li></ol>" + "".join(f"<p>{PROSE}</p>" for _ in range(3)))

    page = _page(head + '<meta property="og:title" content="Titre SEO de l’article">', body)

    assert page.title == "Le titre affiché de l’article"
    assert page.evidence()["title"][0].startswith("<h1> of a breadcrumb trail left out")


def test_the_publisher_alone_gives_way_to_the_desk_the_page_credits():
    head = _jsonld({"@type": "NewsArticle", "headline": "Un titre",
                    "author": {"@type": "Organization", "name": "Le Courrier"},
                    "publisher": {"@type": "Organization", "name": "Le Courrier"}})
    body = _article_body().replace("</h1>", '</h1><p class="byline">Par la Rédaction Web</p>')

    assert _page(head, body).authors == ["la Rédaction Web"]


@pytest.mark.parametrize("label", ["Auteur", "Autorin", "Redakteurin", "Senior Editor"])
def test_the_word_for_author_alone_is_no_name(label):
    assert clean_name(label) is None
