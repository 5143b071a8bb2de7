"""Catalogue validation of the discovery keys: errors name the file, the site and the key."""

from __future__ import annotations

import pytest

from crawler.catalogue.sites import load_catalogue
from crawler.errors import CatalogueError

ENTRY = """[sites.mine]
name = "Mine"
domains = ["example.com"]
language = "fr"
timezone = "Europe/Paris"
sections = { une = "https://www.example.com/" }
article_patterns = ['^/\\d{4}/']
"""


@pytest.mark.parametrize(("extra", "key", "message"), [
    ('sources = ["feeds"]', "sources", "lists none"),
    ('sources = ["rss"]', "sources", "unknown source kind"),
    ('feeds = ["feed.xml"]', "feeds", "path starting with /"),
    ('discover_feeds = "yes"', "discover_feeds", "true or false"),
    ('home = "example.com"', "home", "absolute"),
])
def test_wrong_discovery_key_names_file_site_and_key(tmp_path, extra, key, message):
    path = tmp_path / "mine.toml"
    path.write_text(ENTRY + extra + "\n")
    with pytest.raises(CatalogueError) as error:
        load_catalogue([path])
    text = str(error.value)
    assert str(path) in text and "'mine'" in text and f"'{key}'" in text and message in text


def test_profile_paths_resolve_against_home_and_sources_default_to_what_is_listed(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(ENTRY + 'profile = "wordpress"\n')
    site = load_catalogue([path])["mine"]
    assert site.feeds == ("https://www.example.com/feed/",)
    assert site.sitemaps == ("https://www.example.com/robots.txt",)
    assert site.sources == {"sections", "feeds", "sitemaps"} == site.listed_sources
