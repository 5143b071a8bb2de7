"""Charset repair: the text of a page whose declared charset is wrong.

Scrapy decodes a response with w3lib's `html_to_unicode` (HTTP header, BOM, `<meta charset>`);
`page_text` starts from that text and only corrects two mistakes of the declaration: cp1252 bytes
declared UTF-8, and UTF-8 bytes declared as another charset (tests/test_hostile_input.py).
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding


def page_text(body: bytes, text: str, encoding: str) -> tuple[str, str | None]:
    """The page's text, and what was wrong with its declared charset (None when nothing was).

    `text` is `body` decoded with `encoding`, the charset the HTTP header or the page declares.
    A page declared UTF-8 that is mostly not is read with its own `<meta charset>` if that names
    another charset, else as cp1252; a page declared in another charset whose bytes are valid
    UTF-8 (with non-ASCII characters) is read as UTF-8.

    >>> page_text("café".encode("cp1252"), "caf\ufffd", "utf-8")
    ('café', 'declared utf-8, decoded as cp1252')
    >>> page_text("café".encode(), "cafÃ©", "cp1252")
    ('café', 'declared cp1252, decoded as utf-8')
    >>> page_text("café".encode(), "café", "utf-8")
    ('café', None)
    """
    if body.isascii():
        return text, None
    try:
        declared = codecs.lookup(encoding).name
    except LookupError:
        return text, None
    if declared == "utf-8" and "\ufffd" not in text:  # the common case: it is what it says
        return text, None
    as_utf8 = body.decode("utf-8", errors="replace")
    invalid = as_utf8.count("\ufffd") - body.count("\ufffd".encode())
    if declared == "utf-8":
        non_ascii = len(as_utf8) - len(as_utf8.encode("ascii", errors="ignore"))
        if invalid * 2 <= non_ascii:  # mostly UTF-8: a few broken bytes stay replaced
            return text, None
        fallback = html_body_declared_encoding(body[:4096]) or "cp1252"
        if codecs.lookup(fallback).name == "utf-8":
            fallback = "cp1252"
        return body.decode(fallback, errors="replace"), f"declared utf-8, decoded as {fallback}"
    if invalid == 0 and not declared.startswith(("utf-16", "utf-32")):
        return as_utf8, f"declared {declared}, decoded as utf-8"
    return text, None
