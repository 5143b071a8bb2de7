"""Dates: raw date strings to aware datetimes (`normalise`), the words they are written in, the back-
fill window.
"""
