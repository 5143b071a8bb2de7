"""URL parameters learnt from the site itself: which ones never change the page.

The fixed list (`crawler.links.urls.is_tracking_param`: utm_*, fbclid, ...) is the first line and
is applied by `canonical_url` everywhere. Real sites add their own: WordPress comment replies
(`?replytocom=7`), share buttons (`?share=twitter&nb=1`), print views, session and referrer ids.
The site says which ones do not matter: a page fetched with such a parameter declares a
`rel=canonical` (or `og:url`) without it. `ParamLearner` records these pairs per host and, once
a parameter was seen dropped on `min_pages` different pages, strips it from every link of that
host before the link is scheduled, checked against the database or the dupefilter.

Conservative rules, in order:
- only a canonical on the same host *and the same path* counts (a canonical to another page says
  nothing about the parameter);
- a parameter that any canonical keeps (`?p=123`, `?id=`) is never learnt, and is unlearnt if it
  was;
- pagination parameters (`PAGINATION_PARAMS`) are never learnt;
- the catalogue overrides both ways: `keep_params` are never stripped, `drop_params` always are.

The same rule learns copy suffixes of a path: a page at `<article>/amp/` (or `/print/`) whose
canonical is `<article>` teaches the suffix `amp`, recorded under the name "/amp"; once learnt,
links ending in that segment lose it. Only a short word counts (never a number or "page").

Pure: no I/O, no Scrapy. `crawler.storage.params.ParamStore` keeps the evidence in the database
(collection `url_params`), so the next run, other spiders and distributed workers start with it:
feed `ParamStore.record()` the `Observation`s that `observe()` returns, and `load()` what it
reads back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.links.urls import canonical_url, host_of, is_tracking_param

DEFAULT_MIN_PAGES = 3
# Parameters that select a page of a listing or of a long article: never learnt, even when a
# site's canonical drops them (many point page 2 back at page 1).
PAGINATION_PARAMS = frozenset({"page", "paged", "p", "pg", "pagenum", "page_num", "pageno",
                               "start", "offset", "seite", "pagina", "strona", "sida"})
# Evidence kept per parameter while it is being learnt: enough to decide, bounded per host.
MAX_SAMPLE_PAGES = 10
_SUFFIX_RE = re.compile(r"[a-z][a-z_-]{0,11}")


def _same_page(url: str, netloc: str, path: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.netloc.lower() == netloc.lower() and parts.path.rstrip("/") == path


def host_key(url: str) -> str:
    """The host a parameter is learnt for: lower-cased, without a leading www.

    >>> host_key("https://WWW.Example.com/a?b=1")
    'example.com'
    """
    return host_of(url).lower().removeprefix("www.")


@dataclass
class ParamRecord:
    """What is known of one parameter on one host (one `url_params` document)."""

    host: str
    param: str
    pages: set[str] = field(default_factory=set)  # pages it was seen dropped on (a sample)
    dropped: int = 0  # times a canonical dropped it
    kept: int = 0  # times a canonical kept it: never learnt then
    learnt_at: dt.datetime | None = None


@dataclass(frozen=True)
class Observation:
    """One (fetched URL, canonical) pair's verdict on one parameter, for the store."""

    host: str
    param: str
    page: str  # the canonical URL the page declared
    kept: bool  # the canonical kept the parameter
    learnt: bool  # this observation made the parameter irrelevant for the host


@dataclass
class _Overrides:
    keep: frozenset[str] = frozenset()
    drop: frozenset[str] = frozenset()


class ParamLearner:
    """Per-host memory of the parameters a site's canonicals drop; strips the learnt ones."""

    def __init__(self, *, min_pages: int = DEFAULT_MIN_PAGES,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        if min_pages < 1:
            raise ValueError(f"min_pages must be at least 1, not {min_pages}")
        self.min_pages = min_pages
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._records: dict[tuple[str, str], ParamRecord] = {}
        self._learnt: dict[str, set[str]] = {}  # host -> learnt parameter names
        self._overrides: dict[str, _Overrides] = {}
        # host -> suffix name -> whether the canonical path ends with a slash
        self._suffix_slash: dict[str, dict[str, bool]] = {}

    # ------------------------------------------------------------------ configuration

    def set_overrides(self, host: str, *, keep: Iterable[str] = (),
                      drop: Iterable[str] = ()) -> None:
        """The catalogue's `keep_params` / `drop_params` for a host (a domain or a URL)."""
        key = host_key(host) if "/" in host else host.lower().removeprefix("www.")
        self._overrides[key] = _Overrides(frozenset(p.lower() for p in keep),
                                          frozenset(p.lower() for p in drop))

    def load(self, records: Iterable[ParamRecord]) -> None:
        """Merge stored evidence (from `ParamStore.load()`) into what this learner knows."""
        for stored in records:
            key = (stored.host, stored.param.lower())
            record = self._records.setdefault(key, ParamRecord(stored.host, key[1]))
            record.pages |= set(stored.pages)
            record.dropped = max(record.dropped, stored.dropped)
            record.kept = max(record.kept, stored.kept)
            if stored.learnt_at and (record.learnt_at is None
                                     or stored.learnt_at < record.learnt_at):
                record.learnt_at = stored.learnt_at
            self._decide(record)

    # ------------------------------------------------------------------ learning

    def observe(self, fetched_url: str, declared: str | None) -> list[Observation]:
        """Learn from a fetched page and the canonical (or og:url) it declares.

        >>> learner = ParamLearner(min_pages=2)
        >>> [o.learnt for o in learner.observe("https://h/a?replytocom=1", "https://h/a")]
        [False]
        >>> [o.learnt for o in learner.observe("https://h/b?replytocom=5", "/b")]
        [True]
        >>> learner.clean_url("https://h/c?replytocom=9&id=3")
        'https://h/c?id=3'
        """
        if not declared:
            return []
        try:
            fetched = urlsplit(fetched_url)
            canonical = urlsplit(urljoin(fetched_url, declared.strip()))
        except ValueError:
            return []
        if host_key(fetched_url) != host_key(canonical.geturl()):
            return []
        page = canonical_url(canonical.geturl())
        if page is None:
            return []
        host = host_key(fetched_url)
        if fetched.path.rstrip("/") != canonical.path.rstrip("/"):
            return self._observe_suffix(host, fetched.path, canonical.path, page)
        if not fetched.query:
            return []
        kept_names = {k.lower() for k, _ in parse_qsl(canonical.query, keep_blank_values=True)}
        observations = []
        overrides = self._overrides.get(host, _Overrides())
        for name in dict.fromkeys(k.lower() for k, _ in parse_qsl(fetched.query,
                                                                  keep_blank_values=True)):
            if (is_tracking_param(name) or name in PAGINATION_PARAMS or name in overrides.keep
                    or name in overrides.drop):  # nothing to learn: fixed, paging, or catalogue
                continue
            record = self._records.setdefault((host, name), ParamRecord(host, name))
            was_learnt = record.learnt_at is not None
            if name in kept_names:
                record.kept += 1
            else:
                record.dropped += 1
                if len(record.pages) < MAX_SAMPLE_PAGES:
                    record.pages.add(page)
            self._decide(record)
            observations.append(Observation(host, name, page, kept=name in kept_names,
                                            learnt=not was_learnt and record.learnt_at is not None))
        return observations

    def _observe_suffix(self, host: str, fetched: str, canonical: str,
                        page: str) -> list[Observation]:
        """`<canonical>/amp/` declaring `<canonical>`: evidence for the suffix "/amp"."""
        head, _, last = fetched.rstrip("/").rpartition("/")
        if head != canonical.rstrip("/") or not head or not _SUFFIX_RE.fullmatch(last.lower()):
            return []
        name = "/" + last.lower()
        overrides = self._overrides.get(host, _Overrides())
        if last.lower() in PAGINATION_PARAMS or name in overrides.keep or name in overrides.drop:
            return []
        self._suffix_slash.setdefault(host, {})[name] = canonical.endswith("/")
        record = self._records.setdefault((host, name), ParamRecord(host, name))
        was_learnt = record.learnt_at is not None
        record.dropped += 1
        if len(record.pages) < MAX_SAMPLE_PAGES:
            record.pages.add(page)
        self._decide(record)
        return [Observation(host, name, page, kept=False,
                            learnt=not was_learnt and record.learnt_at is not None)]

    def _without_suffix(self, url: str) -> str:
        """The URL without a learnt copy suffix (`.../slug/amp/` -> `.../slug/`)."""
        parts = urlsplit(url)
        host = host_key(url)
        overrides = self._overrides.get(host, _Overrides())
        learnt = self._learnt.get(host, set()) | overrides.drop
        if not learnt:
            return url
        head, _, last = parts.path.rstrip("/").rpartition("/")
        name = "/" + last.lower()
        if not head or name not in learnt or name in overrides.keep:
            return url
        slash = self._suffix_slash.get(host, {}).get(name, parts.path.endswith("/"))
        return urlunsplit((parts.scheme, parts.netloc, head + ("/" if slash else ""),
                           parts.query, parts.fragment))

    def _decide(self, record: ParamRecord) -> None:
        learnt = self._learnt.setdefault(record.host, set())
        if record.kept or record.param in PAGINATION_PARAMS:
            record.learnt_at = None
            learnt.discard(record.param)
        elif record.learnt_at is not None or len(record.pages) >= self.min_pages:
            record.learnt_at = record.learnt_at or self._now()
            learnt.add(record.param)

    # ------------------------------------------------------------------ use

    def is_irrelevant(self, host: str, param: str) -> bool:
        """Whether links of `host` lose `param` (fixed list, catalogue, or learnt)."""
        name = param.lower()
        overrides = self._overrides.get(host, _Overrides())
        if name in overrides.keep:
            return False
        return (name in overrides.drop or is_tracking_param(name)
                or name in self._learnt.get(host, ()))

    def only_irrelevant(self, host: str, query: str) -> bool:
        """Whether `query` has parameters and all of them are irrelevant on `host` (a host key):
        a link with it is its page without it.

        >>> learner = ParamLearner()
        >>> learner.set_overrides("h", drop=["replytocom"], keep=["ref"])
        >>> [learner.only_irrelevant("h", q) for q in ("replytocom=4&utm_source=x",
        ...                                            "replytocom=4&id=2", "ref=a", "")]
        [True, False, False, False]
        """
        pairs = parse_qsl(query, keep_blank_values=True)
        return bool(pairs) and all(self.is_irrelevant(host, name) for name, _ in pairs)

    def unsettled(self, url: str, *, linked_from: str | None = None) -> list[str]:
        """The link's parameters nothing has decided on yet (not fixed, learnt, kept, paging).

        A copy suffix counts from its first sight: from the evidence of one page, or, before
        any, when the link is the page it was found on plus one short word (`<page>/amp/`).

        >>> ParamLearner().unsettled("https://h/a?utm_source=x&page=2&replytocom=4")
        ['replytocom']
        >>> ParamLearner().unsettled("https://h/a/amp/", linked_from="https://h/a/")
        ['/amp']
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return []
        host = host_key(url)
        overrides = self._overrides.get(host, _Overrides())
        out = []
        head, _, last = parts.path.rstrip("/").rpartition("/")
        suffix = "/" + last.lower()
        record = self._records.get((host, suffix))
        if record is not None and record.learnt_at is None and not record.kept:
            out.append(suffix)  # a copy suffix seen once, not yet learnt
        elif (record is None and linked_from and last.lower() not in PAGINATION_PARAMS
              and suffix not in overrides.keep and _SUFFIX_RE.fullmatch(last.lower())
              and head and _same_page(linked_from, parts.netloc, head)):
            out.append(suffix)  # the page's own copy, met before any copy was read
        query = parts.query
        for name in dict.fromkeys(k.lower() for k, _ in parse_qsl(query, keep_blank_values=True)):
            record = self._records.get((host, name))
            if (name in PAGINATION_PARAMS or name in overrides.keep or self.is_irrelevant(host, name)
                    or (record is not None and record.kept)):
                continue
            out.append(name)
        return out

    def learnt(self) -> dict[str, list[str]]:
        """Learnt parameters by host (catalogue overrides not applied), sorted."""
        return {host: sorted(names) for host, names in sorted(self._learnt.items()) if names}

    def records(self) -> list[ParamRecord]:
        return list(self._records.values())

    def clean_url(self, url: str) -> str | None:
        """The canonical form of a link with its host's irrelevant parameters removed.

        The key to schedule, look up and dedupe a link by: `canonical_url` after stripping.

        >>> learner = ParamLearner()
        >>> learner.set_overrides("h", drop=["print"], keep=["ref"])
        >>> learner.clean_url("https://h/a?print=1&ref=home&utm_source=x&b=2")
        'https://h/a?b=2&ref=home'
        """
        try:
            url = self._without_suffix(url)
            parts = urlsplit(url)
        except ValueError:
            return None
        if not parts.query:
            return canonical_url(url)
        host = host_key(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not self.is_irrelevant(host, k)]
        keep_override = self._overrides.get(host, _Overrides()).keep
        if len(kept) == len(pairs) and not keep_override:
            return canonical_url(url)
        rebuilt = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept),
                              parts.fragment))
        cleaned = canonical_url(rebuilt)
        if cleaned is None or not keep_override:
            return cleaned
        # canonical_url drops the fixed list; a catalogue keep_params entry brings it back
        restored = [(k, v) for k, v in kept if k.lower() in keep_override and is_tracking_param(k)]
        if not restored:
            return cleaned
        base = urlsplit(cleaned)
        query = sorted(parse_qsl(base.query, keep_blank_values=True) + restored)
        return urlunsplit((base.scheme, base.netloc, base.path, urlencode(query), ""))
