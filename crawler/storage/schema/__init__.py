"""The article document's contract: `article.schema.json`, and its MongoDB validator form.

The JSON file is the one source of truth (docs/schema.md says the same in prose). It is written in
MongoDB's `$jsonSchema` dialect (draft 4, `bsonType`) so that the collection validator and the
tests read the same rules; `mongo_validator()` removes what MongoDB refuses (`$schema`, `$id`,
`definitions`) and inlines the local `$ref`s.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

__all__ = ["article_schema", "mongo_validator"]

# Keywords MongoDB's $jsonSchema accepts; any other keyword makes collMod fail.
_MONGO_KEYWORDS = frozenset({
    "additionalItems", "additionalProperties", "allOf", "anyOf", "bsonType", "dependencies",
    "description", "enum", "exclusiveMaximum", "exclusiveMinimum", "items", "maximum", "maxItems",
    "maxLength", "maxProperties", "minimum", "minItems", "minLength", "minProperties",
    "multipleOf", "not", "oneOf", "pattern", "patternProperties", "properties", "required",
    "title", "type", "uniqueItems",
})
_SCHEMA_MAPS = ("properties", "patternProperties", "dependencies")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = ("not", "additionalProperties", "additionalItems", "items")


@functools.cache
def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("article.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def article_schema() -> dict[str, Any]:
    """The article JSON Schema as stored in the repository (a fresh copy)."""
    return copy.deepcopy(_load())


def mongo_validator(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema as a `$jsonSchema` MongoDB accepts: local `$ref`s inlined, unknown keys dropped.

    >>> mongo_validator({"$schema": "x", "definitions": {"d": {"bsonType": "date"}},
    ...                  "properties": {"a": {"$ref": "#/definitions/d", "examples": [1]}}})
    {'properties': {'a': {'bsonType': 'date'}}}
    """
    root = schema if schema is not None else _load()
    return _convert(root, root)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported: {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return _resolve(target, root)


def _convert(node: Any, root: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node  # booleans of additionalProperties, lists of required, ...
    node = _resolve(node, root)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _MONGO_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _convert(sub, root) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_convert(sub, root) for sub in value]
        elif key in _SCHEMA_VALUES:
            out[key] = ([_convert(sub, root) for sub in value] if isinstance(value, list)
                        else _convert(value, root))
        else:
            out[key] = value
    return out
