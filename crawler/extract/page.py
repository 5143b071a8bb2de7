"""`ArticlePage`: one article HTML page in, one item dict out.

The page is parsed once; JSON-LD, meta tags and the tree are each read once and cached, and
every field is chosen by the same order of trust: the site's CSS override when the catalogue
gives one, then JSON-LD, then OpenGraph / `article:*` / author meta tags, then generic HTML.
Nothing here raises on page data: broken, empty or binary input gives an item with what could
be found and a negative `article_verdict()`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from crawler.extract import authors as author_rules
from crawler.extract.body import extract_body
from crawler.extract.datefinder import RawDate, find_dates
from crawler.extract.document import parse_html
from crawler.extract.jsonld import JsonLd, as_text, as_url, type_names
from crawler.extract.language import choose_language
from crawler.extract.metatags import MetaTags
from crawler.extract.pagekind import Verdict, classify_page
from crawler.extract.selectors import select_all, selected_text, selected_value
from crawler.extract.text import clean_text, element_text, text_content
from crawler.extract.timezone_hint import guess_timezone
from crawler.extract.title import choose_title

if TYPE_CHECKING:
    from datetime import datetime

    from lxml.etree import _Element as Element

logger = logging.getLogger(__name__)

# JSON-LD types that describe listings, never a single article
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "videogallery",
                            "mediagallery", "imagegallery", "profilepage"})
_SUBTITLE_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:standfirst|chapo|chapeau|subtitle|sub-title|subheadline|sub-headline|"
    r"subhead|dek|deck|lead|lede|intro|summary|excerpt|teaser-text|article-summary|"
    r"article__lead|article-lead|article-intro|strapline|kicker-text|description)(?:$|[\s_-])",
    re.IGNORECASE,
)
# A plausible article text is at least this long: short pages are hubs, galleries, videos.
_MIN_ARTICLE_TEXT = 400


class ArticlePage:
    """Extracts an article item from one HTML page.

    `language` is the catalogue's default for the site (None for sites not in the catalogue),
    `selectors` its per-field CSS overrides, `section` the crawl's section name used when the page
    names none. `timezone` is accepted and not used: dates are localised after extraction, by
    the dates pipeline, with the catalogue's zone or the page's own `timezone_hint`.
    """

    def __init__(self, url: str, html: str | bytes, *, source: str | None = None,
                 language: str | None = None, timezone: str | None = None,
                 selectors: Mapping[str, str] | None = None, fetched_at: datetime | None = None,
                 section: str | None = None) -> None:
        self.url = url
        self._html = html
        self.source = source
        self.default_language = language
        self.selectors = dict(selectors or {})
        self.fetched_at = fetched_at
        self.crawl_section = section

    # ------------------------------------------------------------------ parsed parts

    @cached_property
    def tree(self) -> Element | None:
        try:
            return parse_html(self._html)
        except Exception:
            logger.debug("Unparseable page %s", self.url, exc_info=True)
            return None

    @cached_property
    def jsonld(self) -> JsonLd:
        try:
            return JsonLd.from_tree(self.tree)
        except RecursionError:
            return JsonLd([])

    @cached_property
    def meta(self) -> MetaTags:
        return MetaTags(self.tree)

    @cached_property
    def _body_element(self) -> Element | None:
        tree = self.tree
        if tree is None:
            return None
        body = tree.find("body")
        return body if body is not None else tree

    def _css(self, field: str) -> list[Element]:
        selector = self.selectors.get(field)
        if not selector or self.tree is None:
            return []
        return select_all(self.tree, selector)

    def _css_text(self, field: str) -> str | None:
        return selected_text(self._css(field))

    # ------------------------------------------------------------------ verdict

    def article_verdict(self) -> tuple[bool, str]:
        """(is this an article page?, the rule that decided), without extracting the body."""
        return self._verdict

    @cached_property
    def page_kind(self) -> Verdict:
        """Article, listing (home, section, tag, author, search, page N) or undecided."""
        return classify_page(self.url, self.tree, jsonld=self.jsonld, meta=self.meta)

    @cached_property
    def _verdict(self) -> tuple[bool, str]:
        if self.tree is None:
            return False, "not-html: empty, binary or unparseable"
        if self.page_kind.is_listing:
            return False, f"listing: {self.page_kind.reason}"
        kind = self.jsonld.article_type()
        if kind:
            return True, f"jsonld:{kind}"
        og_type = (self.meta.first("og:type") or "").lower()
        listing = next((t for n in self.jsonld.nodes for t in type_names(n)
                        if t in _LISTING_TYPES), None)
        if og_type == "article" and not listing:
            return True, "og:type=article"
        if self.meta.first("article:published_time") and not listing:
            return True, "meta:article:published_time"
        published, _ = self._raw_dates
        text_length = self._paragraph_text_length()
        if published is not None and text_length >= _MIN_ARTICLE_TEXT and not listing:
            return True, f"html: date ({published['where']}) and {text_length} chars of text"
        reasons = [f"og:type={og_type or 'none'}"]
        if listing:
            reasons.append(f"jsonld:{listing}")
        reasons.append("no date" if published is None else f"{text_length} chars of text")
        return False, "no-article-markup: " + ", ".join(reasons)

    def _paragraph_text_length(self) -> int:
        body = self._body_element
        if body is None:
            return 0
        total = 0
        for paragraph in body.iter("p"):
            length = len(clean_text(text_content(paragraph)))
            if length >= 80:
                total += length
        return total

    # ------------------------------------------------------------------ fields

    @cached_property
    def canonical_url(self) -> str | None:
        tree = self.tree
        if tree is not None:
            for link in tree.iter("link"):
                rel = (link.get("rel") or "").lower().split()
                href = clean_text(link.get("href"))
                if "canonical" in rel and href:
                    return self._absolute(href)
        og_url = self.meta.first("og:url")
        return self._absolute(og_url) if og_url else None

    def _absolute(self, url: str | None) -> str | None:
        url = clean_text(url)
        if not url or url.startswith(("data:", "javascript:")):
            return None
        try:
            return urljoin(self.url, url)
        except ValueError:
            return None

    @cached_property
    def _h1_texts(self) -> list[str]:
        body = self._body_element
        if body is None:
            return []
        return [text for text in (element_text(h) for h in body.iter("h1")) if text][:5]

    @cached_property
    def title(self) -> str | None:
        site_names = [n for n in (self.meta.first("og:site_name", "application-name"),
                                  as_text(self.jsonld.get("publisher") or {})
                                  if isinstance(self.jsonld.get("publisher"), dict) else None)
                      if n]
        html_title = None
        if self.tree is not None:
            title_element = self.tree.find(".//title")
            if title_element is not None:
                html_title = element_text(title_element)
        return choose_title(
            jsonld=as_text(self.jsonld.get("headline")) or as_text(self.jsonld.get("name")),
            og=self.meta.first("og:title"), twitter=self.meta.first("twitter:title"),
            h1=self._h1_texts, html_title=html_title, selector=self._css_text("title"),
            site_names=site_names,
        )

    @cached_property
    def subtitle(self) -> str | None:
        selected = self._css_text("subtitle")
        if selected:
            return selected
        alternative = clean_text(as_text(self.jsonld.get("alternativeHeadline")))
        if alternative and alternative != self.title:
            return alternative
        visible = self._visible_subtitle()
        if visible:
            return visible
        description = clean_text(as_text(self.jsonld.get("description"))) or self.meta.first(
            "og:description", "description", "twitter:description")
        return description or None

    def _visible_subtitle(self) -> str | None:
        """A standfirst element (class "chapo", "standfirst", "lead"...) near the headline."""
        body = self._body_element
        if body is None:
            return None
        for element in body.iter("p", "div", "h2", "span"):
            names = f"{element.get('class') or ''} {element.get('id') or ''}"
            if not names.strip() or not _SUBTITLE_CLASS_RE.search(names):
                continue
            text = element_text(element)
            if 20 <= len(text) <= 600:
                return text
        return None

    @cached_property
    def authors(self) -> list[str]:
        selected = self._css("authors")
        if selected:
            names: list[str] = []
            for element in selected:
                names.extend(author_rules.split_names(element_text(element)))
            if names:
                return names
        people, organisations = author_rules.jsonld_people_and_organisations(
            self.jsonld.get("author") or self.jsonld.get("creator"), self.jsonld.resolve)
        if people:
            return people
        if organisations:
            # the publisher named as author: a byline on the page may still name the person
            body = self._body_element
            bylines = author_rules.html_authors(body) if body is not None else []
            keys = {o.casefold() for o in organisations}
            if bylines and not any(b.casefold() in keys for b in bylines):
                return bylines
            return organisations
        found = author_rules.meta_authors(self.meta.all(
            "author", "article:author", "dc.creator", "dcterms.creator", "parsely-author",
            "sailthru.author", "byl", "twitter:data1" if self.meta.first("twitter:label1",
                                                                         ) else "_"))
        if found:
            return found
        body = self._body_element
        if body is None:
            return []
        return author_rules.html_authors(body) or author_rules.text_byline_authors(
            self._short_texts())

    def _short_texts(self, limit: int = 3000) -> list[str]:
        """Texts of small elements in document order (bylines, date lines)."""
        body = self._body_element
        if body is None:
            return []
        out = []
        for count, element in enumerate(body.iter("p", "div", "span", "a", "li", "address")):
            if count > limit:
                break
            text = element.text
            if text and 4 < len(text.strip()) < 150:
                out.append(element_text(element))
        return out

    @cached_property
    def _visible_text(self) -> str:
        body = self._body_element
        if body is None:
            return ""
        parts = []
        for element in body.iter():
            if element.tag in ("script", "style", "noscript", "template"):
                if element.tail:
                    parts.append(element.tail)
                continue
            if element.text:
                parts.append(element.text)
            if element.tail:
                parts.append(element.tail)
        return clean_text(" ".join(parts))

    @cached_property
    def _raw_dates(self) -> tuple[RawDate | None, RawDate | None]:
        selectors = {"published": selected_value(self._css("published")),
                     "updated": selected_value(self._css("updated"))}
        return find_dates(root=self._body_element if self.tree is not None else None,
                          jsonld=self.jsonld, meta=self.meta, url=self.url,
                          visible_text=lambda: self._visible_text, selectors=selectors)

    @cached_property
    def section(self) -> str | None:
        selected = self._css_text("section")
        if selected:
            return selected
        section = clean_text(as_text(self.jsonld.get("articleSection"))) or self.meta.first(
            "article:section", "section", "parsely-section")
        return section or self.crawl_section

    @cached_property
    def tags(self) -> list[str]:
        selected = self._css("tags")
        if selected:
            return _unique([element_text(e) for e in selected])
        keywords = self.jsonld.get("keywords")
        if isinstance(keywords, str):
            found = _unique(keywords.split(","))
        elif isinstance(keywords, list):
            found = _unique([k for k in keywords if isinstance(k, str)])
        else:
            found = []
        if found:
            return found
        tags = self.meta.all("article:tag")
        if tags:
            return _unique(tags)
        body = self._body_element
        if body is not None:
            linked = [element_text(a) for a in body.iter("a")
                      if "tag" in (a.get("rel") or "").lower().split()]
            if linked:
                return _unique(linked)
        news_keywords = self.meta.first("news_keywords", "keywords")
        return _unique(news_keywords.split(",")) if news_keywords else []

    @cached_property
    def image_url(self) -> str | None:
        selected = selected_value(self._css("image"), attributes=("src", "content", "href",
                                                                  "data-src"))
        if selected:
            return self._absolute(selected)
        candidate = (self.meta.first("og:image", "og:image:url", "og:image:secure_url")
                     or as_url(self.jsonld.get("image"))
                     or self.meta.first("twitter:image", "twitter:image:src"))
        if not candidate and self.tree is not None:
            for link in self.tree.iter("link"):
                if (link.get("rel") or "").lower() == "image_src":
                    candidate = link.get("href")
                    break
        return self._absolute(candidate) if candidate else None

    @cached_property
    def body(self) -> str:
        tree = self.tree
        if tree is None:
            return ""
        selected = self._css("body")
        text = extract_body(tree, roots=selected or None)
        if not selected:
            text = _prefer_jsonld_body(text, as_text(self.jsonld.get("articleBody")))
        return _without_headings(text, (self.title, self.subtitle))

    @cached_property
    def _declared_languages(self) -> list[str | None]:
        tree = self.tree
        declared: list[str | None] = []
        if tree is not None:
            declared.append(tree.get("lang") or tree.get("xml:lang"))
        declared.append(as_text(self.jsonld.get("inLanguage")))
        declared.append(self.meta.first("og:locale", "content-language", "language", "dc.language"))
        return declared

    @cached_property
    def language(self) -> str | None:
        sample = self.body[:4000] or (self.title or "")
        return choose_language(self._declared_languages, sample, self.default_language)

    @cached_property
    def timezone_hint(self) -> str | None:
        published, updated = self._raw_dates
        dates = [d["text"] for d in (published, updated) if d]
        others = [as_text(self.jsonld.get(k)) for k in ("datePublished", "dateModified",
                                                          "dateCreated", "uploadDate")]
        others += self.meta.all("article:published_time", "article:modified_time",
                                "og:updated_time", "date", "pubdate")
        if self.tree is not None:
            others += [t.get("datetime") for t in self.tree.iter("time")][:20]
        return guess_timezone(dates=dates, other_dates=others, url=self.url,
                              language_tags=[*self._declared_languages, self.language])

    # ------------------------------------------------------------------ item

    def to_item(self) -> dict[str, Any]:
        """All item fields (see `crawler.items.ArticleItem`), raw dates kept as found."""
        published, updated = self._raw_dates
        return {
            "url": self.url,
            "fetched_url": self.url,
            "canonical_url": self.canonical_url,
            "source": self.source,
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "published_raw": dict(published) if published else None,
            "updated_raw": dict(updated) if updated else None,
            "section": self.section,
            "tags": list(self.tags),
            "language": self.language,
            "body": self.body,
            "image_url": self.image_url,
            "fetched_at": self.fetched_at,
            "timezone_hint": self.timezone_hint,
        }


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        text = clean_text(value)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


def _without_headings(body: str, headings: tuple[str | None, ...]) -> str:
    """Drop leading paragraphs that repeat the title or subtitle (they have their own fields)."""
    repeated = {clean_text(h).casefold() for h in headings if h}
    paragraphs = body.split("\n\n")
    start = 0
    while start < min(3, len(paragraphs)) and paragraphs[start].casefold() in repeated:
        start += 1
    return "\n\n".join(paragraphs[start:])


def _prefer_jsonld_body(html_body: str, jsonld_body: str | None) -> str:
    """JSON-LD articleBody when it is clearly more complete than what the HTML gave.

    Pages often put a truncated teaser (paywalls) or markup in articleBody, so the HTML text
    wins unless articleBody is much longer and the HTML text is mostly contained in it.
    """
    if not jsonld_body or ("<" in jsonld_body[:200] and ">" in jsonld_body[:200]):
        return html_body
    paragraphs = [clean_text(p) for p in re.split(r"\n\s*\n|\r\n|\n", jsonld_body)]
    candidate = "\n\n".join(p for p in paragraphs if p)
    if len(candidate) < 1.3 * len(html_body) + 200:
        return html_body
    html_words = set(re.findall(r"\w+", html_body.lower()))
    candidate_words = set(re.findall(r"\w+", candidate.lower()))
    if html_words and len(html_words & candidate_words) < 0.7 * len(html_words):
        return html_body
    return candidate


