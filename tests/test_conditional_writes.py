"""The conditional-request middleware's validators, written off the reactor: every page's record
reaches the database by the end of the crawl, with the hash of the body it was served with, and
a database that cannot be reached costs a counted warning, never an exception.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pymongo import MongoClient
from scrapy import Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.links.kinds import Kind
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.spiders.requests import make_request
from crawler.storage.validators import ValidatorStore
from tests.conftest import free_port

SITE = "https://a.example"


def noop(response: Response) -> None:
    return None


def middleware_on(database: Any) -> tuple[Any, ConditionalRequestMiddleware]:
    crawler = get_crawler(Spider)
    crawler.spider = Spider("a.example")
    middleware = ConditionalRequestMiddleware(crawler, ValidatorStore(database))
    middleware.spider_opened()
    return crawler, middleware


def served(middleware: ConditionalRequestMiddleware, kind: Kind, path: str, body: bytes,
           etag: str, **meta: Any) -> None:
    request = make_request(kind, SITE + path, noop, section=None)
    request.meta.update(meta)
    middleware.process_request(request)
    response = HtmlResponse(request.url, body=body, request=request, headers={"ETag": etag})
    assert middleware.process_response(request, response) is response


def test_every_page_is_kept_with_the_hash_of_its_own_body(database):
    crawler, middleware = middleware_on(database)
    bodies = {f"/a/{n}": f"<html><p>article {n}</p></html>".encode() for n in range(120)}
    for path, body in bodies.items():
        served(middleware, Kind.ARTICLE, path, body, f'"e{path}"')
    served(middleware, Kind.LISTING, "/section/", b"<html>listing</html>", '"l1"')
    middleware.finish_writes()
    stored = {d["_id"]: d for d in database["http_validators"].find()}
    assert len(stored) == 121
    for path, body in bodies.items():
        assert stored[SITE + path]["body_sha1"] == hashlib.sha1(body).hexdigest()
        assert stored[SITE + path]["etag"] == f'"e{path}"'
        assert stored[SITE + path]["kind"] == "article"
        assert "_body" not in stored[SITE + path]
    assert stored[f"{SITE}/section/"]["body_sha1"] == hashlib.sha1(b"<html>listing</html>").hexdigest()
    assert crawler.stats.get_value("conditional/saved") == 121


def test_a_refetched_article_with_a_new_etag_for_the_same_body_is_marked_unstable(database):
    body = b"<html><p>unchanged</p></html>"
    crawler, middleware = middleware_on(database)
    served(middleware, Kind.ARTICLE, "/a/1", body, '"v2"', refresh=True,
           stored_validators={"etag": '"v1"', "body_sha1": hashlib.sha1(body).hexdigest()})
    served(middleware, Kind.ARTICLE, "/a/2", b"<html>new text</html>", '"w2"', refresh=True,
           stored_validators={"etag": '"w1"', "body_sha1": hashlib.sha1(body).hexdigest()})
    middleware.finish_writes()
    assert database["http_validators"].find_one({"_id": f"{SITE}/a/1"})["etag_unstable"] is True
    assert database["http_validators"].find_one({"_id": f"{SITE}/a/2"})["etag_unstable"] is False
    assert crawler.stats.get_value("conditional/unstable_etag") == 1


def test_validators_that_cannot_be_written_are_counted_and_the_crawl_goes_on(caplog):
    client: MongoClient[dict[str, Any]] = MongoClient(
        f"mongodb://127.0.0.1:{free_port()}", serverSelectionTimeoutMS=200,
        connectTimeoutMS=200)
    try:
        crawler, middleware = middleware_on(client["nowhere"])
        for n in range(60):  # one batch written during the crawl, the rest at its end
            served(middleware, Kind.ARTICLE, f"/a/{n}", b"<html></html>", f'"e{n}"')
        with caplog.at_level(logging.WARNING, logger="crawler.middlewares.conditional"):
            middleware.finish_writes()
    finally:
        client.close()
    assert crawler.stats.get_value("conditional/save_failed") == 60
    assert crawler.stats.get_value("conditional/saved") is None
    assert sum("could not keep the validators" in r.getMessage() for r in caplog.records) == 2
