"""Data health: what the new articles of a run hold (`fields`), how far that falls from the
source's recent good runs (`drift`), and the page that shows it (`svg`, `page`). Pure: no Scrapy,
no database; the run recorder and the commands hand it records and counts.
"""
