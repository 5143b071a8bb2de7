"""A page-reading worker process: `python -m crawler.reading.worker`, started by `crawler.reading.pool`.

It reads `PageJob`s from its standard input and writes `PageReading`s to its standard output,
each frame an 8-byte length and a pickle, one job at a time, until its input ends (the crawl
closed it, or the crawl died: the pipe closes with its last holder, so no worker outlives its
crawl). Its log lines go to standard error (or `--log-file`) in the crawl's format. Ctrl-C is
the crawl's to handle: the worker ignores it and ends when the crawl closes its input.
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import signal
import sys
import traceback
from typing import IO, Any

from crawler.reading.reader import read_page

HEADER = 8
READY = "ready"  # the first frame: the imports are done


def write_frame(stream: IO[bytes], value: Any) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(payload).to_bytes(HEADER, "big") + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next frame's value; EOFError when the input has ended."""
    header = stream.read(HEADER)
    if len(header) < HEADER:
        raise EOFError
    payload = stream.read(int.from_bytes(header, "big"))
    return pickle.loads(payload)


def serve(jobs: IO[bytes], results: IO[bytes]) -> None:
    write_frame(results, READY)
    while True:
        try:
            number, job = read_frame(jobs)
        except EOFError:
            return
        try:
            write_frame(results, (number, read_page(job), None))
        except Exception:  # a bug, not page data (read_page does not raise on pages): say it
            write_frame(results, (number, None, traceback.format_exc()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-format", default="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    parser.add_argument("--log-dateformat", default="%Y-%m-%d %H:%M:%S")
    parser.add_argument("--log-file", default="")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler: logging.Handler = (logging.FileHandler(args.log_file, encoding="utf-8")
                                if args.log_file else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(args.log_format, args.log_dateformat))
    logging.basicConfig(level=args.log_level, handlers=[handler], force=True)
    # the frames own the real standard output; a stray print() goes to standard error
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
