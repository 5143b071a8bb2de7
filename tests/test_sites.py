"""The site catalogue: loading, profiles, and errors that name the file, the site and the key."""

from __future__ import annotations

import pytest

from crawler.catalogue.sites import load_catalogue
from crawler.errors import CatalogueError

VALID = """
[sites.my_site]
name = "My site"
domains = ["example.org"]
language = "fr"
timezone = "Europe/Paris"
sections = { news = "https://example.org/news/" }
article_patterns = ['^/\\d{4}/\\d{2}/[\\w-]+/$']
"""


def write(tmp_path, text):
    path = tmp_path / "sites.toml"
    path.write_text(text)
    return path


def test_builtin_catalogue_has_softonic_france():
    site = load_catalogue()["softonic_fr"]
    assert site.domains == ("fr.softonic.com",)
    assert site.language == "fr" and site.timezone == "Europe/Paris"
    assert any(p.search("/articles/voici-comment-microsoft-a-vecu") for p in site.article_patterns)


def test_a_users_file_adds_a_site(tmp_path):
    catalogue = load_catalogue([write(tmp_path, VALID)])
    site = catalogue["my_site"]
    assert site.sections == {"news": "https://example.org/news/"}
    assert site.origin.endswith("sites.toml")
    assert "softonic_fr" in catalogue


def test_profile_values_are_inherited_and_overridden(tmp_path):
    text = VALID.replace('[sites.my_site]', '[profiles.blog]\nmax_pages = 9\nlanguage = "en"\n\n'
                         '[sites.my_site]\nprofile = "blog"')
    site = load_catalogue([write(tmp_path, text)])["my_site"]
    assert site.max_pages == 9
    assert site.language == "fr"  # the entry's own key wins


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (("domains = [\"example.org\"]", "domains = \"example.org\""), "domains", "must be a list"),
        (("timezone = \"Europe/Paris\"", "timezone = \"Mars/Olympus\""), "timezone", "unknown IANA"),
        (("language = \"fr\"", "language = 7"), "language", "must be a string"),
        (("name = \"My site\"", "name = \"My site\"\nmax_pages = -1"), "max_pages", "positive"),
        (("name = \"My site\"", "name = \"My site\"\ncolour = \"blue\""), "colour", "unknown key"),
        (("name = \"My site\"\n", ""), "name", "missing"),
        (("article_patterns = [", "article_patterns = ['(unclosed', "), "article_patterns",
         "bad regular expression"),
        (("sections = { news = \"https://example.org/news/\" }", "sections = { news = \"/news/\" }"),
         "sections", "absolute"),
        (("name = \"My site\"", "name = \"My site\"\nselectors = { colour = \"p\" }"), "selectors",
         "unknown field"),
        (("name = \"My site\"", "name = \"My site\"\nprofile = \"nope\""), "profile", "unknown profile"),
        (("name = \"My site\"", "name = \"My site\"\nstop_when_known = \"yes\""), "stop_when_known",
         "must be true or false"),
        (("name = \"My site\"", "name = \"My site\"\nkeep_params = \"ref\""), "keep_params",
         "must be a list"),
        (("name = \"My site\"", "name = \"My site\"\ndrop_params = [\"a=b\"]"), "drop_params",
         "not a URL parameter name"),
        (("name = \"My site\"", "name = \"My site\"\nkeep_params = [\"ref\"]\ndrop_params = [\"REF\"]"),
         "drop_params", "also in keep_params"),
    ],
)
def test_a_wrong_entry_names_file_site_and_key(tmp_path, change, key, problem):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(CatalogueError) as error:
        load_catalogue([path])
    message = str(error.value)
    assert str(path) in message and "'my_site'" in message and f"'{key}'" in message
    assert problem in message


def test_broken_toml_and_missing_file_name_the_file(tmp_path):
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue([write(tmp_path, "[sites.x\n")])
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue([tmp_path / "nope.toml"])
    with pytest.raises(CatalogueError, match="unknown top-level"):
        load_catalogue([write(tmp_path, "[website]\nx = 1\n")])


def test_a_trusted_feed_entry_under_an_excluded_path_is_not_downloaded(tmp_path):
    from crawler.spiders.loader import spider_class_for

    text = VALID + "exclude_patterns = ['^/tag/']\n"
    spider = spider_class_for(load_catalogue([write(tmp_path, text)])["my_site"])()
    assert not spider.discovery_accepts("https://example.org/tag/ia/", trusted=True)
    assert spider.discovery_accepts("https://example.org/une-breve/", trusted=True)
    assert not spider.discovery_accepts("https://example.org/une-breve/", trusted=False)
    assert spider.discovery_accepts("https://example.org/2023/11/un-article/", trusted=False)


def test_keep_and_drop_params_are_read_lower_cased(tmp_path):
    text = VALID + 'keep_params = ["Ref", "ref"]\ndrop_params = ["replytocom", "/amp"]\n'

    site = load_catalogue([write(tmp_path, text)])["my_site"]

    assert site.keep_params == ("ref",)
    assert site.drop_params == ("replytocom", "/amp")
