"""Downloader and spider middlewares: incremental skipping, learnt parameters, security, retries,
network errors.
"""
