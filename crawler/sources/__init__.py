"""Article sources other than listing pages: RSS/Atom feeds and sitemaps, and the XML helpers they share."""
