"""Every newscrawl exception, in one leaf module (it imports no other crawler module).

    Exception
    ├── RuntimeError
    │   ├── DatabaseUnavailable    MongoDB cannot be reached or was lost (message: password masked)
    │   ├── RedisUnavailable       Redis cannot be reached (distributed mode; password masked)
    │   └── SiteLocked             another live process holds a site's lock (`newscrawl crawl`)
    ├── ValueError: bad operator input, one printable line each
    │   ├── CatalogueError         a catalogue file (names file, site and key)
    │   ├── SpiderArgumentError    a spider argument `-a name=value`
    │   ├── SourcesArgumentError   `-a sources=` naming no usable source
    │   └── WindowArgumentError    `-a since=` / `-a until=` that is not a date
    └── scrapy.exceptions.DropItem: why an item was dropped (the incremental middleware
        │                          remembers the page from the type); logged at WARNING
        ├── InvalidArticle         the validator refused it: the page is not an article
        └── ExpectedDrop           a normal event of a crawl: logged at DEBUG and counted
            ├── DuplicateArticle   a second item of a run with the same canonical URL
            └── OutsideWindow      published outside the run's date window
    BaseException > SystemExit (exit code 2, EXIT_USAGE: an operator's mistake, one line printed)
    ├── SettingError               a setting value that cannot be used: stops any command
    └── UsageStop                  any other mistake found before a command starts (catalogue
                                   file, spider name, spider argument)
"""

from __future__ import annotations

import sys

from scrapy.exceptions import DropItem


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message is safe to print (password masked)."""


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached; the message is safe to print (password masked)."""


class SiteLocked(RuntimeError):
    """Another live process holds the site's lock."""


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names file, site and key."""


class SpiderArgumentError(ValueError):
    """A spider argument (-a name=value) that cannot be used."""


class SourcesArgumentError(ValueError):
    """A `-a sources=` value that names no usable source."""


class WindowArgumentError(ValueError):
    """A `since` / `until` spider argument that is not a date."""


class InvalidArticle(DropItem):
    """An item the validator refused: the page is not usable as an article."""


class ExpectedDrop(DropItem):
    """A drop that is part of normal operation: DEBUG, not WARNING.

    Scrapy's LogFormatter logs a `DropItem` at WARNING with the whole item unless it carries a
    `log_level`: a duplicate or an out-of-window page happens hundreds of times in an ordinary run
    (1,415 "Dropped:" WARNING lines on a 400-article site with comment-reply links) and asks nothing
    of the operator; the component that drops it counts it in its stats.
    """

    def __init__(self, message: str, log_level: str | None = "DEBUG") -> None:
        super().__init__(message, log_level)


class DuplicateArticle(ExpectedDrop):
    """The second item of a run with the same canonical URL."""


class OutsideWindow(ExpectedDrop):
    """An article published outside the run's date window."""


EXIT_USAGE = 2  # README "Scheduling": the exit code of an operator's mistake


class UsageStop(SystemExit):
    """An operator's mistake found before a command starts: the command stops with exit code 2.

    `str()` is the one line for stderr; `stop()` prints it. A SystemExit whose code is a message
    would exit 1 (Python prints the message and exits 1), hence the code and the print apart.
    """

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_USAGE)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def stop(self) -> UsageStop:
        """Print the line on stderr and return self, to be raised: `raise UsageStop(...).stop()`."""
        print(self.message, file=sys.stderr)
        return self


class SettingError(UsageStop):
    """A setting value that cannot be used: a malformed setting stops any command at start."""

    def __init__(self, message: str) -> None:
        super().__init__(f"newscrawl: bad setting: {message}")
