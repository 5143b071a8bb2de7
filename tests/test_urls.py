"""URL canonicalisation and link classification."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, classify_link, on_domains


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://fr.softonic.com/articles/x", "https://fr.softonic.com/articles/x"),
        ("HTTPS://FR.Softonic.COM/articles/x", "https://fr.softonic.com/articles/x"),
        ("https://fr.softonic.com:443/articles/x", "https://fr.softonic.com/articles/x"),
        ("http://fr.softonic.com:80/articles/x", "http://fr.softonic.com/articles/x"),
        ("http://127.0.0.1:8080/articles/x", "http://127.0.0.1:8080/articles/x"),
        ("https://h.fr/a?utm_source=tw&utm_medium=social", "https://h.fr/a"),
        ("https://h.fr/a?fbclid=abc&gclid=def&id=3", "https://h.fr/a?id=3"),
        ("https://h.fr/a?b=2&a=1", "https://h.fr/a?a=1&b=2"),
        ("https://h.fr/a#comments", "https://h.fr/a"),
        ("https://h.fr/a?xtor=RSS-1&page=2#top", "https://h.fr/a?page=2"),
        ("https://h.fr/caf%C3%A9", "https://h.fr/caf%C3%A9"),
        ("https://h.fr/café", "https://h.fr/caf%C3%A9"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://h.fr", "https://h.fr/"),
        ("https://h.fr/a\n\tb", "https://h.fr/ab"),
        ("  https://h.fr/a  ", "https://h.fr/a"),
    ],
)
def test_canonical_url(raw, expected):
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["javascript:void(0)", "mailto:a@b.fr", "tel:+331", "data:text/html,hi", "", "   ",
     "/relative/only", "//no-scheme.fr/x", "ftp://h.fr/x", "https://", "http://[::1/x",
     "https://h.fr/" + "a" * 5000, None, 42],
)
def test_unusable_urls_have_no_canonical_form(raw):
    assert canonical_url(raw) is None


@given(st.text(max_size=300))
def test_canonical_url_never_raises_and_is_idempotent(text):
    once = canonical_url(text)
    if once is not None:
        assert canonical_url(once) == once


@given(st.from_regex(r"https?://[a-zA-Z0-9.-]{1,20}(:[0-9]{1,5})?(/[^\s#?]{0,30})?(\?[^\s#]{0,30})?(#\S{0,10})?",
                     fullmatch=True))
def test_canonical_url_of_url_like_strings_is_idempotent(text):
    once = canonical_url(text)
    if once is not None:
        assert canonical_url(once) == once
        assert "#" not in once and "utm_" not in once


ARTICLE = [re.compile(r"^/articles/[\w-]+$")]
SECTION = [re.compile(r"^/(news|jeux)/$")]
EXCLUDE = [re.compile(r"/page/\d+")]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://h.fr/articles/un-article", Kind.ARTICLE),
        ("https://h.fr/articles/page/2", Kind.IGNORED),
        ("https://h.fr/news/", Kind.LISTING),
        ("https://h.fr/auteur/jean/", Kind.IGNORED),
        ("https://h.fr/articles/un-article/amp/x", Kind.IGNORED),
    ],
)
def test_classify_link(url, kind):
    assert classify_link(url, article=ARTICLE, section=SECTION, exclude=EXCLUDE) is kind


def test_on_domains_accepts_subdomains_only():
    assert on_domains("https://fr.softonic.com/x", ["softonic.com"])
    assert on_domains("https://softonic.com/x", ["softonic.com"])
    assert not on_domains("https://notsoftonic.com/x", ["softonic.com"])
    assert not on_domains("https://softonic.com.evil.org/x", ["softonic.com"])
