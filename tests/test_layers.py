"""Imports go one way, package by package (docs/architecture.md).

`ALLOWED` lists each package (or top-level module) of `crawler/` and the packages it may import,
functions included. A new package has to be given its place here; a new import between packages
has to be allowed here, which is where a reviewer sees it. The allowed graph itself has no
circle, and neither has the graph of modules.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crawler"

_LEAVES = frozenset({"errors", "items", "logs", "scrapy_compat", "devserver", "health"})
ALLOWED: dict[str, frozenset[str]] = {
    # leaves: exceptions, the item, log helpers, Scrapy internals, the fixture server
    **{leaf: frozenset() for leaf in _LEAVES},
    "addon": frozenset({"errors"}),
    "settings": frozenset({"addon", "errors"}),
    "locks": frozenset({"errors"}),
    # domain: no crawl, no database
    "links": frozenset({"errors", "logs"}),
    "dates": frozenset({"errors"}),
    "catalogue": frozenset({"errors", "links"}),
    "sources": frozenset({"errors", "dates", "links"}),
    "extract": frozenset({"dates", "errors", "links", "logs"}),
    "reading": frozenset({"catalogue", "dates", "errors", "extract", "items", "links", "logs"}),
    # storage: pymongo and files, no Scrapy
    "storage": frozenset({"errors", "links", "logs"}),
    # the WARC archive: files, no Scrapy, no database
    "archive": frozenset({"errors", "logs"}),
    # crawl components
    "extensions": frozenset({"archive", "errors", "health", "links", "logs", "storage"}),
    "distributed": frozenset({"errors", "extensions", "health", "links", "logs", "scrapy_compat",
                              "storage"}),
    "middlewares": frozenset({"errors", "extensions", "links", "logs", "scrapy_compat", "storage"}),
    "pipelines": frozenset({"dates", "errors", "extensions", "health", "items", "links", "logs",
                            "storage"}),
    "spiders": frozenset({"addon", "catalogue", "dates", "errors", "items", "links", "logs", "reading",
                          "scrapy_compat", "sources"}),
    # entry points
    "cli": frozenset({"addon", "archive", "catalogue", "dates", "devserver", "distributed", "errors",
                      "extensions", "extract", "health", "items", "links", "locks", "logs", "pipelines",
                      "reading",
                      "scrapy_compat", "sources", "spiders", "storage"}),
    "commands": frozenset({"cli", "errors", "extensions", "scrapy_compat", "spiders"}),
}
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The package (or top-level module) a module belongs to: `crawler.storage.runs` -> storage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def crawler_imports(path: Path) -> set[str]:
    """Every `crawler...` module imported anywhere in the file, functions included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "crawler":
                found.update(f"crawler.{alias.name}" for alias in node.names)
            elif node.module.startswith("crawler."):
                known = {module_name(p) for p in MODULES}
                found.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known
                             else node.module for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("crawler."))
    return found


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_every_import_between_packages_is_allowed(path):
    module = module_name(path)
    unit = unit_of(module)
    if not unit:
        return  # crawler/__init__.py
    assert unit in ALLOWED, f"{module}: package {unit!r} has no place in ALLOWED (and docs/architecture.md)"
    refused = sorted(name for name in crawler_imports(path)
                     if unit_of(name) not in {unit, ""} and unit_of(name) not in ALLOWED[unit])
    assert not refused, f"{module} ({unit}) imports from packages it may not use: {refused}"


def test_the_allowed_graph_has_no_circle():
    try:
        order = list(TopologicalSorter(ALLOWED).static_order())
    except CycleError as exc:
        pytest.fail(f"a circle between packages: {exc.args[1]}")
    assert set(order) >= set(ALLOWED)


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    known = {module_name(p) for p in MODULES}
    graph = {}
    for path in MODULES:
        module = module_name(path)
        targets = set()
        for name in crawler_imports(path):
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name not in {module, "crawler"}:
                targets.add(name)
        graph[module] = targets
    return graph


def test_no_import_circle_between_modules():
    assert module_cycles(import_graph()) == []


def test_the_circle_check_finds_a_circle():
    assert module_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_the_settings_module():
    importers = [module_name(p) for p in MODULES if "crawler.settings" in crawler_imports(p)]
    assert importers == []


@pytest.mark.parametrize("package", ["storage", "dates", "links", "extract"])
def test_data_packages_do_not_import_scrapy(package):
    """`links.heuristics` reads Scrapy's list of non-page file extensions, a constant."""
    for path in (PACKAGE / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        scrapy = {name for name in imported if name.split(".")[0] == "scrapy"}
        if module_name(path) == "crawler.links.heuristics":
            scrapy -= {"scrapy.linkextractors"}
        assert not scrapy, f"{module_name(path)} imports {scrapy}"


def test_the_check_catches_an_upward_import_inside_a_function(tmp_path):
    storage_like = tmp_path / "storage.py"
    storage_like.write_text("def f():\n    from crawler.pipelines.store import StorePipeline\n")
    (imported,) = crawler_imports(storage_like)
    assert unit_of(imported) not in ALLOWED["storage"]


def crawler_setattrs(path: Path) -> list[str]:
    """`setattr(<...>crawler, ...)` calls: a component hung on the crawler instead of owned."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                and node.args and ast.unparse(node.args[0]).split(".")[-1] == "crawler"):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_component_is_hung_on_the_crawler():
    """One way to reach a crawl component: `crawler.get_extension(...)` (`DatabaseOwner.of`,
    `ReadPool.of`, `ParamLearning.of`) or a typed attribute of its owner."""
    assert [where for path in MODULES for where in crawler_setattrs(path)] == []


def test_the_setattr_check_finds_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(self):\n    setattr(self.crawler, 'x', 1)\n    setattr(other, 'y', 2)\n")
    assert len(crawler_setattrs(sample)) == 1


MAX_LINES = 450
LONGER_ALLOWED = {"crawler.dates.normalise", "crawler.extract.page"}


def test_no_module_is_over_450_lines():
    long = {module_name(path): n for path in MODULES
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert sorted(set(long) - LONGER_ALLOWED) == [], long
