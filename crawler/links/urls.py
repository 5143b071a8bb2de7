"""URLs: the canonical key of an article and the classification of links.

Pure functions; the only other `crawler` import is the `Kind` vocabulary. The canonical key is
what the database is keyed on, so it must be stable: canonicalising twice gives the same string.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

from crawler.links.kinds import Kind

MAX_URL_LENGTH = 2048

# Parameters that only say where a reader came from; they never change the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "xtor", "at_medium",
        "at_campaign", "ns_source", "ns_mchannel", "ns_campaign", "ocid", "taid", "sr_share",
        "share", "amp", "s_cid", "icid", "spm", "guccounter", "guce_referrer", "guce_referrer_sig",
        "mkt_tok", "trk", "trkcampaign", "from", "via", "nr_email_referer", "campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "__hs", "oly_")

_SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "ftp:", "file:", "about:")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def is_tracking_param(name: str) -> bool:
    """
    >>> is_tracking_param("utm_source"), is_tracking_param("page")
    (True, False)
    """
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str | None:
    """The key one article is stored under, or None for a URL that cannot be one.

    Drops the fragment and tracking parameters, lower-cases scheme and host, removes default
    ports, sorts the remaining query and percent-encodes consistently (w3lib underneath).

    >>> canonical_url("HTTPS://Fr.Softonic.com:443/articles/x?utm_source=tw&b=2&a=1#comments")
    'https://fr.softonic.com/articles/x?a=1&b=2'
    >>> canonical_url("javascript:void(0)") is None
    True
    >>> canonical_url("http://./") is None
    True
    """
    if not isinstance(url, str):
        return None
    return _canonical(url)


# A listing page links the same articles again and again, and every page of a site shares its
# navigation: the cache turns most of a page's links into a dictionary lookup.
@functools.lru_cache(maxsize=65536)
def _canonical(url: str) -> str | None:
    url = _CONTROL_CHARS.sub("", url).strip()
    if not url or len(url) > MAX_URL_LENGTH or url.lower().startswith(_SKIPPED_SCHEMES):
        return None
    try:
        parts = urlsplit(safe_url_string(url))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        query = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
        host = parts.hostname.rstrip(".")
        if not host:  # "http://./": a host of dots only
            return None
        port = parts.port
        if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
            host = f"{host}:{port}"
        path = parts.path or "/"
        rebuilt = urlunsplit((parts.scheme, host, path, urlencode(query), ""))
        return canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError:  # bad port, bad IPv6 literal, ...
        return None


def host_of(url: str) -> str:
    """
    >>> host_of("https://WWW.Example.com:8080/a")
    'www.example.com'
    """
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def article_key(fetched_url: str, declared_canonical: str | None) -> str | None:
    """The article's database key: the declared canonical URL when it is on the fetched page's
    host, else the fetched URL; canonicalised. None when neither is usable.

    >>> article_key("https://a.fr/x?utm_source=t", "https://a.fr/x/")
    'https://a.fr/x/'
    >>> article_key("https://a.fr/x?utm_source=t", "https://other.example/x")
    'https://a.fr/x'
    """
    if declared_canonical and host_of(declared_canonical) == host_of(fetched_url):
        key = canonical_url(declared_canonical)
        if key:
            return key
    return canonical_url(fetched_url)


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one.

    >>> on_domains("https://fr.softonic.com/a", ["softonic.com"])
    True
    >>> on_domains("https://evilsoftonic.com/a", ["softonic.com"])
    False
    >>> on_domains("http://127.0.0.1:8080/a", ["127.0.0.1"])
    True

    Not `scrapy.utils.url.url_is_from_any_domain`: it compares the host *with its port*, so
    `127.0.0.1:8080` is not on `127.0.0.1` (Scrapy 2.19), and a site served on a port would be
    offsite.
    """
    host = host_of(url)
    return any(host == d or host.endswith("." + d) for d in domains)


def path_and_query(url: str) -> str:
    """The part of a URL that link patterns are matched against.

    >>> path_and_query("https://h/articles/x?page=2#c")
    '/articles/x?page=2'
    """
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def classify_link(
    url: str,
    *,
    article: Sequence[re.Pattern[str]],
    section: Sequence[re.Pattern[str]] = (),
    exclude: Sequence[re.Pattern[str]] = (),
) -> Kind:
    """Tell article links from section links by the catalogue's patterns (searched in path+query).

    >>> art = [re.compile(r"^/articles/[\\w-]+$")]
    >>> classify_link("https://h/articles/new-phone", article=art).value
    'article'
    >>> classify_link("https://h/articles/page/2", article=art, exclude=[re.compile("/page/")]).value
    'ignored'
    """
    target = path_and_query(url)
    if any(p.search(target) for p in exclude):
        return Kind.IGNORED
    if any(p.search(target) for p in article):
        return Kind.ARTICLE
    if any(p.search(target) for p in section):
        return Kind.LISTING
    return Kind.IGNORED


def mask_uri(uri: str) -> str:
    """A database or Redis URI with its password masked, safe to print or log.

    >>> mask_uri("mongodb://bob:s3cret@db.example:27017/x?authSource=admin")
    'mongodb://bob:***@db.example:27017/x?authSource=admin'
    >>> mask_uri("mongodb://bob:p@ss@db.example/")  # an unescaped "@" in the password
    'mongodb://bob:***@db.example/'
    >>> mask_uri("redis://:s3cret@cache.example:6379/2"), mask_uri("mongodb://127.0.0.1:27017")
    ('redis://:***@cache.example:6379/2', 'mongodb://127.0.0.1:27017')
    """
    # Up to the last "@" before the host: an unescaped "@" may be part of the password.
    return re.sub(r"(?<=://)([^:/@]*):(.*)@(?=[^@]*$)", r"\1:***@", uri)
