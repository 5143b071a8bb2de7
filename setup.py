"""Present so that `scrapyd-deploy` builds the egg from pyproject.toml instead of writing its own
setup.py (which would leave out the package data: the catalogue, the schema, the demo site)."""

from setuptools import setup

setup()
