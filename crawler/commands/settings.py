"""`scrapy settings` with newscrawl's add-on applied: the environment, the defaults and the derived
settings, as a crawl sees them (Scrapy's own command builds no crawler process, so the add-on's
`update_pre_crawler_settings`, which reads the environment, would not run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.addons import AddonManager
from scrapy.commands.settings import Command as ScrapySettingsCommand

if TYPE_CHECKING:
    import argparse


class Command(ScrapySettingsCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        AddonManager.load_pre_crawler_settings(self.settings)
        super().run(args, opts)
