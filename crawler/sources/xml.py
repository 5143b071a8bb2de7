"""What feeds and sitemaps share: hardened XML parsing, gzip, and the dates they carry.

Pure functions, no other `crawler` import; gzip is Scrapy's `scrapy.utils.gz.gunzip`. The parser
never expands entities, never reaches the network and recovers from broken markup (a truncated
download, a stray `&`), so one bad file costs its own entries and nothing else.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import struct

from lxml import etree
from scrapy.utils.gz import gunzip

# A sitemap may hold 50,000 URLs in 50 MB uncompressed (sitemaps.org); anything larger is refused.
MAX_XML_BYTES = 50 * 1024 * 1024

_PARSER_OPTIONS = {"recover": True, "resolve_entities": False, "no_network": True,
                   "remove_comments": True, "remove_pis": True, "huge_tree": False,
                   "load_dtd": False}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?")
_LEADING_JUNK_RE = re.compile(rb"^[\s\xef\xbb\xbf]+")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>", re.IGNORECASE)


def gunzip_if_needed(data: bytes, *, limit: int = MAX_XML_BYTES) -> bytes | None:
    """The bytes, decompressed when they are gzip; None when they decompress beyond `limit`.

    >>> import gzip
    >>> gunzip_if_needed(gzip.compress(b"<urlset/>"))
    b'<urlset/>'
    >>> gunzip_if_needed(b"<urlset/>")
    b'<urlset/>'
    """
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        # Scrapy's: reads what a damaged or truncated file still gives, stops beyond max_size
        return gunzip(data, max_size=limit)
    except (OSError, EOFError, ValueError, struct.error):  # ValueError: beyond `limit`
        return None


def parse_xml(data: bytes) -> etree._Element | None:
    """The root element of an XML document, or None when nothing usable is in it.

    Entities are not expanded and DTDs not loaded (no billion laughs, no XXE); a DOCTYPE with an
    internal subset is cut out before parsing.

    >>> parse_xml(b"<rss><channel><item><link>x</link></item>").tag
    'rss'
    >>> parse_xml(b"not xml at all") is None
    True
    """
    body = gunzip_if_needed(data)
    if not body:
        return None
    body = _LEADING_JUNK_RE.sub(b"", body)
    body = _DOCTYPE_RE.sub(b"", body, count=1)
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    return root


def local_name(element: etree._Element) -> str:
    """The tag without its namespace, lower-cased; '' for comments and the like.

    >>> local_name(etree.fromstring(b'<a:Loc xmlns:a="urn:x"/>'))
    'loc'
    """
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def child_text(element: etree._Element, *names: str) -> str | None:
    """The stripped text of the first child whose local name is one of `names`, in that order."""
    wanted = {name.lower() for name in names}
    found: dict[str, str] = {}
    for child in element:
        name = local_name(child)
        if name in wanted and name not in found:
            text = "".join(child.itertext()).strip()
            if text:
                found[name] = text
    for name in names:
        if name.lower() in found:
            return found[name.lower()]
    return None


def parse_date(text: str | None, *, default_tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """An aware UTC datetime from the date formats feeds and sitemaps use, or None.

    ISO 8601 / W3C datetime (sitemaps, Atom, `news:publication_date`) and RFC 822 (`pubDate`).
    A date without a zone is read in `default_tz`.

    >>> parse_date("2023-11-22T09:12:00+01:00")
    datetime.datetime(2023, 11, 22, 8, 12, tzinfo=datetime.timezone.utc)
    >>> parse_date("Wed, 22 Nov 2023 09:12:00 +0100")
    datetime.datetime(2023, 11, 22, 8, 12, tzinfo=datetime.timezone.utc)
    >>> parse_date("2023-11-22")
    datetime.datetime(2023, 11, 22, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_date("yesterday") is None
    True
    """
    if not text:
        return None
    text = text.strip()
    value: dt.datetime | None = None
    if _ISO_DATE_RE.match(text):
        candidate = text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
        if len(candidate) == 7:  # W3C "YYYY-MM"
            candidate += "-01"
        try:
            value = dt.datetime.fromisoformat(candidate.replace("z", "Z"))
        except ValueError:
            value = None
    if value is None:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
