"""Project commands for `scrapy` (COMMANDS_MODULE); `crawl` and `settings` replace Scrapy's own."""
