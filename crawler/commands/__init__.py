"""Project commands for `scrapy` (COMMANDS_MODULE); `crawl` replaces Scrapy's own."""
