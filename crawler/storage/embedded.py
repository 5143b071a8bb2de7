"""The embedded default database: an nx-27017 server (MongoDB wire protocol on SQLite).

Used when `MONGO_URI` is empty. It runs in the background on 127.0.0.1, keeps its data under
`VAR_DIR/db`, is reused by later runs and stopped with `newscrawl db stop`.

nx-27017 0.8.1 rewrites datetimes as strings when it applies `$set` to an existing document on
its SQL fast path; its Python path keeps them as dates. `serve` sends the server's update paths
(and only those: queries keep their SQL translation, which uses the indexes) to the Python path
before starting it, so the documents it stores have the same BSON types as on MongoDB.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import bson

_OP_MSG = 2013


class PortTaken(RuntimeError):
    """Something that is not a MongoDB server answers on the embedded database's port."""


def speaks_mongodb(host: str, port: int, *, timeout: float = 2.0) -> bool:
    """Whether the server on host:port answers a MongoDB `hello` (OP_MSG) with a reply to it.

    A raw exchange rather than a client: a program that is not a database (a web server, a
    test double) gets one request and a closed socket, never a driver's retry loop.
    """
    request_id = 0x6E63  # any id; the reply must name it
    body = struct.pack("<IB", 0, 0) + bson.encode({"hello": 1, "$db": "admin"})
    message = struct.pack("<iiii", 16 + len(body), request_id, 0, _OP_MSG) + body
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(message)
            header = b""
            while len(header) < 16:
                chunk = sock.recv(16 - len(header))
                if not chunk:
                    return False
                header += chunk
    except OSError:
        return False
    _, _, response_to, op_code = struct.unpack("<iiii", header)
    return response_to == request_id and op_code == _OP_MSG


@dataclass(frozen=True)
class EmbeddedServer:
    var_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "db"

    @property
    def pid_file(self) -> Path:
        return self.var_dir / "db.pid"

    @property
    def log_file(self) -> Path:
        return self.var_dir / "db.log"

    def is_up(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def ensure_running(self, *, timeout: float = 30.0) -> str:
        """Start the server unless it already answers; return its URI.

        A MongoDB server already listening on the port is used (a server started earlier, from
        another VAR_DIR or by hand); anything else there raises `PortTaken`.
        """
        if self.is_up():
            if self.pid() is not None or speaks_mongodb(self.host, self.port):
                return self.uri
            raise PortTaken(
                f"{self.host}:{self.port} is in use by a program that is not a MongoDB server; "
                f"stop it or set EMBEDDED_DB_PORT to a free port"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "crawler.storage.embedded", "serve", "--data-dir", str(self.data_dir),
                 "--host", self.host, "--port", str(self.port),
                 "--log-file", str(self.log_file), "--pid-file", str(self.var_dir / "nx.pid")],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives the crawl that started it
                cwd=str(Path(__file__).resolve().parents[2]),
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return self.uri
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(
            f"the embedded database did not start on {self.host}:{self.port}; see {self.log_file}"
        )

    def stop(self, *, timeout: float = 10.0) -> bool:
        """Stop the server started by `ensure_running`; False when none was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None and self.is_up():
            time.sleep(0.1)
        if self.is_up():
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def serve(argv: list[str]) -> None:
    """Run nx-27017 in the foreground with its date-preserving update path."""
    from neosqlite.collection.query_engine import find_operations
    from neosqlite.collection.query_helper import _sql_updates, update_operations
    from nx_27017.nx_27017 import main as nx_main

    # Each of these modules imported the kill switch by name: switching it there, not globally,
    # leaves every query on the indexed SQL path.
    for module in (_sql_updates, update_operations, find_operations):
        module.get_force_fallback = lambda: True
    sys.argv = ["nx-27017", *argv]
    nx_main()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2:])
    else:
        sys.exit("usage: python -m crawler.storage.embedded serve [nx-27017 options]")
