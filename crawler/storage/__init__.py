"""MongoDB and files, no Scrapy: the connection, documents, one module per store, the journal, dead
letters.
"""
