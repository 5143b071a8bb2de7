"""One lock per site, so that overlapping cron invocations never crawl the same site twice.

An advisory `flock` on `LOCK_DIR/<site>.lock`: the kernel releases it when the holding process
ends, however it ends, so a killed run never leaves a lock that blocks the next one. The file
keeps the holder's pid, host and start time for the message an overlapping run prints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from crawler.errors import SiteLocked


class SiteLock:
    def __init__(self, lock_dir: Path, site: str) -> None:
        self.path = Path(lock_dir) / f"{site}.lock"
        self.site = site
        self._handle: IO[str] | None = None

    def acquire(self) -> SiteLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SiteLocked(f"{self.site} is being crawled by {holder}") from None
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> SiteLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
