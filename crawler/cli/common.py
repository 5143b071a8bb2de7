"""What the commands share: the project's settings, the reader stores, argparse value types."""

from __future__ import annotations

import argparse
import os
from typing import Any


def project_settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.addons import AddonManager
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    AddonManager.load_pre_crawler_settings(settings)  # defaults and derived settings (crawler.addon)
    return settings


def reader_stores(settings: Any) -> tuple[Any, Any]:
    from crawler.extensions.database import open_database, revision_store
    from crawler.storage.articles import ArticleStore
    from crawler.storage.runs import RunStore

    database = open_database(settings)
    return (ArticleStore(database, settings.get("MONGO_COLLECTION"),
                         revisions=revision_store(database, settings)),
            RunStore(database, settings.get("MONGO_RUNS_COLLECTION")))


def parse_when_argument(text: str) -> Any:
    from crawler.storage.queries import parse_when

    try:
        return parse_when(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def at_least(minimum: int) -> Any:
    """An argparse type: an integer >= minimum (argparse names the option in its message)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def database_name(text: str) -> str:
    """An argparse type: a name MongoDB accepts for a database (crawler.addon's rule)."""
    import re

    from crawler.addon import SETTINGS

    spec = SETTINGS["MONGO_DATABASE"]
    if not re.fullmatch(spec.pattern, text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected {spec.meaning}")
    return text
