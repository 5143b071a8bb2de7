"""Scrapy extensions that own a crawl's resources: the database connection and the run record."""
