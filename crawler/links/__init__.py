"""URLs and links: canonical keys, what a URL is for, parameters learnt per host, link heuristics,
listing pages' links.
"""
