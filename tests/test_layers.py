"""Imports go one way: no crawler module imports from a higher layer (docs/architecture.md).

The layers, lowest first. A module may import from its own layer and the ones below it; a
module not listed here fails the test, so a new module has to be given its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crawler"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("leaves: exceptions, kinds, items, settings, pure helpers", (
        "crawler", "crawler.errors", "crawler.links.kinds", "crawler.items", "crawler.dates.words",
        "crawler.links.urls", "crawler.storage.queries", "crawler.storage.schema", "crawler.sources.xml", "crawler.reading.charset",
        "crawler.storage.embedded", "crawler.devserver", "crawler.addon", "crawler.settings",
        "crawler.scrapy_compat", "crawler.logs",
    )),
    ("domain: dates, catalogue, listings, extraction (no crawl, no database)", (
        "crawler.dates.normalise", "crawler.dates.window", "crawler.sources.feeds", "crawler.sources.sitemaps", "crawler.catalogue.sites",
        "crawler.locks", "crawler.reading.listing", "crawler.extract", "crawler.links.params", "crawler.reading.reader",
        "crawler.reading.worker",
    )),
    ("storage: pymongo and files", (
        "crawler.storage.articles", "crawler.storage.deadletters", "crawler.storage.journal", "crawler.cli.export",
        "crawler.cli.stats",
    )),
    ("crawl resources: the database owner, Redis", (
        "crawler.extensions.database", "crawler.distributed.connection", "crawler.distributed.queue",
        "crawler.reading.pool",
    )),
    ("crawl components: spiders, middlewares, pipelines, extensions, scheduler", (
        "crawler.spiders", "crawler.pipelines.store", "crawler.middlewares.incremental", "crawler.middlewares.security",
        "crawler.middlewares.retry", "crawler.extensions.runs", "crawler.distributed", "crawler.middlewares.paramfilter", "crawler.middlewares.network",
    )),
    ("entry points: commands", (
        "crawler.cli.crawl", "crawler.commands", "crawler.cli.main", "crawler.cli.check_sites", "crawler.cli.extract",
    )),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of the longest matching prefix."""
    best, level = -1, -1
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "crawler" and module.startswith(prefix + "."))
            if inside and len(prefix) > best:
                best, level = len(prefix), number
    return level


def crawler_imports(path: Path) -> set[str]:
    """Every `crawler...` module imported anywhere in the file, functions included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "crawler":
                found.update(f"crawler.{alias.name}" for alias in node.names)
            elif node.module.startswith("crawler."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("crawler."))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_from_a_higher_layer(path):
    module = module_name(path)
    own = layer_of(module)
    assert own >= 0, f"{module} has no layer: add it to LAYERS here and in docs/architecture.md"
    upward = {name: LAYERS[layer_of(name)][0] for name in crawler_imports(path)
              if layer_of(name) > own}
    assert not upward, f"{module} ({LAYERS[own][0]}) imports from higher layers: {upward}"


def test_nothing_imports_the_settings_module():
    importers = [module_name(p) for p in MODULES if "crawler.settings" in crawler_imports(p)]
    assert importers == []


@pytest.mark.parametrize("module", ["crawler.storage.articles", "crawler.storage.deadletters", "crawler.storage.journal",
                                    "crawler.storage.queries",
                                    "crawler.dates.normalise", "crawler.links.urls", "crawler.extract.page"])
def test_data_modules_do_not_import_scrapy(module):
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {name for name in imported if name.split(".")[0] == "scrapy"}


def test_the_check_catches_an_upward_import_inside_a_function(tmp_path):
    storage_like = tmp_path / "storage.py"
    storage_like.write_text("def f():\n    from crawler.pipelines.store import StorePipeline\n")
    (imported,) = crawler_imports(storage_like)
    assert layer_of(imported) > layer_of("crawler.storage.articles")
    assert layer_of("crawler.spiders.site") > layer_of("crawler.reading.listing") > layer_of("crawler.links.urls")
