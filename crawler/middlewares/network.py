"""Network failures said once per site and cause, with tracebacks only at DEBUG.

With no network, a crawl of the catalogue printed 10,169 lines and 222 tracebacks on stderr
(Scrapy logs every failed download, with its traceback, at ERROR, from the scraper, the retry
middleware and the robots.txt middleware) and each site's verdict said only "no response
received". `NetworkErrorMiddleware` (downloader middleware, 860: it sees a download exception
before DownloaderStats at 850 and the retry middleware at 550):

- names the cause of each failed download with `network_cause` (DNS, refused, timeout, TLS,
  other), counts it (`network/<cause>`) for the run record and the site's summary line
  (`crawler.extensions.runs.judge_run`: "no response received: DNS lookup failed (9 requests)");
- logs the first failure of each cause per host at WARNING, one line;
- moves Scrapy's per-URL lines about network failures ("Error downloading", "Gave up retrying")
  to DEBUG, where their tracebacks stay for whoever needs them (`LOG_LEVEL=DEBUG`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

from crawler.logs import CAUSES, LogOnce

logger = logging.getLogger(__name__)

# Exception class name (anywhere in the MRO or the __cause__ chain) -> cause.
_BY_CLASS = {
    "CannotResolveHostError": "dns", "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "refused", "ConnectionRefusedError": "refused",
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout", "TCPTimedOutError": "timeout",
    "UserTimeoutError": "timeout",
}
# Scrapy's loggers that log each failed download (with a traceback for the first two).
_PER_URL_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt",
                    "scrapy.downloadermiddlewares.retry")


def network_cause(error: BaseException) -> str | None:
    """dns, refused, timeout, tls or other for a failed connection; None for any other error.

    >>> from scrapy.exceptions import CannotResolveHostError, DownloadFailedError
    >>> network_cause(CannotResolveHostError("x")), network_cause(ValueError("x"))
    ('dns', None)
    >>> network_cause(DownloadFailedError("[<Failure OpenSSL.SSL.Error: certificate verify failed>]"))
    'tls'
    """
    seen: BaseException | None = error
    while seen is not None:
        for klass in type(seen).__mro__:
            if klass.__name__ in _BY_CLASS:
                return _BY_CLASS[klass.__name__]
        text = f"{type(seen).__module__}.{type(seen).__name__} {seen}"
        if "SSL" in text or "TLS" in text or "certificate" in text:
            return "tls"
        if type(seen).__name__ in ("DownloadFailedError", "ResponseFailed", "ResponseNeverReceived",
                                   "ConnectionLost", "ConnectError", "ConnectionDone"):
            return "other"
        seen = seen.__cause__ or seen.__context__
    return None


def cause_in_message(message: str) -> str | None:
    """The cause named in a retry middleware line ("... failed 3 times): DNS lookup failed ...").

    >>> cause_in_message("Gave up retrying <GET http://a.invalid/> (failed 3 times): "
    ...                  "DNS lookup failed: no results for hostname lookup: a.invalid.")
    'dns'
    """
    lowered = message.lower()
    for needle, cause in (("dns lookup failed", "dns"), ("connection was refused", "refused"),
                          ("connection refused", "refused"), ("timed out", "timeout"),
                          ("took longer than", "timeout"), ("ssl", "tls"), ("tls", "tls")):
        if needle in lowered:
            return cause
    return None


class _PerUrlNetworkLines(logging.Filter):
    """Scrapy's per-URL lines about a network failure go to DEBUG, their traceback with them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return True
        error = record.exc_info[1] if record.exc_info else None
        cause = network_cause(error) if error is not None else cause_in_message(record.getMessage())
        if cause is not None:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_FILTER = _PerUrlNetworkLines()


class NetworkErrorMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self._log_once = LogOnce(logger, suffix="")  # once per host and cause
        for name in _PER_URL_LOGGERS:
            if _FILTER not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(_FILTER)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkErrorMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Spider | None = None) -> Any:
        cause = network_cause(exception)
        if cause is None:
            return None
        self.stats.inc_value(f"network/{cause}")
        host = urlsplit(request.url).hostname or request.url
        self._log_once.warning(f"{host} {cause}",
                               "%s: %s (%s); further failures of this kind are counted as "
                               "network/%s", host, CAUSES[cause],
                               str(exception).strip()[:200] or type(exception).__name__, cause)
        return None


