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
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from crawler.dates.normalise import normalise_date
from crawler.extract import authors as author_rules
from crawler.extract import names as name_rules
from crawler.extract.body import extract_body
from crawler.extract.datefinder import RawDate, find_dates, has_clock_time, timed_dates
from crawler.extract.document import decode_html, parse_html
from crawler.extract.fallback import (
    SecondOpinion,
    htmldate_published,
    trafilatura_authors,
    trafilatura_opinion,
)
from crawler.extract.jsonld import JsonLd, as_text, as_url, type_names
from crawler.extract.language import choose_language, primary_subtag
from crawler.extract.metatags import MetaTags
from crawler.extract.pagekind import Verdict, classify_page
from crawler.extract.selectors import select_all, selected_text, selected_value
from crawler.extract.text import clean_text, element_text, normalise_for_compare, text_content
from crawler.extract.timezone_hint import guess_timezone, has_offset, local_zone
from crawler.extract.title import choose_title

if TYPE_CHECKING:
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
_ISO_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}|$)")
_HIDDEN_TEXT_TAGS = frozenset({"script", "style", "noscript", "template"})
_LEADING_SEPARATOR_RE = re.compile(r"^[\s|\-–—:·•»/]+")
_KICKER_CLASS_RE = re.compile(r"kicker|topline|overline|eyebrow|dachzeile|roofline", re.I)
# A plausible article text is at least this long: short pages are hubs, galleries, videos.
_MIN_ARTICLE_TEXT = 400

# When the own body is weak, trafilatura is asked (issue 14). "Weak" = shorter than half the
# page's main text (the <p> blocks of 80+ characters), or empty: 6% of the 427 dev + wide pages.
# Taking trafilatura's body there when it is 1.2x longer than ours: wide body F1 0.928 -> 0.939,
# snippets 0.877 -> 0.891, pages below F1 0.5: 4 -> 2; dev unchanged (0.963). Also asking it
# when our body is longer than 1.1x the main text (boilerplate kept) would gain about 0.013
# more on wide but runs trafilatura on 40% of the pages, which breaks the speed floor (median
# <= 0.35x trafilatura's); not taken.
BODY_WEAK_RATIO = 0.5
BODY_FALLBACK_GAIN = 1.2
# A body this short is weak whatever the page's <p> text: articles written in <div>s have
# little main text to compare with (issue 14c: 10 of 427 pages; wide snippets +1 found).
BODY_SHORT_CHARS = 400
# Both extractors failed: fewer characters than a couple of sentences on a page with this much
# main text is no article body; the item gets an empty body and is dropped (`no_body`).
BODY_EMPTY_CHARS = 150
BODY_EMPTY_PAGE_TEXT = 1000

# confidence of a date by where it was found: structured data is what the site asserts,
# visible text and the URL are guesses (a related article, a day without time)
_DATE_CONFIDENCE = {"css": 1.0, "jsonld": 0.9, "meta": 0.9, "itemprop": 0.85,
                    "time[datetime]": 0.8, "text": 0.6, "html": 0.6, "url": 0.5, "htmldate": 0.5}


class ArticlePage:
    """Extracts an article item from one HTML page.

    `language` is the catalogue's default for the site (None for sites not in the catalogue),
    `selectors` its per-field CSS overrides, `section` the crawl's section name used when the page
    names none. `timezone` is the catalogue's zone, kept for `crawler.extract.article.article_item`,
    which resolves the dates in it (or, for a site not in the catalogue, in the page's own
    `timezone_hint`); the extraction itself does not use it.
    """

    def __init__(self, url: str, html: str | bytes, *, source: str | None = None,
                 language: str | None = None, timezone: str | None = None,
                 selectors: Mapping[str, str] | None = None, fetched_at: datetime | None = None,
                 section: str | None = None) -> None:
        self.url = url
        self._html = html
        self.source = source
        self.default_language = language
        self.timezone = timezone
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
    def _html_text(self) -> str:
        html = self._html
        return decode_html(html) if isinstance(html, bytes) else (html or "")

    @cached_property
    def _second_opinion(self) -> SecondOpinion:
        """trafilatura's reading of the page; computed only when a field is weak."""
        logger.debug("asking trafilatura for the body of %s", self.url)
        return trafilatura_opinion(self._html_text, self.url)

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
        published, _ = self._own_raw_dates
        text_length = self._main_text_length
        if published is not None and text_length >= _MIN_ARTICLE_TEXT and not listing:
            return True, f"html: date ({published['where']}) and {text_length} chars of text"
        reasons = [f"og:type={og_type or 'none'}"]
        if listing:
            reasons.append(f"jsonld:{listing}")
        reasons.append("no date" if published is None else f"{text_length} chars of text")
        return False, "no-article-markup: " + ", ".join(reasons)

    @cached_property
    def _main_text_length(self) -> int:
        """Characters in the page's <p> blocks of 80+ characters: its main text, roughly."""
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
    def _h1_elements(self) -> list[Element]:
        """The page's `<h1>`s less those in a breadcrumb trail: the trail's last item is the
        page's SEO headline, shown small, not its display headline. Issue 25: on wide, 4
        pages of 4 sites put an `<h1>` there whose wording differs from the JSON-LD
        headline: 3 truths are the JSON-LD headline, 1 the trail's (`og:title`); 3 more
        trail `<h1>`s give the same title either way. Replacing the trail's `<h1>` with an
        `<h2>` that words a metadata title broke 4 pages: not kept."""
        body = self._body_element
        if body is None:
            return []
        out = []
        for heading in body.iter("h1"):
            if _in_breadcrumb(heading):
                self._decide("title", f"<h1> of a breadcrumb trail left out: "
                             f"{element_text(heading)[:80]!r}")
                continue
            out.append(heading)
        return out

    @cached_property
    def _h1_texts(self) -> list[str]:
        return [text for text in (element_text(h) for h in self._h1_elements) if text][:5]

    @cached_property
    def _h1_kicker_free(self) -> dict[str, str]:
        """{<h1> text: the same less its kicker child (`<span class="topline">`)}, for the
        `<h1>`s that have one; the headline may be the kicker's tail text."""
        out = {}
        for heading in self._h1_elements:
            kickers = [child for child in heading
                       if _KICKER_CLASS_RE.search(child.get("class") or "") and element_text(child)]
            if not kickers:
                continue
            parts = [heading.text or ""]
            for child in heading:
                if child not in kickers:
                    parts.append(element_text(child))
                parts.append(child.tail or "")
            text = _LEADING_SEPARATOR_RE.sub("", clean_text(" ".join(parts)))
            if text:
                out[element_text(heading)] = text
        return out

    @cached_property
    def _h1_without_kickers(self) -> list[str]:
        """The <h1> texts less a kicker child (`<span class="topline">`), when one has it."""
        return list(self._h1_kicker_free.values())

    @cached_property
    def _kickers_apart(self) -> list[str]:
        """Short texts shown just before an `<h1>` (a topic kicker set apart from the
        headline: `<div class="keyword">Chronik</div><h1>...`), and the page's section."""
        out = []
        for heading in self._h1_elements:
            previous = heading.getprevious()
            if previous is not None and isinstance(previous.tag, str):
                text = element_text(previous)
                if text and len(text.split()) <= 5:
                    out.append(text)
        out += [t for t in (clean_text(as_text(self.jsonld.get("articleSection"))),
                            self.meta.first("article:section")) if t]
        return out

    @cached_property
    def title(self) -> str | None:
        title = self._chosen_title
        self._decide("title", f"{self._title_method()[0]}: {title!r}")
        return title

    @cached_property
    def _chosen_title(self) -> str | None:
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
            h1=self._h1_texts, h1_without_kickers=self._h1_without_kickers,
            kicker_free=self._h1_kicker_free, kickers_apart=self._kickers_apart,
            decide=lambda decision: self._decide("title", decision),
            html_title=html_title, selector=self._css_text("title"),
            site_names=site_names, host_label=self._host_label,
        )

    @cached_property
    def _host_label(self) -> str:
        """The longest label of the host name without its suffix: "lastampa" for
        www.lastampa.it, the site's name as titles write it, less spaces."""
        try:
            host = urlsplit(self.url).hostname or ""
        except ValueError:
            return ""
        labels = [label for label in host.split(".")[:-1] if label not in {"www", "co", "com"}]
        return max(labels, key=len, default="").replace("-", "")

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
            if not _is_subtitle_name(f"{element.get('class') or ''} {element.get('id') or ''}"):
                continue
            text = element_text(element)
            if 20 <= len(text) <= 600:
                return text
        return None

    @cached_property
    def authors(self) -> list[str]:
        names, method = self._authors_found
        self._decide("authors", f"{method}: {names}")
        return names

    @cached_property
    def _authors_found(self) -> tuple[list[str], str]:
        """(names, method): the own rules, then trafilatura's byline rules, then author links;
        the publisher never beside a person, never instead of a person the page credits."""
        names, method = self._own_authors()
        names = self._without_site_words(names)
        people = [n for n in names if not name_rules.is_site_name(
            n, [*self._site_keys, *self._parent_keys])]
        if people and len(people) < len(names):
            # the outlet or its parent company listed beside its writer ("Sam Stein, The
            # Huffington Post", "Condé Nast" in an author meta tag): issue 14, wide authors
            # 0.809 -> 0.810, issue 25 (parent company: copyright holder) 1 more page
            self._decide("authors", f"publisher dropped beside a person: "
                         f"{[n for n in names if n not in people]}")
            return people, method
        if names and not method.endswith("-organisation"):
            return names, method
        if self.tree is not None:
            # issue 14: no own author on 78 of 427 dev + wide pages; trafilatura's byline
            # XPaths lift author F1 on wide from 0.763 to 0.805 (dev unchanged), 2.8 ms a call.
            # Issue 25: never from a box about other content or a teaser card (a related
            # article's writer, the staff list of a footer), and no longer the names of the
            # body's second opinion (its own byline search reads those boxes too)
            def skip(element: Element) -> bool:
                if author_rules.in_other_box(element, self.url):
                    self._decide("authors", f"second byline skipped in a card or another "
                                 f"article's box: {element_text(element)[:60]!r}")
                    return True
                return False
            candidates = trafilatura_authors(self.tree, skip=skip)
        else:
            candidates = []
        found = [n for n in (name_rules.clean_name(a) for a in candidates)
                 if n and not name_rules.is_site_name(n, self._site_keys)]
        if names:
            # only the outlet was named: a second byline replaces it when it names people and
            # no outlet, agency or credit line (issue 14b: wide authors 0.810 -> 0.8xx)
            if found and name_rules.all_people(candidates, found, self._site_keys):
                return name_rules.unique_names(found), "trafilatura"
            return names, method
        if found:
            return name_rules.unique_names(found), "trafilatura"
        body = self._body_element
        linked = author_rules.author_link_names(body, self.url) if body is not None else []
        found = [n for n in linked if not name_rules.is_site_name(n, self._site_keys)]
        if found:
            # issue 14b: a link to the writer's page is the byline on pages with no byline
            # markup; wide authors 0.838 -> 0.8xx, dev unchanged
            return found, "author-link"
        return [], "none"

    def _own_authors(self) -> tuple[list[str], str]:
        selected = self._css("authors")
        if selected:
            names: list[str] = []
            for element in selected:
                names.extend(name_rules.split_names(element_text(element)))
            if names:
                return names, "css"
        people, organisations = name_rules.jsonld_people_and_organisations(
            self.jsonld.get("author") or self.jsonld.get("creator"), self.jsonld.resolve)
        # an Organization author that is not the publisher is an agency, credited beside the
        # people ("Deutsche Presse-Agentur" and a desk): issue 25
        agencies = [o for o in organisations if not name_rules.is_site_name(o, self._site_keys)]
        if people and not self._all_site_names(people):
            if agencies:
                self._decide("authors", f"JSON-LD Organization not the publisher, an agency: "
                             f"{agencies}")
            return name_rules.unique_names([*people, *agencies]), "jsonld"
        if people:
            # the outlet's name as a person: a byline on the page may name the writer
            return self._byline_or(people, "jsonld", "jsonld-organisation")
        if agencies:
            self._decide("authors", f"JSON-LD Organization not the publisher, an agency: "
                         f"{agencies}")
            return agencies, "jsonld-organisation"
        if organisations:
            # the publisher named as author: a byline on the page may still name the person
            self._decide("authors", f"JSON-LD author is the publisher: {organisations}")
            return self._byline_or(organisations, "jsonld", "jsonld-organisation")
        values = self.meta.all(
            "author", "article:author", "dc.creator", "dcterms.creator", "parsely-author",
            "sailthru.author", "byl", "cxenseparse:author",
            "twitter:data1" if self.meta.first("twitter:label1") else "_")
        found = name_rules.meta_authors(site_keys=self._site_keys, values=values)
        if found and self._all_site_names(found):
            return self._byline_or(found, "meta", "meta-organisation")
        if found and name_rules.has_credits(values):
            # "Name at Model Agency, Name for Brand, Name using Product": the credits of a photo
            # shoot, not a byline; the visible byline says who wrote (issue 25)
            body = self._body_element
            bylines = author_rules.html_authors(body, self.url) if body is not None else []
            keys = {n.casefold() for n in found}
            if bylines and all(b.casefold() in keys for b in bylines):
                self._decide("authors", f"author meta tag lists credits: the visible byline "
                             f"{bylines} instead of {found}")
                return bylines, "html-byline"
        if found:
            return found, "meta"
        body = self._body_element
        if body is None:
            return [], "none"
        found = author_rules.html_authors(body, self.url)
        if found:
            return found, "html-byline"
        found = author_rules.text_byline_authors(self._short_blocks(), self.url)
        return found, "text-byline" if found else "none"

    def _decide(self, field: str, decision: str) -> None:
        """Record one extraction decision for `evidence()` (`newscrawl extract --debug`)."""
        self.__dict__.setdefault("_decisions", {}).setdefault(field, []).append(decision)

    def evidence(self) -> dict[str, list[str]]:
        """The decisions the title and byline rules took on this page, per field, in order."""
        _ = self.title, self.authors
        return {field: list(steps) for field, steps in self.__dict__.get("_decisions", {}).items()}

    @cached_property
    def publisher(self) -> str | None:
        """The outlet that publishes the page, as the page names it: JSON-LD publisher,
        og:site_name, a publisher meta tag, application-name. Never an author (issue 25)."""
        publisher = self.jsonld.get("publisher")
        if isinstance(publisher, list):
            publisher = next((p for p in publisher if isinstance(p, dict)), None)
        name = clean_text(as_text(publisher.get("name"))) if isinstance(publisher, dict) else ""
        return name or self.meta.first("og:site_name", "publisher", "dc.publisher",
                                       "application-name") or None

    @cached_property
    def _parent_keys(self) -> list[str]:
        """The company that owns the outlet, as the copyright line names it ("Copyright (c)
        Condé Nast 2022"): dropped beside a person only (a blog's copyright holder is its
        writer)."""
        holders = [_COPYRIGHT_RE.sub(" ", value) for value in self.meta.all("copyright",
                                                                            "dcterms.rights")]
        return [k for k in (name_rules.site_key(h) for h in holders) if len(k) >= 3]

    def _without_site_words(self, names: list[str]) -> list[str]:
        """A name with the outlet's name glued to it ("Adam Aaronson PhillyVoice") loses it."""
        out = []
        for name in names:
            words = name.split()
            if len(words) >= 3 and name_rules.site_key(words[-1]) in self._site_keys:
                self._decide("authors", f"outlet cut from the name: {name!r}")
                name = " ".join(words[:-1])
            out.append(name)
        return out

    @cached_property
    def _site_keys(self) -> list[str]:
        """The outlet's names, compared loosely: og:site_name, publisher, host name."""
        names = [self.meta.first("og:site_name"), self.meta.first("application-name")]
        publisher = self.jsonld.get("publisher")
        if isinstance(publisher, dict):
            names.append(as_text(publisher.get("name")))
        try:
            host = urlsplit(self.url).hostname or ""
        except ValueError:
            host = ""
        names.append(host)
        keys = [name_rules.site_key(n) for n in names if n]
        # "LN - Lübecker Nachrichten": each part names the site
        for name in names:
            if name and " - " in name:
                keys.extend(name_rules.site_key(part) for part in name.split(" - "))
        return [k for k in keys if k]

    def _all_site_names(self, names: list[str]) -> bool:
        return all(name_rules.is_site_name(n, self._site_keys) for n in names)

    def _byline_or(self, names: list[str], method: str, fallback_method: str) -> tuple[
            list[str], str]:
        """A visible byline naming someone else than the outlet, else the outlet's names."""
        body = self._body_element
        bylines = author_rules.html_authors(body, self.url) if body is not None else []
        # a byline that names the outlet too ("red, ORF.at/Agenturen") is a credit line, and
        # an editor's initials ("amw") say less than the outlet's name: only people, desks
        # ("La rédaction") and agencies ("EFE") replace it
        if bylines and not any(name_rules.is_site_name(b, self._site_keys) for b in bylines) \
                and any(name_rules.looks_like_person(b) or name_rules.is_desk(b) or (
                    b.isupper() and name_rules.is_agency_like(b)) for b in bylines):
            self._decide("authors", f"the publisher {names} gives way to the visible byline "
                         f"{bylines}")
            return bylines, "html-byline"
        self._decide("authors", f"the publisher is the only credit on the page: kept {names} "
                     f"(the page names no person, desk or agency)")
        return names, fallback_method if fallback_method else method

    def _short_blocks(self, limit: int = 3000) -> list[Element]:
        """Small elements in document order (bylines, date lines)."""
        body = self._body_element
        if body is None:
            return []
        out = []
        for count, element in enumerate(body.iter("p", "div", "span", "a", "li", "address")):
            if count > limit:
                break
            text = element.text
            if text and 4 < len(text.strip()) < 150:
                out.append(element)
        return out

    @cached_property
    def _visible_text(self) -> str:
        body = self._body_element
        if body is None:
            return ""
        parts: list[str] = []
        append = parts.append
        for element in body.iter():
            # each .text / .tail read makes a new str: once per element (0.27 -> 0.22 ms median)
            if element.tag not in _HIDDEN_TEXT_TAGS:
                text = element.text
                if text:
                    append(text)
            tail = element.tail
            if tail:
                append(tail)
        return clean_text(" ".join(parts))

    @cached_property
    def _raw_dates(self) -> tuple[RawDate | None, RawDate | None]:
        """The own dates; htmldate's day when the page gave no publication date at all.

        On dev + wide the own rules find no date on 24 of 427 pages; htmldate's day lifts day
        accuracy on wide from 0.885 to 0.919 (dev unchanged), at 1.5 ms per call (median).
        """
        published, updated = self._own_raw_dates
        if self.tree is not None and (published is None or not self._readable(published)):
            found = htmldate_published(self._html_text, self.url)
            if found:
                published = RawDate(text=found, where="htmldate")
        if published is not None and not has_clock_time(published["text"]):
            published = self._timed_same_day(published)
        return published, updated

    def _readable(self, raw: RawDate) -> bool:
        """Can `crawler.dates.normalise` read this date string found in the page's text? Some date lines
        are in another calendar ("2 تير 1399"), lack the year ("[06月24日 11時30分]") or keep a
        word the parser refuses; htmldate is asked then, as when no date was found (issue 14c:
        wide day 0.936 -> 0.939). A structured date (JSON-LD, meta, itemprop, `<time>`) the
        parser refuses is the site's error: it stays, to be stored as null and counted."""
        if not raw["where"].startswith(("html:", "text:")):
            return True
        if has_offset(raw["text"]) or _ISO_DAY_RE.match(raw["text"]):
            return True  # the fast path: ISO and offset-bearing strings
        result = normalise_date(raw["text"], language=self.language, timezone=None,
                                fetched_at=datetime.now(UTC))
        return result.error is None

    def _timed_same_day(self, published: RawDate) -> RawDate:
        """The page's first date string with a time of day on the day `published` gives.

        Metadata, the URL or htmldate often give the day only while the article line shows
        the time ("Do 25.04.24 | 14:07 Uhr", "11/28/2016 11:00 AM PT", `<time
        data-published="2016-12-09 09:13:00Z">`).
        """
        body = self._body_element
        if body is None:
            return published
        now = datetime.now(UTC)
        day = normalise_date(published["text"], language=None, timezone=None, fetched_at=now)
        if day.value is None:
            return published
        for candidate in timed_dates(body, lambda: self._visible_text):
            timed = normalise_date(candidate["text"], language=self.language, timezone=None,
                                   fetched_at=now)
            if timed.value is not None and timed.value.date() == day.value.date():
                return RawDate(text=candidate["text"],
                               where=f"{published['where']}+{candidate['where']}")
        return published

    @cached_property
    def _own_raw_dates(self) -> tuple[RawDate | None, RawDate | None]:
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
        return self._body_found[0]

    @cached_property
    def _body_found(self) -> tuple[str, str, float]:
        """(text, method, confidence): own body, trafilatura's when ours is weak, "" when both
        fail (the item is then dropped as `no_body`, never stored empty)."""
        tree = self.tree
        if tree is None:
            return "", "none", 0.0
        selected = self._css("body")
        own = extract_body(tree, roots=selected or None)
        method = "css" if selected else "own"
        if not selected:
            chosen = _prefer_jsonld_body(own, as_text(self.jsonld.get("articleBody")))
            method = "jsonld" if chosen is not own else method
            own = chosen
        # the standfirst stays: the references count it as article text (fundus, trafilatura;
        # the benchmark's annotators do not), and a description that repeats the first
        # paragraph made us drop real text. Issue 14c: wide body F1 0.958 -> 0.959, snippets
        # 0.903 -> 0.913, dev body 0.968 -> 0.969.
        headings = (self.title,)
        text = _without_headings(own, headings)
        main_text = self._main_text_length
        confidence = 1.0 if selected else 0.9
        if not selected and (len(text) < BODY_SHORT_CHARS
                             or len(text) < BODY_WEAK_RATIO * main_text):
            other = _without_headings(self._second_opinion.body, headings)
            if len(other) > BODY_FALLBACK_GAIN * len(text):
                text, method, confidence = other, "trafilatura", 0.7
            else:
                confidence = 0.4
        if len(text) < BODY_EMPTY_CHARS and main_text >= BODY_EMPTY_PAGE_TEXT and not selected:
            logger.debug("no article body (%d characters for %d of main text): %s", len(text),
                         main_text, self.url)
            return "", "none", 0.0
        if not text:
            return "", "none", 0.0
        return text, method, confidence

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
    def _other_dates(self) -> list[str | None]:
        others = [as_text(self.jsonld.get(k)) for k in ("datePublished", "dateModified",
                                                          "dateCreated", "uploadDate")]
        others += self.meta.all("article:published_time", "article:modified_time",
                                "og:updated_time", "date", "pubdate")
        if self.tree is not None:
            others += [t.get("datetime") for t in self.tree.iter("time")][:20]
        return others

    @cached_property
    def timezone_hint(self) -> str | None:
        published, updated = self._raw_dates
        dates = [d["text"] for d in (published, updated) if d]
        return guess_timezone(dates=dates, other_dates=self._other_dates, url=self.url,
                              language_tags=[*self._declared_languages, self.language])

    @cached_property
    def local_zone(self) -> str | None:
        """The zone the site lives in, as far as the page says (an offset on one of its
        timestamps, the host's country, the language's region), even when its dates are
        written in UTC: the calendar day of a publication is the site's."""
        return local_zone(other_dates=self._other_dates, url=self.url,
                          language_tags=[*self._declared_languages, self.language])

    # ------------------------------------------------------------------ confidence

    def extraction(self) -> dict[str, dict[str, Any]]:
        """Per field: which method gave it and how far to trust it (0 = nothing found, 1 = a
        catalogue selector). Stored as the document's `extraction` (docs/schema.md)."""
        _, body_method, body_confidence = self._body_found
        authors, authors_method = self._authors_found
        published, _ = self._raw_dates
        return {
            "title": _field(*self._title_method()),
            "authors": _field(authors_method, _AUTHOR_CONFIDENCE.get(authors_method, 0.0)
                              if authors else 0.0),
            "published": _field(*_date_method(published)),
            "body": _field(body_method, body_confidence),
            "language": _field(*self._language_method()),
        }

    def _title_method(self) -> tuple[str, float]:
        title = self._chosen_title
        if not title:
            return "none", 0.0
        if self._css_text("title"):
            return "css", 1.0
        key = normalise_for_compare(title)
        in_h1 = any(normalise_for_compare(h) == key for h in self._h1_texts)
        for method, value in (("jsonld", as_text(self.jsonld.get("headline"))),
                              ("og", self.meta.first("og:title")),
                              ("twitter", self.meta.first("twitter:title"))):
            if value and normalise_for_compare(clean_text(value)) == key:
                return (f"{method}+h1", 0.95) if in_h1 else (method, 0.8)
        if in_h1:
            return "h1", 0.7
        return "html-title", 0.5

    def _language_method(self) -> tuple[str, float]:
        language = self.language
        if not language:
            return "none", 0.0
        declared = {primary_subtag(d) for d in self._declared_languages}
        if language in declared:
            return "declared", 0.9
        if language == primary_subtag(self.default_language):
            return "catalogue", 0.8
        return "detected", 0.7

    # ------------------------------------------------------------------ item

    def to_item(self) -> dict[str, Any]:
        """The extracted fields (see `crawler.items.ArticleItem`), raw dates kept as found; the
        item a crawl stores, dates resolved, is `crawler.extract.article.article_item`'s."""
        body = self.body  # first: a weak body asks trafilatura, whose authors are then free
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
            "body": body,
            "publisher": self.publisher,
            "image_url": self.image_url,
            "fetched_at": self.fetched_at,
            "extraction": self.extraction(),
        }


# "Copyright (c) Condé Nast 2022", "© 2024 Example Media. All rights reserved."
_COPYRIGHT_RE = re.compile(r"copyright|\(c\)|©|\ball rights reserved\b|\d{4}|[.,]", re.I)
_AUTHOR_CONFIDENCE = {"css": 1.0, "jsonld": 0.9, "meta": 0.8, "html-byline": 0.7,
                      "jsonld-organisation": 0.6, "meta-organisation": 0.6, "text-byline": 0.5,
                      "author-link": 0.5,
                      "trafilatura": 0.5}


def _in_breadcrumb(element: Element, depth: int = 4) -> bool:
    """Is the element an item of a breadcrumb trail (an attribute of it or of one of its
    `depth` nearest ancestors names a breadcrumb or a list item of one)?"""
    for level, node in enumerate((element, *element.iterancestors())):
        if level > depth or node.tag in ("body", "main", "article"):
            return False
        for key, value in node.items():
            if "breadcrumb" in key.lower() or "breadcrumb" in value.lower() or \
                    value == "itemListElement":
                return True
    return False


@lru_cache(maxsize=4096)
def _is_subtitle_name(names: str) -> bool:
    """Do these class and id names mark a standfirst? Cached: a page repeats its class
    names (`_visible_subtitle`, 0.18 -> 0.06 ms per page, median)."""
    return bool(names.strip()) and bool(_SUBTITLE_CLASS_RE.search(names))


def _field(method: str, confidence: float) -> dict[str, Any]:
    return {"method": method, "confidence": round(confidence, 2)}


def _date_method(raw: RawDate | None) -> tuple[str, float]:
    """("<where>", confidence) of the raw publication date."""
    if raw is None:
        return "none", 0.0
    where = raw["where"]
    # "day source+time source" (`_timed_same_day`): as sure as the weaker of the two
    return where, min(_DATE_CONFIDENCE.get(part, _DATE_CONFIDENCE.get(part.split(":", 1)[0], 0.5))
                      for part in where.split("+"))


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
    """Drop leading paragraphs that repeat the title (it has its own field)."""
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


