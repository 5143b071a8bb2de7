"""Settings behave like Scrapy settings: the environment, `-s` and `custom_settings` give the
same effective value for every setting of the README tables, defaults come from one table
(`crawler.addon.SETTINGS`), and derived settings follow the final values."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.addons import AddonManager
from scrapy.crawler import Crawler
from scrapy.settings import Settings

import crawler.settings as project_settings
from crawler.addon import SETTINGS
from crawler.errors import SettingError

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_settings() -> list[str]:
    """Every setting named in the first column of the README's settings tables."""
    names: list[str] = []
    in_table = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if re.match(r"\| [Ss]etting \|", line):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            in_table = False
        if in_table and not line.startswith("|--") and not line.startswith("|---"):
            first = line.split("|")[1]
            names += [n for n in re.findall(r"`([A-Z][A-Z_]+)`", first) if n not in names]
    return names


NAMES = readme_settings()


def a_value(name: str) -> str:
    """A valid value of `name` other than its default, as an operator would type it."""
    spec = SETTINGS[name]
    if spec.kind is bool:
        return "false" if spec.default else "true"
    if spec.kind is int:
        return str(max(int(spec.minimum), int(spec.default)) + 7)
    if spec.kind is float:
        if spec.maximum is not None:
            return str((spec.default + spec.maximum) / 2)
        return str(max(spec.minimum, spec.default) + 1.5)
    special = {"LOG_LEVEL": "DEBUG", "MONGO_URI": "mongodb://db.example:27017/",
               "REDIS_URL": "redis://127.0.0.1:6379/9", "REFRESH_AGES_HOURS": "2, 12"}
    if spec.pattern:  # a name (database, collection), not a path
        return special.get(name, f"newscrawl_{name.lower()}")
    return special.get(name, f"/tmp/newscrawl-{name.lower()}")


def effective(monkeypatch: pytest.MonkeyPatch, *, env: dict[str, str] | None = None,
              cmdline: dict[str, str] | None = None,
              custom: dict[str, str] | None = None) -> Settings:
    """A crawler's settings as `scrapy crawl` builds them, with the add-on applied."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    for name in SETTINGS:  # reload() keeps the names an earlier environment left behind
        vars(project_settings).pop(name, None)
    module = importlib.reload(project_settings)
    settings = Settings()
    settings.setmodule(module, priority="project")
    settings.setdict(cmdline or {}, priority="cmdline")
    AddonManager.load_pre_crawler_settings(settings)
    spider = type("CustomSpider", (Spider,), {"name": "custom", "custom_settings": custom or {}})
    crawler = Crawler(spider, settings)
    crawler.addons.load_settings(crawler.settings)
    return crawler.settings


@pytest.fixture(autouse=True)
def _restore_settings_module(monkeypatch):
    yield
    monkeypatch.undo()
    for name in SETTINGS:
        vars(project_settings).pop(name, None)
    importlib.reload(project_settings)


def test_the_readme_tables_and_the_defaults_table_name_the_same_settings():
    assert len(NAMES) > 40
    assert sorted(set(NAMES)) == sorted(SETTINGS)


@pytest.mark.parametrize("name", NAMES)
def test_environment_dash_s_and_custom_settings_give_the_same_value(monkeypatch, name):
    value = a_value(name)
    by_env = effective(monkeypatch, env={name: value})
    by_cmdline = effective(monkeypatch, cmdline={name: value})
    by_spider = effective(monkeypatch, custom={name: value})
    default = effective(monkeypatch)
    assert by_env[name] == by_cmdline[name] == by_spider[name]
    assert by_env[name] != default[name]  # the value given was used
    assert dict(by_env) == dict(by_cmdline) == dict(by_spider)  # and so were derived ones



def test_derived_settings_follow_dash_s(monkeypatch):
    settings = effective(monkeypatch, cmdline={"RUN_TIME_LIMIT": "60", "VAR_DIR": "/tmp/nc"})
    assert settings.getint("CLOSESPIDER_TIMEOUT") == 60
    assert settings["DEAD_LETTER_DIR"] == "/tmp/nc/dead-letter"
    assert settings["LOCK_DIR"] == "/tmp/nc/locks"
    assert effective(monkeypatch)["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    distributed = effective(monkeypatch, cmdline={"REDIS_URL": "redis://127.0.0.1:6379/9",
                                                  "CONCURRENT_REQUESTS_PER_DOMAIN": "3"})
    assert distributed["SCHEDULER"] == "crawler.distributed.scheduler.RoundScheduler"
    assert distributed.getint("CONCURRENT_REQUESTS") == 3
    assert distributed.getint("STORE_BATCH_SIZE") == 1
    assert distributed["SCHEDULER_QUEUE_KEY"] == "newscrawl:%(spider)s:requests"
    extensions = {getattr(k, "__name__", k) for k, v in distributed.getdict("EXTENSIONS").items()
                  if v is not None}
    assert any("RoundRunRecorder" in str(k) for k in extensions)
    assert not any(str(k).endswith("runs.RunRecorder") for k in extensions)


def test_an_operator_value_beats_a_derived_one(monkeypatch):
    settings = effective(monkeypatch, env={"REDIS_URL": "redis://127.0.0.1:6379/9",
                                           "CONCURRENT_REQUESTS": "12", "STORE_BATCH_SIZE": "50"},
                         cmdline={"CLOSESPIDER_TIMEOUT": "30"})
    assert settings.getint("CONCURRENT_REQUESTS") == 12
    assert settings.getint("STORE_BATCH_SIZE") == 50
    assert settings.getint("CLOSESPIDER_TIMEOUT") == 30


@pytest.mark.parametrize(("where", "message"), [
    ("env", "newscrawl: bad setting: environment variable RETRY_TIMES='lots': expected an integer"),
    ("cmdline", "newscrawl: bad setting: RETRY_TIMES='lots': expected an integer"),
    ("custom", "newscrawl: bad setting: RETRY_TIMES='lots': expected an integer"),
])
def test_a_malformed_value_stops_with_one_line_wherever_it_was_set(monkeypatch, where, message):
    with pytest.raises(SettingError) as raised:
        effective(monkeypatch, **{where: {"RETRY_TIMES": "lots"}})
    assert str(raised.value) == message


def test_importing_the_settings_module_reads_nothing(monkeypatch, capsys):
    monkeypatch.setenv("RETRY_TIMES", "lots")  # malformed: the add-on's reading would stop
    monkeypatch.setenv("MONGO_URL", "mongodb://db.invalid/")  # misspelt: the add-on would warn
    module = importlib.reload(project_settings)
    assert not hasattr(module, "RETRY_TIMES")
    assert capsys.readouterr().err == ""
    with pytest.raises(SettingError, match="environment variable RETRY_TIMES='lots'"):
        AddonManager.load_pre_crawler_settings(Settings({"ADDONS": module.ADDONS}))
