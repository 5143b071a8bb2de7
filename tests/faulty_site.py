"""A fixture-site server that misbehaves on purpose, on 127.0.0.1, for the fault tests.

`script` maps a path to a list of actions, used one per request (the last one repeats):
"ok", "status:404", "status:429:retry-after=1", "sleep:3" (then ok), "reset" (close the
connection without answering), "redirect:/other/path". `default` is the action of every path the
script does not name. `delay` slows every answer down.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from crawler.devserver import StaticSite


class FaultySite:
    def __init__(self, root: Path, *, script: Mapping[str, list[str]] | None = None,
                 default: str = "ok", delay: float = 0.0) -> None:
        self.files = StaticSite(root)  # only for its path -> file mapping
        self.files.server.server_close()  # its own listening socket is not used
        self.script = {path: list(actions) for path, actions in (script or {}).items()}
        self.default = default
        self.delay = delay
        self.log: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with site._lock:
                    site.log.append((time.monotonic(), self.path))
                    actions = (site.script.get(path) or site.script.get(path.rstrip("/"))
                               or [site.default])
                    action = actions.pop(0) if len(actions) > 1 else actions[0]
                if site.delay:
                    time.sleep(site.delay)
                kind, _, argument = action.partition(":")
                if kind == "reset":
                    # RST instead of an answer: SO_LINGER with a zero timeout
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if kind == "sleep":
                    time.sleep(float(argument))
                if kind == "redirect":
                    self.send_response(301)
                    self.send_header("Location", argument)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "status":
                    code, _, header = argument.partition(":")
                    body = f"status {code}".encode()
                    self.send_response(int(code))
                    if header.startswith("retry-after="):
                        self.send_header("Retry-After", header.split("=", 1)[1])
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                file = site.files.resolve(self.path)
                if file is None:
                    self.send_error(404)
                    return
                content = file.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8" if file.suffix == ".txt"
                                 else "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        with self._lock:
            return [path for _, path in self.log]

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [when for when, logged in self.log if logged.split("?")[0] == path]

    def __enter__(self) -> FaultySite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
