"""RSS and Atom feeds: bytes in, (url, date) entries out; and feed discovery in an HTML page.

Pure functions, tested from saved XML. RSS 2.0 (`item/link`, a permalink `guid`, `pubDate` or
`dc:date`), RSS 1.0 (RDF `item`) and Atom (`entry/link[@rel=alternate]`, `published` else
`updated`) are read alike; broken XML gives the entries that could be recovered.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from crawler.sources.xml import child_text, local_name, parse_date, parse_xml

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/feed+json")
_XML_FEED_TYPES = FEED_TYPES[:3]


@dataclass(frozen=True)
class FeedEntry:
    url: str
    published: dt.datetime | None = None  # aware UTC; `updated` when the entry has no other
    title: str | None = None
    # aware UTC: the entry's own `updated` / `modified` (an edit after publication), when given
    updated: dt.datetime | None = field(default=None, repr=False)


def parse_feed(data: bytes, base_url: str) -> list[FeedEntry]:
    """The entries of an RSS or Atom feed, in document order, links made absolute.

    >>> rss = b'''<rss version="2.0"><channel><item><title>A</title>
    ... <link>/a</link><pubDate>Wed, 22 Nov 2023 09:12:00 +0100</pubDate></item></channel></rss>'''
    >>> parse_feed(rss, "https://example.com/feed/")
    [FeedEntry(url='https://example.com/a', \
published=datetime.datetime(2023, 11, 22, 8, 12, tzinfo=datetime.timezone.utc), title='A')]
    """
    root = parse_xml(data)
    if root is None:
        return []
    kind = local_name(root)
    if kind == "feed":
        base = root.get("{http://www.w3.org/XML/1998/namespace}base") or base_url
        return [entry for node in root if local_name(node) == "entry"
                if (entry := _atom_entry(node, urljoin(base_url, base))) is not None]
    if kind in ("rss", "rdf"):
        return [entry for node in root.iter() if local_name(node) == "item"
                if (entry := _rss_item(node, base_url)) is not None]
    return []


def _rss_item(node: etree._Element, base_url: str) -> FeedEntry | None:
    link = child_text(node, "link")
    if not link:
        for child in node:
            if local_name(child) == "guid" and child.get("isPermaLink", "true") != "false":
                link = (child.text or "").strip() or None
        if not link:  # RSS 1.0 items carry their link as rdf:about
            link = node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    if not link:
        return None
    published = parse_date(child_text(node, "pubDate", "date", "published", "updated"))
    return FeedEntry(urljoin(base_url, link.strip()), published, child_text(node, "title"),
                     parse_date(child_text(node, "updated", "modified")))


def _atom_entry(node: etree._Element, base_url: str) -> FeedEntry | None:
    links = [child for child in node if local_name(child) == "link" and child.get("href")]
    chosen = next((link for link in links if link.get("rel", "alternate") == "alternate"
                   and link.get("type", "text/html") in ("text/html", "application/xhtml+xml")),
                  None)
    chosen = chosen if chosen is not None else next(
        (link for link in links if link.get("rel", "alternate") == "alternate"), None)
    if chosen is None:
        return None
    published = parse_date(child_text(node, "published", "issued", "updated", "modified"))
    return FeedEntry(urljoin(base_url, str(chosen.get("href")).strip()), published,
                     child_text(node, "title"), parse_date(child_text(node, "updated", "modified")))


_LINK_TAG_RE = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs a page declares with `<link rel="alternate" type="application/rss+xml">` (or
    Atom), absolute, each once, in page order. Comment feeds are left out.

    >>> discover_feeds('<link rel="alternate" type="application/rss+xml" href="/feed/">'
    ...                '<link rel="alternate" type="application/rss+xml" title="Comments" '
    ...                'href="/comments/feed/">', "https://example.com/")
    ['https://example.com/feed/']
    """
    found: list[str] = []
    head = html[:300_000]  # the <head> is at the top; a regex over 300 KB is cheap
    for tag in _LINK_TAG_RE.findall(head):
        attrs = {m.group(1).lower(): html_lib.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                 for m in _ATTR_RE.finditer(tag)}
        rel = attrs.get("rel", "").lower().split()
        kind = attrs.get("type", "").lower().split(";")[0].strip()
        href = attrs.get("href", "").strip()
        if "alternate" not in rel or kind not in _XML_FEED_TYPES or not href:
            continue
        title = attrs.get("title", "").lower()
        if "comment" in title or "commentaire" in title or "/comments/" in href:
            continue
        url = urljoin(base_url, href)
        if url not in found:
            found.append(url)
    return found
