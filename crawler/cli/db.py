"""`newscrawl db start|stop|status`: the embedded default database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.cli.common import project_settings


def _embedded(settings: Any) -> Any:
    from crawler.storage.embedded import EmbeddedServer

    return EmbeddedServer(var_dir=Path(settings.get("VAR_DIR")),
                          port=settings.getint("EMBEDDED_DB_PORT"))


def add_parser(commands: Any) -> None:
    db = commands.add_parser("db", help="the embedded default database")
    db.add_argument("action", choices=["start", "stop", "status"])
    db.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = project_settings()
    if settings.get("MONGO_URI") and args.action != "status":
        print("MONGO_URI is set: the embedded database is not used", file=sys.stderr)
        return 2
    server = _embedded(settings)
    if args.action == "start":
        try:
            uri = server.ensure_running()
        except RuntimeError as exc:  # PortTaken, or a server that did not start
            print(f"newscrawl db start: {exc}", file=sys.stderr)
            return 1
        print(f"embedded database running at {uri} (data in {server.data_dir})")
    elif args.action == "stop":
        print("embedded database stopped" if server.stop() else "embedded database was not running")
    else:
        from crawler.storage.embedded import speaks_mongodb

        if not server.is_up():
            print(f"embedded database at {server.uri}: down")
            return 1
        if not speaks_mongodb(server.host, server.port):
            print(f"embedded database at {server.uri}: down (the port is held by a program that "
                  f"is not a MongoDB server; set EMBEDDED_DB_PORT to a free port)")
            return 1
        print(f"embedded database at {server.uri}: up")
    return 0
