"""Is an element part of the article, or of a box about other content (related, comments)?

Bylines and dates found in a "related articles" list, a sidebar or the comments belong to
other articles or to readers; they must not be taken for the page's own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

# class/id words of boxes about other content; whole words between "-", "_" or spaces, so a
# page wrapper called "withSidebar" or "detailBodyContainer" does not count
_OTHER_CONTENT_RE = re.compile(
    r"(?:^|[\s_-])(?:related|recommended|recommendations|teasers?|sidebar|aside|comments?|"
    r"commentaires?|trending|most-?read|popular|more-stories|more-articles|read-next|"
    r"widget|newsletter|footer|outbrain|taboola)(?=$|[\s_-])",
    re.IGNORECASE,
)
_OTHER_TAGS = frozenset({"aside", "nav", "footer"})
# wrappers this high up hold the whole page; their names say nothing about one box
_MAX_DEPTH = 8


# the words of `_OTHER_CONTENT_RE` that never name the article's own box: "widget", "teaser",
# "aside" and "newsletter" also name an article's wrapper or its metadata block ("widget__body",
# "teaser-small__metadata" around the byline of the article itself: issue 25, 2 eval pages)
_OTHER_BOX_RE = re.compile(
    r"(?:^|[\s_-])(?:related|recommended|recommendations|sidebar|comments?|commentaires?|"
    r"trending|most-?read|popular|more-stories|more-articles|read-next|footer|outbrain|"
    r"taboola)(?=$|[\s_-])",
    re.IGNORECASE,
)


def in_other_content(element: Element, *, strict: bool = False) -> bool:
    """True when an element sits in an aside, a related-articles box, a sidebar or comments.

    `strict`: only by the names that never mark the article's own box (`_OTHER_BOX_RE`).
    """
    pattern = _OTHER_BOX_RE if strict else _OTHER_CONTENT_RE
    for depth, ancestor in enumerate(element.iterancestors()):
        tag = ancestor.tag
        if tag in ("body", "html", "main") or depth >= _MAX_DEPTH:
            return False
        if tag in _OTHER_TAGS:
            return True
        names = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}"
        if names.strip() and pattern.search(names):
            return True
    return False
