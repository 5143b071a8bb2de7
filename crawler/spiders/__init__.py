"""Spiders: `SiteSpider` (one per catalogue entry, made by the loader) and `NewsSpider` (no config)."""
