"""The article item. Field names are the MongoDB field names (see README, "Stored document")."""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    """One article as extracted from a page, before and after the pipelines.

    Filled where the page is read (`crawler.extract.article.article_item`: the extraction, and
    `published_at` / `updated_at` / `date_source` from the raw date strings) and completed by the
    pipelines: `url` rewritten to the canonical key by the dedupe pipeline, `run_id` and the
    bookkeeping dates by the store.
    """

    url = scrapy.Field()  # canonical key once the dedupe pipeline ran; the response URL before
    fetched_url = scrapy.Field()  # the URL the page was downloaded from
    canonical_url = scrapy.Field()  # rel=canonical as declared by the page (absolute) or None
    source = scrapy.Field()  # catalogue site key, e.g. "softonic_fr"
    title = scrapy.Field()
    subtitle = scrapy.Field()
    authors = scrapy.Field()  # list[str], always a list
    published_raw = scrapy.Field()  # {"text": str, "where": str} as found on the page, or None
    updated_raw = scrapy.Field()
    published_at = scrapy.Field()  # aware UTC datetime (resolved where the page is read)
    updated_at = scrapy.Field()
    date_source = scrapy.Field()  # {"published": rule, "updated": rule}
    section = scrapy.Field()  # the page's own section label, e.g. "Infos"
    crawl_section = scrapy.Field()  # the catalogue section the crawl reached the article from
    tags = scrapy.Field()  # list[str]
    language = scrapy.Field()  # BCP 47 primary tag, e.g. "fr"
    body = scrapy.Field()  # plain text, paragraphs separated by blank lines
    publisher = scrapy.Field()  # the outlet as the page names it, or None; never in authors
    image_url = scrapy.Field()
    fetched_at = scrapy.Field()  # aware UTC datetime of the download
    extraction = scrapy.Field()  # {field: {"method": str, "confidence": float}} (schema v2)
    published_local = scrapy.Field()  # ISO 8601 in the publisher's offset (crawler.dates.local)
    updated_local = scrapy.Field()
    archive = scrapy.Field()  # {file, offset, record_id}: the page's response record in the WARC archive
    extractor_version = scrapy.Field()  # set by `newscrawl reextract` on the documents it rewrites
