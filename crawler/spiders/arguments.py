"""Spider name and arguments checked before a crawl starts, for `scrapy crawl` and `newscrawl crawl`.

Scrapy creates the spider inside the running crawl, so a bad `-a` value surfaced as tracebacks
("Unhandled error in Deferred", "Crawler.stats is not set yet") and an unknown spider name as a
37-line `KeyError`. These checks run first and give the one line the operator needs:

- `unknown_spider(name, known)`: the line for a name that is not a spider, with the close names;
- `argument_problem(spidercls, arguments)`: the spider's own validation (its `__init__` raises a
  `ValueError` subclass naming the argument, e.g. `SpiderArgumentError`), or None;
- `unknown_arguments(spidercls, arguments)`: a warning per argument no spider class in the MRO
  accepts (Scrapy would set it as an attribute and ignore it: `-a max_pagse=2` crawled
  unbounded), naming the close one. Names starting with `_` (Scrapyd's `_job`) are Scrapy's.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from crawler.addon import parse_flag
from crawler.errors import SpiderArgumentError

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL,
               inspect.Parameter.VAR_KEYWORD)


def unknown_spider(name: str, known: Iterable[str]) -> str:
    """
    >>> unknown_spider("softonic", ["softonic_fr", "softonic_en", "numerama", "news"])
    "unknown spider 'softonic'; did you mean softonic_fr, softonic_en? (`scrapy list` names them all)"
    >>> unknown_spider("zzz", ["news"])
    "unknown spider 'zzz' (`scrapy list` names them all)"
    """
    names = list(known)
    close = [n for n in names if n.startswith(name) or name.startswith(n)][:3]
    close += [n for n in difflib.get_close_matches(name, names, 3, 0.6) if n not in close]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
    return f"unknown spider {name!r}{hint} (`scrapy list` names them all)"


def accepted_arguments(spidercls: type) -> set[str]:
    """The keyword arguments the `__init__` methods of `spidercls` and its bases name."""
    names: set[str] = set()
    for klass in spidercls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        names.update(p.name for p in inspect.signature(init).parameters.values()
                     if p.kind not in _POSITIONAL and p.name != "self")
    return names


def unknown_arguments(spidercls: type, arguments: Mapping[str, Any]) -> list[str]:
    """A warning per argument the spider does not read."""
    accepted = accepted_arguments(spidercls) - {"name"}
    warnings = []
    for name in arguments:
        if name.startswith("_") or name in accepted:
            continue
        close = difflib.get_close_matches(name, sorted(accepted), 1, 0.6)
        hint = f"did you mean -a {close[0]}=...?" if close else (
            f"it reads {', '.join(sorted(accepted))}")
        warnings.append(f"-a {name}: the {getattr(spidercls, 'name', 'spider')} spider has no such "
                        f"argument and ignores it; {hint}")
    return warnings


def argument_problem(spidercls: type, arguments: Mapping[str, Any]) -> str | None:
    """The spider's own complaint about `arguments` (one line), or None when it accepts them.

    The spider is built once without a crawler, as `scrapy check` does; what it logs while
    being built (a warning about an ignored section) is left to the real crawl, which logs it.
    """
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        spidercls(**arguments)
    except ValueError as exc:  # SpiderArgumentError, SourcesArgumentError, ...
        return str(exc)
    finally:
        logging.disable(previous)
    return None


def parse_positive_int(name: str, value: Any) -> int:
    """
    >>> parse_positive_int("max_pages", " 3 ")
    3
    """
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"-a {name}={value!r}: expected a whole number") from None
    if number < 1:
        raise SpiderArgumentError(f"-a {name}={value!r}: must be at least 1")
    return number


def parse_flag_argument(name: str, value: Any) -> bool:
    """A spider flag argument, read like a flag setting (crawler.addon.parse_flag).

    >>> parse_flag_argument("full", "1"), parse_flag_argument("full", "no")
    (True, False)
    >>> parse_flag_argument("full", "perhaps")
    Traceback (most recent call last):
    ...
    crawler.errors.SpiderArgumentError: -a full='perhaps': expected true or false (1/0, yes/no, on/off)
    """
    flag = parse_flag(value)
    if flag is None:
        raise SpiderArgumentError(f"-a {name}={value!r}: expected true or false (1/0, yes/no, on/off)")
    return flag
