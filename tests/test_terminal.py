"""What `newscrawl crawl` prints on a terminal (issue 26): the live progress line, one line per
site, the log file's path and the verdict; Scrapy's log is in that file, or on the terminal with -v.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_CATALOGUE, ROOT, crawl_env

# Hosts that cannot resolve (RFC 2606 .invalid), so no test reaches a real site.
UNREACHABLE = ("gone_a", "gone_b", "gone_c")


def catalogue(path: Path, base_url: str) -> Path:
    entry = DEMO_CATALOGUE.read_text()
    parts = [entry.replace("BASE_URL", base_url)]
    for key in UNREACHABLE:
        host = f"{key.replace('_', '-')}.newscrawl-test.invalid"
        parts.append(entry.replace("fixture_fr", key).replace("BASE_URL", f"http://{host}")
                     .replace('domains = ["127.0.0.1"]', f'domains = ["{host}"]'))
    path.write_text("\n".join(parts))
    return path


def on_terminal(args: list[str], env: dict[str, str], timeout: float = 180) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as stdout and stderr; its return code and output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env,
                            cwd=ROOT)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
    os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def visible_lines(output: str) -> list[str]:
    """The lines left on the screen: the progress line is rewritten in place (\\r, erase line)."""
    lines = (segment.split("\r\x1b[K")[-1].strip("\r") for segment in output.split("\n"))
    return [line for line in lines if line.strip()]


@pytest.mark.slow
def test_on_a_terminal_a_crawl_prints_one_line_per_site_and_logs_to_a_file(
        fixture_site, mongo_uri, database_name, database, tmp_path):
    env = crawl_env(mongo_uri, database_name, tmp_path, fixture_site)
    env["SITES_FILE"] = str(catalogue(tmp_path / "sites.toml", fixture_site.base_url))
    env["RETRY_TIMES"] = "0"
    code, output = on_terminal([sys.executable, "-m", "crawler.cli.main", "crawl", "fixture_fr",
                                *UNREACHABLE], env)
    assert code == 1, output[-3000:]
    lines = visible_lines(output)
    sites = ["fixture_fr", *UNREACHABLE]
    assert len(lines) == len(sites) + 2, lines  # a line per site, the log's path, the verdict
    assert sorted(line.split(":")[0] for line in lines[:-2]) == sorted(sites)
    assert next(line for line in lines if line.startswith("fixture_fr:")).startswith("fixture_fr: ok")
    assert lines[-1] == "FAILED: 3 of 4 sites: " + ", ".join(
        s for s in sites if s != "fixture_fr" and s in lines[-1]) + " (their lines above say why)"
    log = Path(re.fullmatch(r"log: (\S+)", lines[-2]).group(1))
    assert log.parent == tmp_path / "var" / "logs"
    text = log.read_text()
    assert text.count("Dumping Scrapy stats") == len(sites)
    assert "DNS lookup failed" in text and "Dumping Scrapy stats" not in output


@pytest.mark.slow
def test_with_v_the_log_is_on_the_terminal(fixture_site, mongo_uri, database_name, database, tmp_path):
    env = crawl_env(mongo_uri, database_name, tmp_path, fixture_site, {"LOG_LEVEL": "INFO"})
    code, output = on_terminal([sys.executable, "-m", "crawler.cli.main", "crawl", "-v",
                                "fixture_fr"], env)
    assert code == 0, output[-3000:]
    assert "Dumping Scrapy stats" in output
    assert "log: " not in output and not (tmp_path / "var" / "logs").exists()


def test_old_crawl_logs_are_pruned(tmp_path):
    from crawler.cli.crawl import crawl_log

    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(5):
        (logs / f"crawl-2026010{n}-000000-1.log").write_text("x")
    new = crawl_log(tmp_path, keep=3)
    assert sorted(p.name for p in logs.iterdir()) == [
        "crawl-20260103-000000-1.log", "crawl-20260104-000000-1.log"]
    assert new.parent == logs and new.name.startswith("crawl-")


