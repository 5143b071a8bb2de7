"""Turn whatever the network gave us into one lxml tree, or None when it is not HTML.

Parsing happens once per page; every other module reads the same tree without changing it.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree
from lxml.etree import _Element as Element

# Pages above this size are cut: the article is at the top, and lxml time grows linearly.
MAX_HTML_CHARS = 5_000_000

# a plain etree parser: lxml.html's element classes cost a Python lookup on every node visit;
# no table of id attributes (for XPath's id(), which no rule uses): 5% of the parse time
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, no_network=True,
                           collect_ids=False)
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# C0 controls other than tab/newline/carriage return: many of them mean binary, not text
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def decode_html(data: bytes) -> str:
    """Bytes to text: BOM, then UTF-8, then a declared charset, then cp1252.

    UTF-8 comes before the declaration: valid UTF-8 is almost never anything else, and pages
    that declare an older charset are often stored as UTF-8.

    >>> decode_html("café".encode("latin-1") + b"<meta charset=latin-1>")
    'café<meta charset=latin-1>'
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _CHARSET_RE.search(data[:4096])
    if match:
        try:
            return data.decode(match.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass  # unknown charset name: fall through to the usual Western guess
    return data.decode("cp1252", errors="replace")


def looks_binary(text: str) -> bool:
    """True when the start of the text is mostly control characters (an image, a PDF, gzip)."""
    head = text[:2048]
    return bool(head) and len(_CONTROL_RE.findall(head)) > max(8, len(head) // 50)


_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# the same parser for UTF-8 bytes: lxml hands a str to libxml2 as Latin-1, UTF-16 or UCS-4
# (by its widest character) and libxml2 converts that; UTF-8 is its own encoding
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                                no_network=True, collect_ids=False, encoding="utf-8")


def _utf8_without_controls(text: str) -> bytes | None:
    r"""`text` as UTF-8 less the characters of `_CONTROL_RE`; None when it cannot be encoded
    (a lone surrogate).

    Deleting them from the UTF-8 bytes in C costs a third of the regular expression's scan
    (132 vs 329-566 us on a page of the bench site or ../shared/eval, best of 5; one parse of a
    bench article costs about 770 us): control characters are ASCII, and an ASCII byte in UTF-8
    is always that character.

    >>> _utf8_without_controls("a\tb\n\x0bé\x00"), _utf8_without_controls("\ud800")
    (b'a\tb\n\xc3\xa9', None)
    """
    try:
        return text.encode("utf-8").translate(None, _CONTROL_BYTES)
    except UnicodeEncodeError:
        return None


def parse_html(html: str | bytes | None) -> Element | None:
    """Parse a page into an lxml HTML tree; None for empty, binary or unparseable input."""
    if html is None:
        return None
    text = decode_html(html) if isinstance(html, bytes) else html
    if not text or text.isspace() or looks_binary(text):
        return None
    # lxml refuses str input that carries an XML encoding declaration (the fallback below)
    text = _XML_DECL_RE.sub("", text[:MAX_HTML_CHARS], count=1)
    # parsed from UTF-8 bytes, without an id table: 0.86 instead of 1.0 ms per page (median,
    # the 427 pages of ../shared/eval, the same tree on every one)
    data = _utf8_without_controls(text)
    try:
        if data is not None:
            root = etree.fromstring(data, _UTF8_PARSER)
        else:
            root = etree.fromstring(_CONTROL_RE.sub("", text), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root
