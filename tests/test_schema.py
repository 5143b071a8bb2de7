"""The article contract: the JSON Schema, the collection validator, safe keys, docs/schema.md."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest
from bson import ObjectId

from crawler.storage.articles import ArticleStore
from crawler.storage.documents import SCHEMA_VERSION
from crawler.storage.schema import article_schema, mongo_validator
from tests.conftest import FIXTURES, ROOT

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())


def _is_utc(value: Any) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() == dt.timedelta(0)


_BSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "date": _is_utc,
    "objectId": lambda v: isinstance(v, ObjectId),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -2**31 <= v < 2**31,
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, float),
    "bool": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, Mapping),
}


def _bson_type(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[Any]:
    wanted = [types] if isinstance(types, str) else types
    if not any(_BSON_TYPES[t](instance) for t in wanted):
        yield jsonschema.ValidationError(f"{instance!r} is not of BSON type {wanted}")


# Draft 4 (MongoDB's dialect) plus `bsonType`, checked against what pymongo returns.
BsonValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {"bsonType": _bson_type})


def schema_errors(document: Mapping[str, Any]) -> list[str]:
    validator = BsonValidator(article_schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
            for e in validator.iter_errors(document)]


def article(url: str, **fields: Any) -> dict[str, Any]:
    """An item as the pipelines hand it to the store."""
    document = {
        "url": url, "fetched_url": url, "canonical_url": url, "source": "site_a",
        "title": "Un titre", "subtitle": "Un chapeau", "authors": ["Claire Martin"],
        "published_raw": {"text": "2024-03-01T09:00:00+01:00", "where": "jsonld"},
        "updated_raw": None,
        "published_at": dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC), "updated_at": None,
        "date_source": {"published": "jsonld/iso-offset", "updated": None},
        "section": "actualites", "crawl_section": "actualites", "tags": ["IA"],
        "language": "fr", "body": "Premier paragraphe.\n\nSecond paragraphe.",
        "image_url": None, "fetched_at": NOW, "content_hash": "0" * 32,
    }
    document.update(fields)
    return document


def test_schema_file_is_a_valid_draft4_schema_in_mongodb_dialect():
    schema = article_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    converted = json.dumps(mongo_validator())
    assert "$ref" not in converted and "$schema" not in converted and "definitions" not in converted
    assert set(schema["required"]) <= set(schema["properties"])
    assert "_id" in schema["properties"]  # additionalProperties: false needs it on MongoDB


def test_validator_rejects_what_the_contract_forbids():
    stored = {**article("https://a.example/1"), "_id": "https://a.example/1", "text_language": "french",
              "first_seen_at": NOW, "last_seen_at": NOW, "changed_at": NOW, "run_id": "r",
              "schema_version": 1, "revision": 1}
    assert schema_errors(stored) == []
    assert schema_errors({**stored, "authors": "Claire Martin"})
    assert schema_errors({**stored, "published_at": "2024-03-01T08:00:00Z"})
    assert schema_errors({**stored, "published_at": dt.datetime(2024, 3, 1, 8)})  # noqa: DTZ001  (naive on purpose)
    assert schema_errors({**stored, "undocumented": 1})
    assert schema_errors({k: v for k, v in stored.items() if k != "first_seen_at"})


def test_documents_written_by_the_store_match_the_schema(database):
    store = ArticleStore(database)
    store.ensure_indexes()
    store.ensure_schema()
    minimal = {"url": "https://a.example/2", "source": "site_a", "title": "Court",
               "body": "Texte.", "content_hash": "1" * 32}
    store.upsert_many([article("https://a.example/1"), minimal,
                       article("https://a.example/3", language="ja", authors=None, tags=None)],
                      run_id="run-1", now=NOW)
    store.upsert_many([article("https://a.example/1", title="Titre revu", content_hash="2" * 32)],
                      run_id="run-2", now=NOW + dt.timedelta(hours=1))

    documents = list(database["articles"].find())
    assert len(documents) == 3
    for document in documents:
        assert schema_errors(document) == [], document["url"]
        assert document["schema_version"] == SCHEMA_VERSION
    by_url = {d["url"]: d for d in documents}
    assert by_url["https://a.example/2"]["authors"] == []
    assert by_url["https://a.example/2"]["published_at"] is None
    assert by_url["https://a.example/3"]["text_language"] == "none"
    revised = by_url["https://a.example/1"]
    assert revised["text_language"] == "french" and revised["revision"] == 2
    assert revised["first_seen_at"] < revised["changed_at"] == revised["last_seen_at"]


@pytest.mark.mongo  # nx-27017 keeps no validator: the validator half skips, saying why
def test_ensure_schema_twice_is_harmless_and_sets_the_validator_where_supported(database):
    store = ArticleStore(database)
    store.ensure_schema()  # the collection does not exist yet
    store.ensure_schema()
    info = database.command("listCollections", filter={"name": "articles"})
    options = info["cursor"]["firstBatch"][0].get("options", {})
    if "validator" not in options:
        pytest.skip("this server accepts collMod but keeps no validator (nx-27017)")
    assert options["validator"] == {"$jsonSchema": mongo_validator()}
    assert options["validationLevel"] == "moderate"


def _keys(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{path}{key}"
            yield from _keys(item, f"{path}{key}/")
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, path)


def test_page_content_never_becomes_a_field_name_or_an_operator(database):
    hostile = article(
        "https://a.example/evil",
        published_raw={"text": "2024-03-01", "where": "jsonld", "$where": "sleep(1000)"},
        date_source={"published": "jsonld/iso-date-local-tz", "updated": None,
                     "a.b": {"$gt": ""}},
        tags=["IA", {"$ne": None, "ok": "kept"}],
        **{"$set": {"title": "pwned"}, "x.y": 1},
    )
    ArticleStore(database).upsert_many([hostile], run_id="r", now=NOW)

    stored = database["articles"].find_one({"url": "https://a.example/evil"}, {"_id": 0})
    keys = list(_keys(stored))
    assert not [k for k in keys if k.rsplit("/", 1)[-1].startswith("$") or "." in k], keys
    assert stored["title"] == "Un titre"
    assert stored["published_raw"] == {"text": "2024-03-01", "where": "jsonld"}
    assert stored["tags"] == ["IA", {"ok": "kept"}]


def test_schema_md_documents_every_field():
    text = (ROOT / "docs" / "schema.md").read_text()
    schema = article_schema()
    for name in schema["properties"]:
        assert f"`{name}`" in text, f"docs/schema.md does not document {name}"
    assert re.search(rf"schema_version.*\b{SCHEMA_VERSION}\b", text)
    assert "## Changelog" in text


@pytest.mark.slow
def test_every_document_the_fixture_crawl_stores_matches_the_schema(fixture_site, run_scrapy,
                                                                    database):
    result = run_scrapy("crawl", "fixture_fr", site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    documents = list(database["articles"].find())
    assert len(documents) == len(EXPECTED["articles"])
    for document in documents:
        assert schema_errors(document) == [], document["url"]
        assert document["text_language"] == "french"
