"""The site catalogue: which sites we crawl and how their pages are told apart.

`sites.toml` beside this module is the built-in catalogue; files named by the `SITES_FILE` setting
are merged over it key by key (a table with the key of an existing entry changes only the keys it
gives). A `[profiles.NAME]` table holds conventions shared by many sites (a CMS's URL shapes); a
site says `profile = "NAME"` and its own keys win over the profile's.

`feeds` and `sitemaps` take absolute URLs or paths (`/feed/`) resolved against `home` (default: the
first section's scheme and host), so a profile can name a CMS's feed once for every site. A
sitemap URL ending in `/robots.txt` stands for the sitemaps that robots.txt lists.
`discover_feeds = true` also follows the feeds the home page declares (`<link rel="alternate">`).
`sources` (default: every kind the entry lists) says which of sections, feeds and sitemaps run.
`keep_params` / `drop_params` override what the crawler learns about the site's URL parameters
(`crawler.links.params`): a parameter in `keep_params` is never stripped from a link (not even a
tracking one), one in `drop_params` always is; `/amp` names a copy suffix of the path.

Every entry is validated when the catalogue is loaded: a wrong type, an unknown key or a bad
pattern raises `CatalogueError` naming the file, the site and the key, before any request is made.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

from crawler.errors import CatalogueError
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, classify_link, on_domains, path_and_query

# Read through importlib.resources: in a Scrapyd egg the package is a zip file.
BUILTIN_CATALOGUE: Traversable = resources.files(__package__ or "crawler").joinpath("sites.toml")
SITE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{1,40}$")
SELECTOR_FIELDS = frozenset(
    {"title", "subtitle", "authors", "published", "updated", "section", "tags", "body", "image"}
)
SOURCE_KINDS = frozenset({"sections", "feeds", "sitemaps"})
DEFAULT_NEXT_PAGE_CSS = "link[rel=next]::attr(href), a[rel~=next]::attr(href)"


@dataclass(frozen=True)
class Site:
    """One catalogue entry, validated."""

    key: str
    name: str
    domains: tuple[str, ...]
    language: str
    timezone: str
    sections: Mapping[str, str]
    article_patterns: tuple[re.Pattern[str], ...]
    section_patterns: tuple[re.Pattern[str], ...] = ()
    exclude_patterns: tuple[re.Pattern[str], ...] = ()
    next_page_css: str = DEFAULT_NEXT_PAGE_CSS
    next_page_patterns: tuple[re.Pattern[str], ...] = ()
    selectors: Mapping[str, str] = field(default_factory=dict)
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sources: frozenset[str] = frozenset({"sections"})
    max_pages: int = 5
    max_articles: int = 1000
    stop_when_known: bool = True
    max_age_days: float | None = None
    profile: str | None = None
    origin: str = ""  # the file this entry came from, for messages
    home: str = ""  # the site's home page (feeds/sitemaps paths are resolved against it)
    discover_feeds: bool = False
    keep_params: tuple[str, ...] = ()  # URL parameters never stripped (crawler.links.params)
    drop_params: tuple[str, ...] = ()  # URL parameters always stripped

    @property
    def listed_sources(self) -> frozenset[str]:
        """The source kinds this entry has something for."""
        listed = {"sections"}
        if self.feeds or self.discover_feeds:
            listed.add("feeds")
        if self.sitemaps:
            listed.add("sitemaps")
        return frozenset(listed)


# key -> (type(s), required); the field names are the TOML keys
_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "name": (str, True),
    "domains": (list, True),
    "language": (str, True),
    "timezone": (str, True),
    "sections": (dict, True),
    "article_patterns": (list, True),
    "section_patterns": (list, False),
    "exclude_patterns": (list, False),
    "next_page_css": (str, False),
    "next_page_patterns": (list, False),
    "selectors": (dict, False),
    "feeds": (list, False),
    "sitemaps": (list, False),
    "sources": (list, False),
    "max_pages": (int, False),
    "max_articles": (int, False),
    "stop_when_known": (bool, False),
    "max_age_days": ((int, float), False),
    "profile": (str, False),
    "home": (str, False),
    "discover_feeds": (bool, False),
    "keep_params": (list, False),
    "drop_params": (list, False),
}
# a query parameter name, or "/word" for a copy suffix of the path (`/amp`, `/print`)
_PARAM_NAME_RE = re.compile(r"/?[^\s=&?#/]+")


def load_catalogue(extra_files: Iterable[str | Path] = ()) -> dict[str, Site]:
    """The built-in catalogue with `extra_files` merged over it, validated."""
    profiles: dict[str, dict[str, Any]] = {}
    raw_sites: dict[str, tuple[dict[str, Any], str]] = {}
    for path in [BUILTIN_CATALOGUE, *map(Path, extra_files)]:
        document = _read_toml(path)
        unknown = set(document) - {"sites", "profiles"}
        if unknown:
            raise CatalogueError(f"{path}: unknown top-level table(s) {sorted(unknown)}")
        for name, table in _tables(document.get("profiles", {}), path, "profile").items():
            profiles[name] = table
        for key, table in _tables(document.get("sites", {}), path, "site").items():
            earlier = raw_sites.get(key, ({}, ""))[0]
            raw_sites[key] = ({**earlier, **table}, str(path))
    return {key: _build_site(key, table, origin, profiles) for key, (table, origin) in raw_sites.items()}


def _read_toml(path: Path | Traversable) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None


def _tables(value: Any, path: Path | Traversable, what: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise CatalogueError(f"{path}: [{what}s] must be a table")
    for key, table in value.items():
        if not isinstance(table, dict):
            raise CatalogueError(f"{path}: {what} {key!r} must be a table")
    return value


def _build_site(
    key: str, table: dict[str, Any], origin: str, profiles: Mapping[str, dict[str, Any]]
) -> Site:
    def fail(field_name: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{origin}: site {key!r}, key {field_name!r}: {problem}")

    if not SITE_KEY_RE.match(key):
        raise fail("(name)", "site keys are lower-case letters, digits and _ (2-41 characters)")
    merged: dict[str, Any] = {}
    profile_name = table.get("profile")
    if profile_name is not None:
        if profile_name not in profiles:
            raise fail("profile", f"unknown profile {profile_name!r}; known: {sorted(profiles)}")
        merged.update(profiles[profile_name])
    merged.update(table)

    for name, value in merged.items():
        if name not in _SCHEMA:
            raise fail(name, f"unknown key; allowed keys: {', '.join(sorted(_SCHEMA))}")
        expected, _ = _SCHEMA[name]
        if isinstance(value, bool) and expected is not bool:
            raise fail(name, "must not be a boolean")
        if not isinstance(value, expected):
            raise fail(name, f"must be {_type_name(expected)}, got {type(value).__name__}")
    for name, (_, required) in _SCHEMA.items():
        if required and name not in merged:
            raise fail(name, "missing")

    def strings(name: str) -> tuple[str, ...]:
        values = merged.get(name, [])
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise fail(name, "must be a list of non-empty strings")
        return tuple(v.strip() for v in values)

    def patterns(name: str) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for text in strings(name):
            try:
                compiled.append(re.compile(text))
            except re.error as exc:
                raise fail(name, f"bad regular expression {text!r}: {exc}") from None
        return tuple(compiled)

    def positive(name: str, default: float | None) -> Any:
        value = merged.get(name, default)
        if value is not None and value <= 0:
            raise fail(name, "must be positive")
        return value

    try:
        zoneinfo.ZoneInfo(merged["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise fail("timezone", f"unknown IANA time zone {merged['timezone']!r}") from None
    domains = tuple(d.lower() for d in strings("domains"))
    if not domains:
        raise fail("domains", "needs at least one domain")
    sections = merged["sections"]
    if not sections or not all(
        isinstance(v, str) and v.startswith(("http://", "https://")) for v in sections.values()
    ):
        raise fail("sections", "must map section names to absolute http(s) URLs")
    selectors = merged.get("selectors", {})
    bad_selectors = set(selectors) - SELECTOR_FIELDS
    if bad_selectors:
        raise fail("selectors", f"unknown field(s) {sorted(bad_selectors)}; allowed: "
                   f"{', '.join(sorted(SELECTOR_FIELDS))}")
    if not all(isinstance(v, str) for v in selectors.values()):
        raise fail("selectors", "must map field names to CSS selector strings")
    first_section = next(iter(sections.values()))
    home = merged.get("home") or urljoin(first_section, "/")
    if not home.startswith(("http://", "https://")):
        raise fail("home", f"must be an absolute http(s) URL, got {home!r}")

    def locations(name: str) -> tuple[str, ...]:
        resolved = []
        for text in strings(name):
            if not text.startswith(("http://", "https://", "/")):
                raise fail(name, f"{text!r}: give an absolute http(s) URL or a path starting "
                           "with /")
            url = urljoin(home, text)
            if not urlsplit(url).hostname:
                raise fail(name, f"{text!r}: no host")
            resolved.append(url)
        return tuple(dict.fromkeys(resolved))

    feeds, sitemaps = locations("feeds"), locations("sitemaps")
    discover = merged.get("discover_feeds", False)
    listed = {"sections"} | ({"feeds"} if feeds or discover else set()) | (
        {"sitemaps"} if sitemaps else set())
    sources = frozenset(strings("sources")) if "sources" in merged else frozenset(listed)
    if sources - SOURCE_KINDS:
        raise fail("sources", f"unknown source kind(s) {sorted(sources - SOURCE_KINDS)}; "
                   f"allowed: {', '.join(sorted(SOURCE_KINDS))}")
    if sources - listed:
        raise fail("sources", f"{sorted(sources - listed)} chosen but the entry lists none "
                   "(add feeds = [...], discover_feeds = true or sitemaps = [...])")
    if not sources:
        raise fail("sources", "choose at least one of sections, feeds, sitemaps")
    def param_names(name: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(v.lower() for v in strings(name)))
        for text in names:
            if not _PARAM_NAME_RE.fullmatch(text):
                raise fail(name, f"{text!r} is not a URL parameter name (or /suffix)")
        return names

    keep_params, drop_params = param_names("keep_params"), param_names("drop_params")
    if set(keep_params) & set(drop_params):
        raise fail("drop_params", f"{sorted(set(keep_params) & set(drop_params))} also in "
                   "keep_params")
    language = merged["language"].strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", language):
        raise fail("language", f"not a BCP 47 language tag: {merged['language']!r}")

    return Site(
        key=key,
        name=merged["name"],
        domains=domains,
        language=language,
        timezone=merged["timezone"],
        sections=dict(sections),
        article_patterns=patterns("article_patterns"),
        section_patterns=patterns("section_patterns"),
        exclude_patterns=patterns("exclude_patterns"),
        next_page_css=merged.get("next_page_css", DEFAULT_NEXT_PAGE_CSS),
        next_page_patterns=patterns("next_page_patterns"),
        selectors=dict(selectors),
        feeds=feeds,
        sitemaps=sitemaps,
        sources=sources,
        max_pages=positive("max_pages", 5),
        max_articles=positive("max_articles", 1000),
        stop_when_known=merged.get("stop_when_known", True),
        max_age_days=positive("max_age_days", None),
        profile=profile_name,
        origin=origin,
        home=home,
        discover_feeds=discover,
        keep_params=keep_params,
        drop_params=drop_params,
    )


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", dict: "a table", int: "an integer",
             bool: "true or false", float: "a number"}
    if isinstance(expected, tuple):
        return " or ".join(names[t] for t in expected)
    return names[expected]


# ------------------------------------------------------------------------------ classification


@dataclass(frozen=True)
class Classification:
    role: Kind  # what the entry does with the URL: ARTICLE, LISTING, NEXT or IGNORED
    rule: str  # the key (and pattern) that decided, as `newscrawl sites --classify` prints it


def classify_url(site: Site, url: str) -> Classification:
    """How the entry treats `url`, with the rule that decided.

    Order: off-site or unusable URLs are ignored; a next-page pattern wins over the exclusions
    (WordPress `/page/2/` is both excluded as an article and followed as a next page); then
    exclude, article and section patterns as `crawler.links.urls.classify_link` applies them to the
    links of a listing page; a section's own start URL is a listing.

    >>> site = load_catalogue()["clubic"]
    >>> classify_url(site, "https://www.clubic.com/actualites-informatique/page_2.html").role.value
    'next'
    >>> classify_url(site, "https://www.clubic.com/telecharger-fiche9632-winrar.html").rule
    "exclude_patterns[0] '^/telecharger'"
    """
    canonical = canonical_url(url)
    if canonical is None:
        return Classification(Kind.IGNORED, "not an http(s) URL")
    if not on_domains(canonical, site.domains):
        return Classification(Kind.IGNORED, f"off the domains {', '.join(site.domains)}")
    target = path_and_query(canonical)
    for n, pattern in enumerate(site.next_page_patterns):
        if pattern.search(target):
            return Classification(Kind.NEXT, _rule("next_page_patterns", n, pattern))
    kind = classify_link(canonical, article=site.article_patterns, section=site.section_patterns,
                         exclude=site.exclude_patterns)
    if kind is Kind.ARTICLE:
        return Classification(Kind.ARTICLE, _first_rule("article_patterns",
                                                           site.article_patterns, target))
    if kind is Kind.LISTING:
        return Classification(Kind.LISTING, _first_rule("section_patterns",
                                                           site.section_patterns, target))
    excluded = _first_rule("exclude_patterns", site.exclude_patterns, target)
    if excluded:
        return Classification(Kind.IGNORED, excluded)
    for name, start in site.sections.items():
        if canonical_url(start) == canonical:
            return Classification(Kind.LISTING, f"sections.{name}")
    return Classification(Kind.IGNORED, "no pattern matched")


def _rule(key: str, n: int, pattern: re.Pattern[str]) -> str:
    return f"{key}[{n}] {pattern.pattern!r}"


def _first_rule(key: str, patterns: Iterable[re.Pattern[str]], target: str) -> str:
    for n, pattern in enumerate(patterns):
        if pattern.search(target):
            return _rule(key, n, pattern)
    return ""


def catalogue_files(settings: BaseSettings) -> list[str]:
    """The extra catalogue files `SITES_FILE` names (`:`-separated; `;` accepted)."""
    raw = settings.get("SITES_FILE") or ""
    return [part for part in str(raw).replace(";", ":").split(":") if part.strip()]
