"""Under Scrapyd: `scrapyd-deploy` of this project, then a crawl scheduled through the HTTP API.

A real `scrapyd` (pinned in the dev extras) runs on 127.0.0.1 on a free port, with its own
configuration and directories in a temporary folder. The project is deployed with the real
`scrapyd-deploy` from a copy of its files (so the build leaves nothing in the worktree), the
fixture site's crawl is scheduled with `schedule.json` (database, catalogue and private-address
switch passed as `setting=NAME=VALUE`, as an operator would; the catalogue file is in Scrapyd's
environment, where Scrapyd looks up spider names), `listjobs.json` is polled until the
job finishes, and the articles are looked for in the database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import DEMO_CATALOGUE, FIXTURES, ROOT, free_port

pytestmark = pytest.mark.slow

EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())
BIN = Path(sys.executable).parent
# Files a deployment is built from: the package and the build configuration.
PROJECT_FILES = ("crawler", "pyproject.toml", "setup.py", "scrapy.cfg", "README.md")


class Scrapyd:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        (root / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {root / 'eggs'}\n"
            f"logs_dir = {root / 'logs'}\n"
            f"dbs_dir = {root / 'dbs'}\n"
            "items_dir =\n"
            "poll_interval = 0.2\n"
            "max_proc = 1\n"
        )
        self.log = (root / "scrapyd.out").open("wb")
        # cwd = the folder with scrapyd.conf, and outside the project: the crawl must run from
        # the deployed egg, not from the checkout.
        self.process = subprocess.Popen([str(BIN / "scrapyd"), "--pidfile="], cwd=root, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}{endpoint}?{urlencode(params)}", timeout=10) as r:
            return dict(json.load(r))

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
        request = urllib.request.Request(self.url + endpoint, data=urlencode(fields).encode())
        with urllib.request.urlopen(request, timeout=10) as r:
            return dict(json.load(r))

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.get("daemonstatus.json").get("status") == "ok":
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise AssertionError(f"scrapyd did not start: {self.output()[-2000:]}")

    def output(self) -> str:
        self.log.flush()
        return (self.root / "scrapyd.out").read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture
def scrapyd(tmp_path: Path, fixture_site: Any) -> Iterator[Scrapyd]:
    """Scrapyd with the fixture site's catalogue in its environment: Scrapyd checks the spider
    name at `schedule.json` time, with its own environment, not the job's settings."""
    root = tmp_path / "scrapyd"
    root.mkdir()
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(DEMO_CATALOGUE.read_text().replace("BASE_URL", fixture_site.base_url))
    server = Scrapyd(root, {**os.environ, "SITES_FILE": str(sites_file)})
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def copy_project(tmp_path: Path) -> Path:
    """The files a deployment is built from, copied: the build writes beside them."""
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, project / name)
    return project


def test_scrapyd_deploy_builds_an_egg_with_the_catalogue_schema_and_demo_site(tmp_path):
    egg = tmp_path / "newscrawl.egg"

    built = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)],
                           cwd=copy_project(tmp_path), capture_output=True, text=True, timeout=120)

    assert built.returncode == 0, built.stderr[-2000:]
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert {"crawler/catalogue/sites.toml", "crawler/storage/schema/article.schema.json",
            "crawler/demo_site.toml",
            "crawler/demo_site/index.html", "crawler/settings.py"} <= names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    assert "[scrapy]\nsettings = crawler.settings" in entry_points


def test_crawl_scheduled_through_scrapyd_stores_the_fixture_articles(
        scrapyd, fixture_site, mongo_uri, database_name, database, tmp_path):
    project = copy_project(tmp_path)
    with (project / "scrapy.cfg").open("a") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd.url}\nproject = newscrawl\n")
    deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "test", "--version", "r1"],
                              cwd=project, capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stderr[-2000:]
    assert '"status": "ok"' in deployed.stdout + deployed.stderr, deployed.stderr[-2000:]
    spiders = scrapyd.get("listspiders.json", project="newscrawl")["spiders"]
    # the built-in catalogue came in the egg, the fixture site from SITES_FILE
    assert {"softonic_fr", "news", "fixture_fr"} <= set(spiders)

    job = scrapyd.post("schedule.json", [
        ("project", "newscrawl"), ("spider", "fixture_fr"),
        ("setting", f"MONGO_URI={mongo_uri}"), ("setting", f"MONGO_DATABASE={database_name}"),
        ("setting", "ALLOW_PRIVATE_ADDRESSES=true"),
        ("setting", "AUTOTHROTTLE_ENABLED=false"), ("setting", f"VAR_DIR={tmp_path / 'var'}"),
    ])
    assert job.get("status") == "ok", job
    deadline = time.monotonic() + 120
    finished: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not finished:
        jobs = scrapyd.get("listjobs.json", project="newscrawl")
        finished = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
        time.sleep(0.3)
    log_file = scrapyd.root / "logs" / "newscrawl" / "fixture_fr" / f"{job['jobid']}.log"
    log = log_file.read_text(errors="replace") if log_file.exists() else scrapyd.output()

    assert finished, f"the job did not finish in time: {log[-3000:]}"
    assert log_file.exists(), scrapyd.output()[-3000:]  # Scrapyd's runner ran and logged it
    stored = {d["url"] for d in database["articles"].find({}, {"url": 1})}
    assert len(stored) == len(EXPECTED["articles"]), log[-3000:]
    assert all(url.startswith(fixture_site.base_url) for url in stored)
    run = database["crawl_runs"].find_one({"spider": "fixture_fr"})
    assert run is not None and run["status"] == "ok", log[-3000:]
