"""Serve the per-site fixtures (tests/fixtures/sites/<key>/) on 127.0.0.1 under their real paths.

`LocalSite` copies one fixture to a temporary folder with the site's hosts rewritten to the local
server (gzip files too), and gives the catalogue entry rewritten the same way, as a TOML table to
merge over the built-in catalogue through SITES_FILE.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.catalogue.sites import BUILTIN_CATALOGUE, load_catalogue
from crawler.devserver import StaticSite

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"


def catalogue_keys() -> list[str]:
    return sorted(load_catalogue())


def host_pattern(domains: list[str]) -> re.Pattern[str]:
    """Absolute URLs on one of the domains or their subdomains (scheme and host only)."""
    alternatives = "|".join(re.escape(d) for d in domains)
    return re.compile(rf"https?://(?:[\w-]+\.)*(?:{alternatives})(?![\w.-])")


def raw_entry(key: str) -> dict[str, Any]:
    """The entry's TOML table with its profile merged in, as written in sites.toml."""
    document = tomllib.loads(BUILTIN_CATALOGUE.read_text(encoding="utf-8"))
    table = dict(document["sites"][key])
    profile = table.pop("profile", None)
    merged = dict(document.get("profiles", {}).get(profile, {})) if profile else {}
    merged.update(table)
    return merged


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


@dataclass
class LocalSite:
    key: str
    server: StaticSite
    expected: dict[str, Any]
    toml: str

    @classmethod
    def start(cls, key: str, tmp: Path) -> LocalSite:
        site = load_catalogue()[key]
        root = tmp / key
        shutil.copytree(SITES / key, root)
        server = StaticSite(root).start()
        pattern = host_pattern(list(site.domains))
        for file in root.rglob("*"):
            if not file.is_file():
                continue
            data = file.read_bytes()
            zipped = data.startswith(b"\x1f\x8b")
            text = (gzip.decompress(data) if zipped else data).decode("utf-8")
            text = pattern.sub(server.base_url, text)
            out = text.encode("utf-8")
            file.write_bytes(gzip.compress(out, mtime=0) if zipped else out)
        entry = raw_entry(key)

        def rewrite(value: Any) -> Any:
            if isinstance(value, str):
                return pattern.sub(server.base_url, value)
            if isinstance(value, list):
                return [rewrite(v) for v in value]
            if isinstance(value, dict):
                return {k: rewrite(v) for k, v in value.items()}
            return value

        entry = {k: rewrite(v) for k, v in entry.items()}
        entry["domains"] = ["127.0.0.1"]
        if "home" in entry:
            entry["home"] = server.base_url + "/"
        lines = [f"[sites.{key}]"] + [f"{k} = {toml_value(v)}" for k, v in entry.items()]
        expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
        return cls(key, server, expected, "\n".join(lines) + "\n")
