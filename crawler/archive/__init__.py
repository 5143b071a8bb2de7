"""The raw record: fetched pages in gzipped WARC files (ISO 28500), written with warcio.

`writer.py` appends request/response pairs to size-rotated `.warc.gz` files, one writer per
process; `reader.py` reads them back, a record cut short by a kill or a file that is not a WARC
counted rather than raised; `retention.py` removes the oldest files past a size or age limit.
No Scrapy and no database here: the crawl's side is `crawler.extensions.archive`, the rebuild
from the archive is `newscrawl reextract` (`crawler.cli.reextract`).
"""
