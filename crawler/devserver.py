"""A static web server for a folder of saved pages, on 127.0.0.1 (the demo and the tests use it).

`/a/b/` and `/a/b` serve `a/b/index.html`; the query string is ignored; every request is logged
(path with query) so tests can assert what the crawler downloaded. `redirects` maps request paths
to the target of a 301 answer (an absolute URL may name another host).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
          ".xml": "application/xml", ".json": "application/json", ".gz": "application/gzip",
          ".rss": "application/rss+xml", ".atom": "application/atom+xml"}


class StaticSite:
    """Serve `root` on 127.0.0.1:`port` (0 = any free port) in a background thread."""

    def __init__(self, root: Path, port: int = 0, *,
                 redirects: Mapping[str, str] | None = None, delay: float = 0.0) -> None:
        self.root = root.resolve()
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
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                file = site.resolve(self.path)
                if file is None:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = file.read_bytes()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", _TYPES.get(file.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
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

    def paths(self) -> list[str]:
        with self._lock:
            return list(self.requests)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

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
