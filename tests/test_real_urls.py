"""Every catalogue entry against real URLs taken from public evidence (tests/fixtures/real_urls.toml).

The per-site fixtures were written from the same guesses as the entries and cannot find a wrong
entry; these URLs come from robots.txt copies, extraction rules and scrapers of the real sites,
so a pattern that does not fit the real site fails here.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler.catalogue.sites import classify_url, load_catalogue
from crawler.links.kinds import Kind
from tests.conftest import ROOT

REAL_URLS = tomllib.loads((Path(__file__).parent / "fixtures" / "real_urls.toml").read_text())
CATALOGUE = load_catalogue()
# entries with less public evidence than five URLs (docs/sites.md, "Per entry and key")
THIN_EVIDENCE = {"softonic_de", "softonic_it", "softonic_pt_br"}


def test_every_entry_has_real_urls():
    assert sorted(REAL_URLS) == sorted(CATALOGUE)
    for key, rows in REAL_URLS.items():
        assert all(row["source"].strip() for row in rows), key
        if key not in THIN_EVIDENCE:
            assert len(rows) >= 5, key


@pytest.mark.parametrize("key", sorted(REAL_URLS))
def test_entry_classifies_every_real_url_right(key):
    site = CATALOGUE[key]
    wrong = []
    for row in REAL_URLS[key]:
        got = classify_url(site, row["url"])
        if got.role is not Kind(row["role"]):
            wrong.append(f"{row['url']}: expected {row['role']}, got {got.role.value} ({got.rule})")
    assert not wrong, "\n".join(wrong)


def test_classify_command_prints_one_line_per_url_with_the_rule():
    urls = [row["url"] for row in REAL_URLS["clubic"]]
    proc = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites", "--classify", "clubic",
                           *urls], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(urls)
    for line, row in zip(lines, REAL_URLS["clubic"], strict=True):
        role, url, rule = line.split("\t")
        assert (role, url) == (row["role"], row["url"]) and rule
    assert "next_page_patterns[0] '/page_\\\\d+\\\\.html$'" in proc.stdout


def test_classify_command_refuses_an_unknown_site():
    proc = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites", "--classify", "nope",
                           "https://example.org/"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "unknown site(s) nope" in proc.stderr
