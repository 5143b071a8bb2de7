"""Link heuristics: what a same-site URL probably leads to, by its shape alone (the `news` spider's
guesses, and the layout fallback's). No site list: the shapes hold across sites."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.linkextractors import IGNORED_EXTENSIONS

from crawler.links.kinds import Kind

# Links that never lead to an article worth a download: Scrapy's list of files that are not web
# pages (what its link extractor skips), and the data files news sites link to besides.
SKIPPED_EXTENSIONS = (*(f".{extension}" for extension in IGNORED_EXTENSIONS),
                       ".xml", ".json", ".gz", ".avif")


_NOT_CONTENT = re.compile(
    r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:wp-admin|wp-login|wp-json|login|logout|connexion|signin|"
    r"sign-in|register|inscription|account|compte|mon-compte|panier|cart|checkout|search|"
    r"recherche|newsletter|abonnement|subscribe|contact|a-propos|about|about-us|mentions-legales|"
    r"legal|cgu|cgv|privacy|confidentialite|cookies|terms|faq|aide|help|jobs|careers|"
    r"feed|rss|comments|cdn-cgi)(?:/|$|\.)", re.IGNORECASE)


_LISTING = re.compile(
    r"(?:^|/)(?:tags?|topics?|themes?|auteurs?|authors?|writers?|contributors?|people|profile|"
    r"category|categories|categorie|rubriques?|sections?|archives?|page|dossiers?)(?:/|$)|"
    r"[?&](?:page|paged|p)=\d+|/\d{4}/(?:\d{2}/?)?$", re.IGNORECASE)


_DATED = re.compile(r"/(?:19|20)\d{2}/\d{1,2}/(?:\d{1,2}/)?(?:\d+/)?[^/]*[a-z][^/]*/?$", re.I)


_ID_SLUG = re.compile(r"(?:/|-|_)\d{4,}(?:[-_][a-z0-9]+){2,}(?:\.html?)?/?$|"
                      r"/[a-z0-9]+(?:-[a-z0-9]+){2,}[-_.]?(?:n|a|id)?\d{4,}(?:\.html?)?/?$", re.I)


_LONG_SLUG = re.compile(r"/[a-z0-9%]+(?:-[a-z0-9%]+){3,}(?:\.s?html?|\.php)?/?$", re.I)


def guess_link(url: str) -> tuple[Kind, str]:
    """What a same-site URL probably leads to, by its shape alone, with the reason: an article, a
    listing (worth reading for its links, never stored) or neither (ignored).

    >>> guess_link("https://h/2023/11/22/openai-revient/")
    (<Kind.ARTICLE: 'article'>, 'dated path')
    >>> guess_link("https://h/tech/1567890-openai-sam-altman-revient.html")[0].value
    'article'
    >>> guess_link("https://h/tag/intelligence-artificielle-generative-et-societe/")[0].value
    'listing'
    >>> guess_link("https://h/mentions-legales/")[0].value
    'ignored'
    >>> guess_link("https://h/tech/")
    (<Kind.LISTING: 'listing'>, 'short path')
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    target = path + (f"?{parts.query}" if parts.query else "")
    if _NOT_CONTENT.search(path):
        return Kind.IGNORED, "static, account or search page"
    if _LISTING.search(target):
        return Kind.LISTING, "taxonomy, author, archive or page number"
    if _DATED.search(path):
        return Kind.ARTICLE, "dated path"
    if _ID_SLUG.search(path):
        return Kind.ARTICLE, "numeric id with a slug"
    if _LONG_SLUG.search(path):
        return Kind.ARTICLE, "long slug"
    return Kind.LISTING, "short path"
