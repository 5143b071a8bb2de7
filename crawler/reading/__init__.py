"""Reading fetched pages: the page-to-article function, the charset repair, the worker processes that
run it.
"""
