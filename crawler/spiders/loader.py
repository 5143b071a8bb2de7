"""A spider loader that adds one spider per catalogue site to the project's spider classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spiderloader import SpiderLoader

from crawler.catalogue.sites import catalogue_files, load_catalogue
from crawler.errors import CatalogueError, UsageStop
from crawler.scrapy_compat import register_spider
from crawler.spiders.site import SiteSpider

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from crawler.catalogue.sites import Site


def spider_class_for(site: Site) -> type[SiteSpider]:
    """A `SiteSpider` subclass bound to one catalogue entry; its name is the site key."""
    class_name = "".join(part.capitalize() for part in site.key.split("_")) + "Spider"
    return type(class_name, (SiteSpider,), {"name": site.key, "site": site,
                                            "allowed_domains": list(site.domains)})


class CatalogueSpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        try:
            catalogue = load_catalogue(catalogue_files(settings))
        except CatalogueError as exc:
            # The boundary of every `scrapy` and `newscrawl` command: refuse to start, name the
            # file, site and key, no traceback.
            raise UsageStop(f"newscrawl: bad site catalogue: {exc}").stop() from None
        for site in catalogue.values():
            register_spider(self, spider_class_for(site))
