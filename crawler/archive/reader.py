"""Reading the archive back: its response records as `ArchivedPage`s, damage counted, not raised.

`read_archive(paths)` yields, in file order, an `ArchivedPage` per response record (the body with
its content encoding undone, the WARC-Date as the fetch time, the `Newscrawl-*` fields the crawl
wrote) and a `Damaged` per record that cannot be used: a file that is not a (gzipped) WARC, a
last record cut short by a kill (its gzip member ends early, or its payload no longer matches
its WARC-Payload-Digest), a file that cannot be opened. Reading a file stops at its first
damaged record: a kill can only cut a file's end. `read_record(path, offset)` reads the one
record at an offset (a document's provenance).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from crawler.archive.writer import ArchiveLocation

# What a damaged or foreign file raises inside warcio (and zlib underneath it).
_DAMAGE = (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, EOFError, ValueError,
           KeyError, IndexError, TypeError, AttributeError)

FIELD_PREFIX = "Newscrawl-"


@dataclass(frozen=True)
class ArchivedPage:
    location: ArchiveLocation
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # content encoding undone
    fetched_at: dt.datetime | None
    fields: dict[str, str] = field(default_factory=dict)  # Newscrawl-* fields, prefix removed

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True)
class Damaged:
    file: str
    offset: int
    reason: str


def _warc_date(value: str | None) -> dt.datetime | None:
    """A WARC-Date as an aware UTC datetime.

    >>> _warc_date("2026-12-08T01:02:03Z"), _warc_date("2026-12-08T01:02:03.25Z").microsecond
    (datetime.datetime(2026, 12, 8, 1, 2, 3, tzinfo=datetime.timezone.utc), 250000)
    >>> _warc_date("soon") is None
    True
    """
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None


def _digest_matches(raw: bytes, declared: str | None) -> bool:
    """Whether `raw` is what the record's sha1 payload digest says (True when none is declared)."""
    if not declared or not declared.lower().startswith("sha1:"):
        return True
    actual = base64.b32encode(hashlib.sha1(raw).digest()).decode("ascii")
    return actual == declared.split(":", 1)[1].strip().upper()


def _decoded(raw: bytes, encoding: str | None) -> bytes:
    """The body with its Content-Encoding (gzip, deflate, br) undone."""
    kind = (encoding or "").strip().lower()
    if kind in ("gzip", "x-gzip", "deflate", "br"):
        return DecompressingBufferedReader(io.BytesIO(raw), decomp_type=kind.replace("x-", "")).read()
    return raw


def _page(record: Any, file: str, offset: int) -> ArchivedPage | Damaged:
    headers = record.rec_headers
    raw = record.raw_stream.read()
    url = headers.get_header("WARC-Target-URI") or ""
    if not _digest_matches(raw, headers.get_header("WARC-Payload-Digest")):
        return Damaged(file, offset, f"payload cut short or altered ({url})")
    http = record.http_headers
    status = int(http.get_statuscode() or 0) if http is not None else 0
    pairs = list(http.headers) if http is not None else []
    try:
        body = _decoded(raw, http.get_header("Content-Encoding") if http is not None else None)
    except _DAMAGE as exc:
        return Damaged(file, offset, f"bad content encoding ({url}): {exc}")
    fields = {name[len(FIELD_PREFIX):]: value for name, value in headers.headers
              if name.startswith(FIELD_PREFIX)}
    location = ArchiveLocation(file, offset, headers.get_header("WARC-Record-ID") or "")
    return ArchivedPage(location, url, status, pairs, body,
                        _warc_date(headers.get_header("WARC-Date")), fields)


def _records(handle: IO[bytes], file: str) -> Iterator[ArchivedPage | Damaged]:
    iterator = ArchiveIterator(handle)
    offset = 0
    try:
        for record in iterator:
            offset = iterator.offset  # where this record starts (before its body is read)
            if record.format != "warc":  # warcio takes any other first line for an ARC record
                yield Damaged(file, offset, "not a WARC file")
                return
            page = _page(record, file, offset) if record.rec_type == "response" else None
            iterator.read_to_end()
            if _member_cut(iterator):
                yield Damaged(file, offset, f"{record.rec_type} record cut short")
                return
            if page is not None:
                yield page
                if isinstance(page, Damaged):
                    return
    except _DAMAGE as exc:
        yield Damaged(file, offset, _reason(exc))
        return
    # warcio ends quietly at a last member too short to hold a record's headers
    end = iterator.offset
    if end < os.fstat(handle.fileno()).st_size:
        yield Damaged(file, end, "record cut short")


def _member_cut(iterator: ArchiveIterator) -> bool:
    """Whether the record's gzip member ended before its end marker (a write cut by a kill)."""
    decompressor = getattr(iterator.reader, "decompressor", None)
    return decompressor is not None and not getattr(decompressor, "eof", True)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if "Unknown archive format" in text:
        return "not a WARC file"
    return f"unreadable record ({text[:120]})"


def read_archive(paths: Iterable[Path]) -> Iterator[ArchivedPage | Damaged]:
    """Every response record of every file, in order; damage as `Damaged` (module docstring)."""
    for path in paths:
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below, also when the caller stops early)
        except OSError as exc:
            yield Damaged(path.name, 0, f"cannot open: {exc.strerror or exc}")
            continue
        with handle:
            yield from _records(handle, path.name)


def read_record(path: Path, offset: int) -> ArchivedPage | Damaged:
    """The response record at `offset` of `path` (a document's `archive` provenance)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            for page in _records(handle, path.name):
                if isinstance(page, ArchivedPage):
                    return ArchivedPage(ArchiveLocation(path.name, offset, page.location.record_id),
                                        page.url, page.status, page.headers, page.body,
                                        page.fetched_at, page.fields)
                return page
    except OSError as exc:
        return Damaged(path.name, offset, f"cannot open: {exc.strerror or exc}")
    return Damaged(path.name, offset, "no response record at this offset")
