"""The Scrapy internals crawler/scrapy_compat.py wraps are still there: fails loudly on an upgrade."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crawler import scrapy_compat

PACKAGE = Path(__file__).resolve().parent.parent / "crawler"


def test_the_scrapy_internals_we_use_still_exist():
    scrapy_compat.verify()


def test_verify_names_a_missing_internal(monkeypatch):
    from scrapy_redis.queue import Base

    monkeypatch.delattr(Base, "_decode_request")
    with pytest.raises(RuntimeError, match=r"Base\._decode_request"):
        scrapy_compat.verify()


def _private_names_defined_here() -> set[str]:
    """Private attributes newscrawl's own classes define (assigned or declared)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "scrapy_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
    return {name for name in names if name.startswith("_")}


def _private_attributes(path: Path) -> list[str]:
    """`x._name` reads, and `getattr(x, "_name")`, of non-dunder private names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = None
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            name = node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant)):
            name = str(node.args[1].value)
        if name and name.startswith("_") and not name.endswith("__"):
            found.append((name, f"{path.name}:{node.lineno}"))
    return found


# lxml's documented element type is spelled etree._Element
PUBLIC_DESPITE_THE_UNDERSCORE = {"_Element"}


def test_no_private_attribute_of_a_library_outside_the_wrapper():
    ours = _private_names_defined_here() | PUBLIC_DESPITE_THE_UNDERSCORE
    offenders = [where + " ." + name
                 for path in sorted(PACKAGE.rglob("*.py")) if path.name != "scrapy_compat.py"
                 for name, where in _private_attributes(path) if name not in ours]
    assert offenders == []


def test_the_check_sees_a_private_scrapy_attribute(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(crawler):\n    return getattr(crawler.engine, '_slot', None)\n")
    assert [name for name, _ in _private_attributes(sample)] == ["_slot"]
    assert "_slot" not in _private_names_defined_here()
