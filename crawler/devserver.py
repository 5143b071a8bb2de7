"""A static web server for a folder of saved pages, on 127.0.0.1 (the demo and the tests use it).

`/a/b/` and `/a/b` serve `a/b/index.html`; the query string is ignored; every request is logged
(path with query) so tests can assert what the crawler downloaded. `redirects` maps request paths
to the target of a 301 answer (an absolute URL may name another host).

Like nginx it sends validators (`ETag`: a hash of the body; `Last-Modified`: the file's mtime)
and answers `304 Not Modified` to a request whose `If-None-Match` names the current ETag (or,
without one, whose `If-Modified-Since` is not before the mtime). `access_log` keeps one
`Access` per request (path, status, body bytes sent, validators received), as a server's access
log would. `quirks` makes it misbehave on purpose, for the tests of bad input:
`"wrong_304"` (304 to every request, validators or not), `"changing_etag"` (a new ETag on every
answer) and `"future_last_modified"` (a Last-Modified a year ahead).
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
          ".xml": "application/xml", ".json": "application/json", ".gz": "application/gzip",
          ".rss": "application/rss+xml", ".atom": "application/atom+xml"}


@dataclass(frozen=True)
class Access:
    """One line of the server's access log."""

    path: str
    status: int
    bytes: int  # body bytes sent
    conditional: bool  # the request carried If-None-Match or If-Modified-Since


class StaticSite:
    """Serve `root` on 127.0.0.1:`port` (0 = any free port) in a background thread."""

    def __init__(self, root: Path, port: int = 0, *,
                 redirects: Mapping[str, str] | None = None, delay: float = 0.0,
                 quirks: Iterable[str] = ()) -> None:
        self.root = root.resolve()
        self.quirks = set(quirks)
        self.access_log: list[Access] = []
        self._etag_counter = itertools.count()
        self.delay = delay  # seconds before each answer, to emulate network latency
        self.redirects = dict(redirects or {})
        self.requests: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(self.path)
                if site.delay:
                    time.sleep(site.delay)
                target = site.redirects.get(urlsplit(self.path).path)
                if target is not None:
                    site._log(self.path, HTTPStatus.MOVED_PERMANENTLY, 0, False)
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                file = site.resolve(self.path)
                conditional = bool(self.headers.get("If-None-Match")
                                   or self.headers.get("If-Modified-Since"))
                if file is None:
                    site._log(self.path, HTTPStatus.NOT_FOUND, 0, conditional)
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = file.read_bytes()
                etag, modified = site.validators(file, body)
                if site.not_modified(self.headers.get("If-None-Match"),
                                     self.headers.get("If-Modified-Since"), etag, file):
                    site._log(self.path, HTTPStatus.NOT_MODIFIED, 0, conditional)
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                site._log(self.path, HTTPStatus.OK, len(body), conditional)
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", _TYPES.get(file.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # a client that went away mid-answer (a crawl killed on purpose) is no error
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def resolve(self, raw_path: str) -> Path | None:
        path = unquote(urlsplit(raw_path).path).lstrip("/")
        candidate = (self.root / path).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def validators(self, file: Path, body: bytes) -> tuple[str, str]:
        """The ETag and Last-Modified of a file (as the quirks bend them)."""
        digest = hashlib.sha1(body).hexdigest()[:16]
        if "changing_etag" in self.quirks:
            digest += f"-{next(self._etag_counter)}"
        mtime = file.stat().st_mtime
        if "future_last_modified" in self.quirks:
            mtime += 365 * 86400
        return f'"{digest}"', formatdate(mtime, usegmt=True)

    def not_modified(self, if_none_match: str | None, if_modified_since: str | None,
                     etag: str, file: Path) -> bool:
        if "wrong_304" in self.quirks:
            return True
        if if_none_match:  # RFC 9110 13.2.2: If-None-Match decides when present
            return etag in {tag.strip() for tag in if_none_match.split(",")}
        if not if_modified_since:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(file.stat().st_mtime) <= since

    def _log(self, path: str, status: int, size: int, conditional: bool) -> None:
        with self._lock:
            self.access_log.append(Access(path, int(status), size, conditional))

    def accesses(self) -> list[Access]:
        with self._lock:
            return list(self.access_log)

    def paths(self) -> list[str]:
        with self._lock:
            return list(self.requests)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.access_log.clear()

    def start(self) -> StaticSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StaticSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
