"""What the crawler refuses to fetch: non-public addresses and oversize responses.

`PrivateAddressMiddleware` (a downloader middleware) refuses requests to private, loopback and
link-local addresses unless ALLOW_PRIVATE_ADDRESSES is on; `TooLargeMiddleware` counts the
responses DOWNLOAD_MAXSIZE refuses.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.threads import deferToThread

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def refused_address(address: str) -> bool:
    """True for an address a catalogue site must not have: private, loopback, link-local,
    multicast, reserved or otherwise not on the public internet (IPv4-mapped IPv6 included).

    >>> [refused_address(a) for a in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1",
    ...                               "::ffff:192.168.0.1", "fe80::1", "93.184.216.34")]
    [True, True, True, True, True, True, False]
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_host(host: str) -> list[str]:
    """Every address `host` resolves to (empty when it does not resolve); blocking."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


class PrivateAddressMiddleware:
    """Refuse requests to private, loopback and link-local addresses (a downloader middleware).

    A catalogue site, a redirect or a page's link must not make the crawler fetch from the
    machine it runs on or from its network (a metadata service at 169.254.169.254, an admin page
    on 127.0.0.1). Hosts given as IP literals are checked directly; names are resolved once per
    host and run, with the blocking `getaddrinfo` in a thread of the reactor's pool, and refused
    when any of their addresses is not public. A name that does not resolve is let through: the
    download fails on it and is counted as usual. The download itself resolves again (Scrapy's
    DNS cache), so a name whose DNS answer changes between the two lookups is not covered.

    Setting: ALLOW_PRIVATE_ADDRESSES (default false) switches the check off, for local testing.
    Stats: security/refused_private (requests refused). Each refused host is logged once.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self._verdicts: dict[str, str | None] = {}  # host -> the refused address, or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        if crawler.settings.getbool("ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured("ALLOW_PRIVATE_ADDRESSES is on: private addresses are crawled")
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = (urlparse_cached(request).hostname or "").rstrip(".")
        if not host:
            return
        if host not in self._verdicts:
            if refused_address(host):
                addresses = [host]
            else:
                try:
                    ipaddress.ip_address(host.split("%", 1)[0])
                    addresses = []  # a public IP literal
                except ValueError:
                    addresses = await maybe_deferred_to_future(deferToThread(resolve_host, host))
            self._verdicts[host] = next((a for a in addresses if refused_address(a)), None)
            if self._verdicts[host] is not None:
                logger.warning("refused requests to %s: it is or resolves to the non-public "
                               "address %s (set ALLOW_PRIVATE_ADDRESSES=true to allow; further "
                               "requests are counted, not logged)", host, self._verdicts[host])
        address = self._verdicts[host]
        if address is not None:
            self.stats.inc_value("security/refused_private")
            logger.debug("refused %s: %s is a non-public address", request.url, address)
            raise IgnoreRequest(f"{host} is or resolves to the non-public address {address}")


class TooLargeMiddleware:
    """Responses refused by DOWNLOAD_MAXSIZE are counted (`download/too_large`), not failures.

    Scrapy warns about each such response and then aborts its download with an error, which
    would log a traceback at ERROR and count as a failed download in the run's error rate. A page
    above the size limit is refused by policy, not lost to a fault: its request is ignored
    instead. Placed after DownloaderStats (850) so that it sees the exception first.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TooLargeMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            self.stats.inc_value("download/too_large")
            raise IgnoreRequest(str(exception))
