"""Each pipeline's decisions and the stats it writes; the store against the real database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from crawler.catalogue.sites import load_catalogue
from crawler.extensions.database import DatabaseOwner
from crawler.items import ArticleItem
from crawler.pipelines.dedupe import DedupePipeline
from crawler.pipelines.store import StorePipeline
from crawler.pipelines.validate import ValidatePipeline
from crawler.spiders.loader import spider_class_for
from crawler.storage.articles import ArticleStore

ADDON = {"crawler.addon.NewscrawlAddon": 0}
OWNER = {"crawler.extensions.database.DatabaseOwner": 0}
FETCHED = dt.datetime(2023, 11, 22, 15, 0, tzinfo=dt.UTC)


def article(**fields):
    base = dict(url="https://fr.softonic.com/articles/a", fetched_url="https://fr.softonic.com/articles/a",
                title="Titre", body="Corps du texte.", language="fr", fetched_at=FETCHED,
                authors=[], tags=[], published_raw=None, updated_raw=None, source="softonic_fr")
    base.update(fields)
    return ArticleItem(**base)


@pytest.fixture
def crawler():
    spider_class = spider_class_for(load_catalogue()["softonic_fr"])
    crawler = get_crawler(spider_class)
    crawler.spider = spider_class.from_crawler(crawler)
    return crawler


@pytest.mark.parametrize("missing", ["url", "title", "body"])
def test_validate_drops_an_item_without_a_required_field_and_counts_it(crawler, missing):
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=f"no {missing}"):
        pipeline.process_item(article(**{missing: "  "}))
    assert crawler.stats.get_value(f"validate/dropped/no_{missing}") == 1
    assert pipeline.process_item(article())["title"] == "Titre"
    assert crawler.stats.get_value("validate/ok") == 1


def test_dedupe_keys_by_canonical_url_and_drops_the_second(crawler):
    pipeline = DedupePipeline.from_crawler(crawler)
    first = pipeline.process_item(article(
        url="https://fr.softonic.com/articles/a?utm_source=x",
        fetched_url="https://fr.softonic.com/articles/a?utm_source=x",
        canonical_url="https://fr.softonic.com/articles/a#top"))
    assert first["url"] == "https://fr.softonic.com/articles/a"
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(article(url="https://FR.softonic.com/articles/a#comments",
                                      fetched_url="https://FR.softonic.com/articles/a#comments"))
    assert crawler.stats.get_value("dedupe/dropped/duplicate") == 1


def test_dedupe_ignores_an_off_site_canonical(crawler):
    pipeline = DedupePipeline.from_crawler(crawler)
    item = pipeline.process_item(article(canonical_url="https://cdn.example.org/copy"))
    assert item["url"] == "https://fr.softonic.com/articles/a"


def test_store_writes_once_per_url_and_counts_new_updated_unchanged(database, mongo_uri, tmp_path):
    crawler = get_crawler(settings_dict={"MONGO_URI": mongo_uri, "MONGO_DATABASE": database.name,
                                         "STORE_BATCH_SIZE": 2, "ADDONS": ADDON, "EXTENSIONS": OWNER,
                                         "VAR_DIR": str(tmp_path)})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()

    def process(**fields):
        return asyncio.run(pipeline.process_item(article(**fields)))

    for url in ("https://h.fr/1", "https://h.fr/2", "https://h.fr/3"):
        process(url=url, fetched_url=url)
    assert database["articles"].count_documents({}) == 2  # one batch of two flushed
    asyncio.run(pipeline.close_spider())
    assert database["articles"].count_documents({}) == 3
    assert crawler.stats.get_value("store/inserted") == 3
    assert list((tmp_path / "journal").iterdir()) == []  # all written: the journal is deleted

    pipeline.open_spider()
    process(url="https://h.fr/1", fetched_url="https://h.fr/1")
    process(url="https://h.fr/2", fetched_url="https://h.fr/2", body="Autre.")
    asyncio.run(pipeline.close_spider())
    assert crawler.stats.get_value("store/unchanged") == 1
    assert crawler.stats.get_value("store/updated") == 1
    # field health counts the new articles only (crawler/health/fields.py)
    assert crawler.stats.get_value("health/articles") == 3
    assert crawler.stats.get_value("health/present/title") == 3
    docs = {d["url"]: d for d in ArticleStore(database).find({})}
    assert len(docs) == 3
    assert docs["https://h.fr/2"]["revision"] == 2 and docs["https://h.fr/1"]["revision"] == 1
    assert isinstance(docs["https://h.fr/1"]["first_seen_at"], dt.datetime)
    assert docs["https://h.fr/1"]["first_seen_at"].utcoffset() == dt.timedelta(0)
    assert isinstance(docs["https://h.fr/2"]["last_seen_at"], dt.datetime)
    assert "timezone_hint" not in docs["https://h.fr/1"]
    assert docs["https://h.fr/1"]["_id"] == "https://h.fr/1"
    crawler.get_extension(DatabaseOwner).engine_stopped()  # the end of the crawl closes the client


def test_a_listing_link_to_an_article_stored_under_its_canonical_url_is_known(database):
    store = ArticleStore(database)
    store.ensure_indexes()
    now = dt.datetime.now(dt.UTC)
    store.upsert_many([{"url": "https://h.fr/a", "fetched_url": "https://h.fr/a-amp",
                        "title": "t", "body": "b", "content_hash": "x"}], run_id="r", now=now)
    known = store.known(["https://h.fr/a-amp", "https://h.fr/a", "https://h.fr/other"])
    assert set(known) == {"https://h.fr/a-amp", "https://h.fr/a"}
    assert known["https://h.fr/a-amp"]["url"] == "https://h.fr/a"


def test_the_store_gets_its_database_from_the_owner_and_is_off_without_one(database, mongo_uri):
    crawler = get_crawler(settings_dict={"MONGO_URI": mongo_uri, "MONGO_DATABASE": database.name,
                                         "ADDONS": ADDON})
    with pytest.raises(NotConfigured, match="DatabaseOwner"):
        StorePipeline.from_crawler(crawler)
    crawler = get_crawler(settings_dict={"MONGO_URI": mongo_uri, "MONGO_DATABASE": database.name,
                                         "ADDONS": ADDON, "EXTENSIONS": OWNER})
    owner = crawler.get_extension(DatabaseOwner)
    assert owner is not None
    assert StorePipeline.from_crawler(crawler).articles is owner.articles
    # the owner created the indexes at start
    indexes = database["articles"].index_information().values()
    assert any(index["key"] == [("url", 1)] and index.get("unique") for index in indexes)
    owner.engine_stopped()
    assert owner.database is None
