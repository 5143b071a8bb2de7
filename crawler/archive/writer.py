"""`ArchiveWriter`: request and response records appended to rotating gzipped WARC files.

Files are `ARCHIVE_DIR/newscrawl-<UTC start>-<host>-<pid><token>-<nnnnn>.warc.gz`, each opened with a
`warcinfo` record and closed once it passes `rotate_bytes`. Every record is its own gzip member
(what `warcio index` and pywb expect, so that a reader can seek to a record's offset), and a
response and its request go to the file in one `os.write` on an `O_APPEND` descriptor: once
`write_exchange` returns, both are in the kernel's page cache and survive the death of the
process; a SIGKILL during the write leaves at most a cut last member, which the reader counts and
skips. A failed write (a full disk) is cut back off the file before the error goes up.

warcio builds the records (WARC-Record-ID, WARC-Date, the request's WARC-Concurrent-To); the
digests are computed here in one pass each, and the gzip members compressed here at level 2:
warcio's own writer compresses at level 9. Per 86 KB bench page (bench/sitegen.py), writing the
pair cost 1.97 ms of CPU at level 9 for 12.6 KB on disk, 1.22 ms at level 6 for 12.9 KB, 0.77 ms
at level 2 for 14.1 KB (medians of 3 x 200 writes, shared machine).

While a writer lives it holds an advisory `flock` on its marker file `<stem>.open`; `close()`
deletes the marker. A marker whose lock can be taken belongs to a process that died: its files
may hold pages that were archived but never read (`dead_writers`, for crash recovery).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import os
import secrets
import socket
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SUFFIX = ".warc.gz"
MARKER = ".open"
GZIP_LEVEL = 2  # module docstring: 0.63x level 6's CPU for 9% more disk

# Hop-by-hop framing the downloader already undid: kept, a reader would undo it a second time.
_FRAMING = frozenset({"transfer-encoding"})


@dataclass(frozen=True, slots=True)
class ArchiveLocation:
    """Where a page lies: the file's name in the archive directory, the offset of its response
    record's gzip member, and the record's WARC-Record-ID."""

    file: str
    offset: int
    record_id: str

    def as_document(self) -> dict[str, Any]:
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One downloaded page: what was asked and what came back, as the downloader saw them.

    `body` is the body as received (still content-encoded when the server compressed it);
    `fields` are extra WARC header fields (`Newscrawl-Source`, `Newscrawl-Kind`, ...).
    """

    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    method: str = "GET"
    request_headers: list[tuple[str, str]] | None = None
    reason: str = ""
    fields: Mapping[str, str] | None = None


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """`data` as one complete gzip member.

    >>> import gzip
    >>> gzip.decompress(gzip_member(b"a") + gzip_member(b"b"))
    b'ab'
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def _sha1(digest: bytes) -> str:
    """A digest as WARC writes it.

    >>> _sha1(hashlib.sha1(b"").digest())
    'sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return "sha1:" + base64.b32encode(digest).decode("ascii")


def _request_line(url: str, method: str) -> str:
    """The request line's target: the URL's path and query (HTTP/1.1 origin form).

    >>> _request_line("https://a.fr/x/y?q=1#f", "GET")
    'GET /x/y?q=1 HTTP/1.1'
    """
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return f"{method} {path.split('#', 1)[0]} HTTP/1.1"


class ArchiveWriter:
    """Appends exchanges to `directory`; one instance per process (module docstring)."""

    def __init__(self, directory: Path, *, rotate_bytes: int, software: str = "newscrawl",
                 level: int = GZIP_LEVEL) -> None:
        self.directory = Path(directory)
        self.rotate_bytes = rotate_bytes
        self.software = software
        self.level = level
        started = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        host = socket.gethostname().split(".")[0] or "host"
        # a token besides the pid: two writers of one process in one second stay apart
        self.stem = f"newscrawl-{started}-{host}-{os.getpid()}{secrets.token_hex(2)}"
        self.files: list[str] = []  # every file this writer opened, oldest first
        self.records = 0
        self._marker: int | None = None
        self._fd: int | None = None
        self._size = 0
        self._builder = WARCWriter(io.BytesIO(), gzip=False)

    # ----------------------------------------------------------------------- files
    @property
    def current(self) -> str | None:
        return self.files[-1] if self._fd is not None else None

    def _open_next(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._marker is None:
            marker = os.open(self.directory / f"{self.stem}{MARKER}", os.O_WRONLY | os.O_CREAT, 0o644)
            fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._marker = marker
        name = f"{self.stem}-{len(self.files):05d}{SUFFIX}"
        self._fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._size = os.fstat(self._fd).st_size
        self.files.append(name)
        info = self._builder.create_warcinfo_record(name, {
            "software": self.software, "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf"})
        self._append([self._serialise(info)])

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Close the current file and delete the marker: every page of this writer was handled."""
        self._close_file()
        if self._marker is not None:
            with contextlib.suppress(OSError):
                (self.directory / f"{self.stem}{MARKER}").unlink()
            os.close(self._marker)
            self._marker = None

    # ----------------------------------------------------------------------- records
    def _serialise(self, record: Any) -> bytes:
        buffer = io.BytesIO()
        self._builder.out = buffer
        self._builder.write_record(record)
        return gzip_member(buffer.getvalue(), self.level)

    def _append(self, members: Iterable[bytes]) -> int:
        """Append the members in one write; the offset of the first. A failed write is cut off."""
        assert self._fd is not None
        data = b"".join(members)
        offset = self._size
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a regular file takes it all, short of a full disk
                more = os.write(self._fd, data[written:])
                if not more:
                    raise OSError(28, "No space left on device")
                written += more
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, offset)
            raise
        self._size += len(data)
        return offset

    def write_exchange(self, exchange: Exchange) -> ArchiveLocation:
        """Append the response record and its request record; where the response lies.
        Raises OSError (a full disk, a directory that cannot be written): nothing is left half
        written by this process then."""
        if self._fd is None:
            self._open_next()
        assert self._fd is not None
        builder = self._builder
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in _FRAMING]
        status = f"{exchange.status} {exchange.reason}".strip()
        http_headers = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        # the digests computed here in one pass each: warcio's own reads the body twice more
        http_headers.compute_headers_buffer(builder.header_filter)
        block = hashlib.sha1(http_headers.headers_buff)
        block.update(exchange.body)
        fields = {**(exchange.fields or {}),
                  "WARC-Payload-Digest": _sha1(hashlib.sha1(exchange.body).digest()),
                  "WARC-Block-Digest": _sha1(block.digest())}
        response = builder.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
            http_headers=http_headers, warc_headers_dict=fields)
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request = builder.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(_request_line(exchange.url, exchange.method),
                                          list(exchange.request_headers or []), is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id,
                               "WARC-Date": response.rec_headers.get_header("WARC-Date")})
        file = self.files[-1]
        offset = self._append([self._serialise(response), self._serialise(request)])
        self.records += 1
        if self._size >= self.rotate_bytes:
            self._close_file()
        return ArchiveLocation(file, offset, record_id)


@dataclass(frozen=True)
class DeadWriter:
    """The files of a writer whose process died without closing it, with the marker's lock held
    by the caller until `release()` (or `discard()`, once its pages are handled)."""

    marker: Path
    files: list[Path]
    _fd: int

    def release(self) -> None:
        os.close(self._fd)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.marker.unlink()
        self.release()


def dead_writers(directory: Path) -> list[DeadWriter]:
    """The writers of `directory` whose process died (their marker's lock is free), each locked
    for the caller; files oldest first."""
    found = []
    for marker in sorted(Path(directory).glob(f"*{MARKER}")):
        try:
            fd = os.open(marker, os.O_RDONLY)
        except OSError:  # removed meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live writer (or another recovery) holds it
            os.close(fd)
            continue
        stem = marker.name[:-len(MARKER)]
        files = sorted(marker.parent.glob(f"{stem}-*{SUFFIX}"))
        found.append(DeadWriter(marker, files, fd))
    return found
