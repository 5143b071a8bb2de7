"""A spider loader that adds one spider per catalogue site to the project's spider classes.

It implements Scrapy's `SpiderLoaderProtocol` (`from_settings`, `load`, `list`,
`find_by_request`) over Scrapy's own loader, used through its public methods, for the classes
in SPIDER_MODULES.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader

from crawler.addon import read_environment
from crawler.catalogue.sites import catalogue_files, load_catalogue
from crawler.errors import CatalogueError, UsageStop
from crawler.spiders.site import SiteSpider

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.settings import BaseSettings

    from crawler.catalogue.sites import Site


def spider_class_for(site: Site) -> type[SiteSpider]:
    """A `SiteSpider` subclass bound to one catalogue entry; its name is the site key."""
    class_name = "".join(part.capitalize() for part in site.key.split("_")) + "Spider"
    return type(class_name, (SiteSpider,), {"name": site.key, "site": site,
                                            "allowed_domains": list(site.domains)})


class CatalogueSpiderLoader:
    """SPIDER_MODULES' spiders and one `SiteSpider` per catalogue entry (Scrapy's
    `SPIDER_LOADER_CLASS`)."""

    def __init__(self, settings: BaseSettings) -> None:
        # Scrapy builds the loader before the crawler process (`scrapy crawl` checks the spider
        # name first) or without one (`scrapy list`): the add-on has not read the environment
        # yet, and its SITES_FILE and checks hold here too. Scrapy hands a frozen copy.
        settings = settings.copy()
        settings.frozen = False
        read_environment(settings)
        self._modules = SpiderLoader.from_settings(settings)
        try:
            catalogue = load_catalogue(catalogue_files(settings))
        except CatalogueError as exc:
            # The boundary of every `scrapy` and `newscrawl` command: refuse to start, name the
            # file, site and key, no traceback.
            raise UsageStop(f"newscrawl: bad site catalogue: {exc}").stop() from None
        self._sites: dict[str, type[Spider]] = {
            site.key: spider_class_for(site) for site in catalogue.values()}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        """The spider class of `spider_name` (a catalogue site's first); KeyError if none."""
        if spider_name in self._sites:
            return self._sites[spider_name]
        return self._modules.load(spider_name)

    def list(self) -> list[str]:
        return list(dict.fromkeys([*self._modules.list(), *self._sites]))

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name in self.list() if self.load(name).handles_request(request)]
