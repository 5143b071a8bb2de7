"""`newscrawl history URL`: every kept version of an article, oldest first, and what changed.

The superseded versions come from the revisions collection (`crawler.storage.revisions`), the
current one from the articles collection. Between two versions: the title, subtitle and author
changes in full, the body as a diff by paragraph, the other content fields old -> new.
`--json` prints one object for programs. A URL with nothing stored is one line and exit code 3.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any

from crawler.cli.common import project_settings
from crawler.cli.export import jsonable

__all__ = ["body_diff", "version_changes"]

NOT_FOUND = 3  # README "When something is wrong"
_IN_FULL = ("title", "subtitle", "authors")
_OTHERS = ("tags", "section", "image_url", "published_at", "language")


def paragraphs(body: object) -> list[str]:
    return [p.strip() for p in str(body or "").split("\n\n") if p.strip()]


def body_diff(old: object, new: object) -> list[dict[str, Any]]:
    """The body changes by paragraph: `{"at": index in the old body (1-based), "removed": [...],
    "added": [...]}` per changed run of paragraphs.

    >>> body_diff("a\\n\\nb\\n\\nc", "a\\n\\nB\\n\\nc\\n\\nd")
    [{'at': 2, 'removed': ['b'], 'added': ['B']}, {'at': 4, 'removed': [], 'added': ['d']}]
    """
    before, after = paragraphs(old), paragraphs(new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return [{"at": i1 + 1, "removed": before[i1:i2], "added": after[j1:j2]}
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def version_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What differs from `old` to `new`: `{field: {"from", "to"}}`, and `body` as `body_diff`."""
    changes: dict[str, Any] = {}
    for field in (*_IN_FULL, *_OTHERS):
        before, after = old.get(field), new.get(field)
        if isinstance(before, list | tuple) and isinstance(after, list | tuple):
            same = list(before) == list(after)
        else:
            same = jsonable(before) == jsonable(after)
        if not same:
            changes[field] = {"from": before, "to": after}
    if paragraphs(old.get("body")) != paragraphs(new.get("body")):
        changes["body"] = body_diff(old.get("body"), new.get("body"))
    return changes


def _missing(versions: Sequence[Mapping[str, Any]]) -> list[int]:
    """Revision numbers below the current one that no kept version holds."""
    held = {int(v.get("revision") or 0) for v in versions}
    current = max(held, default=1)
    return [n for n in range(1, current) if n not in held]


def history(revisions: Sequence[Mapping[str, Any]], current: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form: the versions oldest first, each with its changes from the one before
    (`changes`, and the revision document's `changed_fields` and `silent_edit`, which describe
    the step to the next version, moved to that version)."""
    versions: list[Mapping[str, Any]] = [*revisions, {**current, "current": True}]
    out: list[dict[str, Any]] = []
    for index, version in enumerate(versions):
        entry = {k: version.get(k) for k in (
            "revision", "title", "subtitle", "authors", "published_at", "published_local",
            "updated_at", "updated_local", "fetched_at", "changed_at", "superseded_at")}
        before = versions[index - 1] if index else {}
        entry["changed_fields"] = list(before.get("changed_fields") or [])
        entry["silent_edit"] = before.get("silent_edit")
        entry["current"] = bool(version.get("current"))
        entry["paragraphs"] = len(paragraphs(version.get("body")))
        entry["changes"] = version_changes(versions[index - 1], version) if index else {}
        out.append(entry)
    return jsonable({"url": current.get("url"), "versions": out,
                     "missing_revisions": _missing(versions)})


def _authors(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")


def write_text(result: Mapping[str, Any], stream: IO[str]) -> None:
    versions = result["versions"]
    stream.write(f"{result['url']}: {len(versions)} version(s)\n")
    missing = result["missing_revisions"]
    if missing:
        stream.write(f"  revisions {_ranges(missing)} are not kept (beyond "
                     "REVISIONS_MAX_PER_ARTICLE, or removed from the revisions collection)\n")
    for version in versions:
        label = "current" if version["current"] else f"superseded {version['superseded_at']}"
        stream.write(f"\nrevision {version['revision']} ({label}; fetched "
                     f"{version['fetched_at']}, published {version['published_local'] or '-'}, "
                     f"updated {version['updated_local'] or version['updated_at'] or '-'})\n")
        if version.get("silent_edit"):
            stream.write("  a silent edit: changed without a new update date from the page\n")
        changes = version["changes"]
        if not changes:
            stream.write(f"  title: {version['title']}\n")
            stream.write(f"  authors: {_authors(version['authors']) or '-'}\n")
            stream.write(f"  body: {version['paragraphs']} paragraphs\n")
            continue
        for field, change in changes.items():
            if field == "body":
                continue
            show = _authors if field == "authors" else (lambda v: "-" if v is None else str(v))
            stream.write(f"  {field}:\n    - {show(change['from'])}\n    + {show(change['to'])}\n")
        for hunk in changes.get("body", []):
            stream.write(f"  body, paragraph {hunk['at']}:\n")
            stream.writelines(f"    - {p}\n" for p in hunk["removed"])
            stream.writelines(f"    + {p}\n" for p in hunk["added"])


def _ranges(numbers: Sequence[int]) -> str:
    """Revision numbers as spans.

    >>> _ranges([1, 2, 3, 5])
    '1-3, 5'
    """
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "history", help="every kept version of an article and what changed",
        description="The superseded versions of the article stored under URL, oldest first, then "
                    "the current one, each with what changed: title, subtitle and authors in "
                    "full, the body by paragraph. Exit code 3: nothing stored under URL.")
    parser.add_argument("url", help="the article's URL (canonical, or the one it was fetched from)")
    parser.add_argument("--json", action="store_true", help="one JSON object, for programs")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.cli.common import reader_stores
    from crawler.errors import DatabaseUnavailable
    from crawler.links.urls import canonical_url

    try:
        articles, _ = reader_stores(project_settings())
        wanted = list(dict.fromkeys([args.url, canonical_url(args.url) or args.url]))
        found = articles.known(wanted)
        key = next((found[u]["url"] for u in wanted if u in found), None)
        current = articles.collection.find_one({"_id": key}, {"_id": 0}) if key else None
        if current is None:
            print(f"newscrawl history: no article stored under {args.url}", file=sys.stderr)
            return NOT_FOUND
        assert articles.revisions is not None
        revisions = articles.revisions.history(current["url"])
    except DatabaseUnavailable as exc:
        print(f"newscrawl history: {exc}", file=sys.stderr)
        return 1
    result = history(revisions, current)
    if args.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        write_text(result, sys.stdout)
    return 0
