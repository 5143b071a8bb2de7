"""The embedded nx-27017 server with a narrower kill switch (bench-only experiment).

    python bench/patched_server.py --data-dir D --host 127.0.0.1 --port P [nx-27017 options]

`crawler.embedded.serve` turns on neosqlite's global force-fallback so that `$set` on an existing
document keeps datetimes as dates. The switch also sends every `find` to the Python path, which
loads and parses every document of the collection for each query: the store's pre-read of a
batch and the known-article lookup of each listing page cost O(collection). Here the switch is
on only where updates are applied (the reason it exists), and queries keep their SQL
translation, which uses the indexes.
"""

from __future__ import annotations

import sys


def serve(argv: list[str]) -> None:
    from neosqlite.collection.query_engine import find_operations
    from neosqlite.collection.query_helper import _sql_updates, update_operations
    from neosqlite.collection.query_helper.utils import set_force_fallback
    from nx_27017.nx_27017 import main as nx_main

    set_force_fallback(False)
    for module in (_sql_updates, update_operations, find_operations):
        module.get_force_fallback = lambda: True  # type: ignore[attr-defined]
    sys.argv = ["nx-27017", *argv]
    nx_main()


if __name__ == "__main__":
    serve(sys.argv[1:])
