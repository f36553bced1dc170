"""What a partner reads from a collection: pages of the feed, as TAXII 2.1 has them.

The feed is every version of every object in the order it was added. A
page ends with an opaque `next` (the position of its last version), so a
partner pages through without missing or repeating a version, while
`added_after` lets it poll for what is new since its last read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.db.graph import Graph

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


class BadFilter(ValueError):
    """A filter or page position the feed cannot read; the message says which."""


@dataclass
class Filters:
    """A request's filters, parsed and checked."""

    added_after: str | None = None
    after_seq: int = 0
    limit: int = DEFAULT_LIMIT
    ids: list[str] | None = None
    types: list[str] | None = None
    versions: list[str] = field(default_factory=lambda: ["last"])


@dataclass
class FeedPage:
    rows: list[dict[str, Any]]
    more: bool
    next: str | None

    @property
    def first_added(self) -> str | None:
        return self.rows[0]["date_added"] if self.rows else None

    @property
    def last_added(self) -> str | None:
        return self.rows[-1]["date_added"] if self.rows else None


def timestamp(value: str, what: str) -> str:
    """A client's timestamp in the feed's own form (so that strings compare as times)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadFilter(f"{what} must be a timestamp such as 2026-03-04T05:06:07.000Z, "
                        f"not {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stix_time(value: str) -> str:
    # Stored versions are STIX timestamps with milliseconds.
    stamp = timestamp(value, "match[version]")
    return stamp[:23] + "Z"


def parse_filters(params: dict[str, str]) -> Filters:
    """Read `added_after`, `limit`, `next` and the `match[...]` filters of a request."""
    known = {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
             "match[spec_version]"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadFilter(f"unknown parameter {unknown[0]!r}; this server takes "
                        f"{', '.join(sorted(known))}")
    filters = Filters()
    if params.get("added_after"):
        filters.added_after = timestamp(params["added_after"], "added_after")
    if params.get("limit") not in (None, ""):
        try:
            limit = int(params["limit"])
        except ValueError as exc:
            raise BadFilter(f"limit must be a whole number, not {params['limit'][:20]!r}") \
                from exc
        if limit < 0:
            raise BadFilter("limit must be positive")
        # 0 (taxii2-client's default page size) asks for the server's own.
        filters.limit = min(limit, MAX_LIMIT) if limit else DEFAULT_LIMIT
    if params.get("next"):
        try:
            filters.after_seq = int(params["next"])
        except ValueError as exc:
            raise BadFilter("next must be the value a previous page gave") from exc
    if params.get("match[id]"):
        filters.ids = _list(params["match[id]"])
    if params.get("match[type]"):
        filters.types = _list(params["match[type]"])
    if params.get("match[version]"):
        filters.versions = [v if v in ("last", "first", "all") else _stix_time(v)
                            for v in _list(params["match[version]"])]
    spec = params.get("match[spec_version]")
    if spec and "2.1" not in _list(spec):
        raise BadFilter("this server holds STIX 2.1 only")
    return filters


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def read_page(graph: Graph, collection_id: str, filters: Filters) -> FeedPage:
    """One page of the collection's feed under the filters."""
    versions = filters.versions
    rows = graph.read("sharing/feed_page", collection_id=collection_id,
                      after_seq=filters.after_seq, added_after=filters.added_after,
                      ids=filters.ids, types=filters.types, all_versions="all" in versions,
                      last="last" in versions, first="first" in versions,
                      versions=[v for v in versions if v not in ("last", "first", "all")],
                      limit=filters.limit + 1)
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return FeedPage(rows, more, str(rows[-1]["seq"]) if more else None)


def objects_envelope(page: FeedPage) -> bytes:
    """The TAXII envelope of a page, its objects spliced in as they were stored
    (each is the JSON of one STIX object; nothing is parsed again)."""
    head = {"more": page.more, **({"next": page.next} if page.next else {})}
    return (json.dumps(head)[:-1].encode() + b', "objects": [' +
            ",".join(r["json"] for r in page.rows).encode() + b"]}")


def manifest_envelope(page: FeedPage) -> dict[str, Any]:
    envelope: dict[str, Any] = {"more": page.more, "objects": [
        {"id": r["object_id"], "date_added": r["date_added"], "version": r["version"],
         "media_type": STIX_MEDIA_TYPE} for r in page.rows]}
    if page.next:
        envelope["next"] = page.next
    return envelope


def object_versions(graph: Graph, collection_id: str, object_id: str) -> list[str]:
    return [r["version"] for r in graph.read("sharing/object_versions",
                                             collection_id=collection_id,
                                             object_id=object_id)]
