"""newscrawl: keeps a MongoDB database of tech-news articles up to date."""
