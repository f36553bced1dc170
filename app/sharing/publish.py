"""Publishing a case to a collection, and withdrawing it.

Each object is stored once per version (`:SharedObject`), with the number of
the collection's feed it was added at: partners page through that order. An
object whose content did not change gets no new version, so publishing again
is cheap and a partner polling with `added_after` sees only what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.audit import record
from app.cases.content import case_content
from app.db.graph import Graph
from app.sharing import collections as col
from app.sharing.stix import (
    content_hash,
    publication,
    revoked,
    shared_values,
)

WRITE_CHUNK = 2000
# The `case_id` the producer's identity is stored under: it belongs to no case.
PROVIDER = ""


@dataclass
class Published:
    collection: str
    case_id: str
    objects: int      # objects the case has in the collection
    new_versions: int  # of them, added or changed by this call
    indicators: int


def stix_now(at: datetime | None = None) -> str:
    """A STIX timestamp (UTC, milliseconds, `Z`)."""
    at = at or datetime.now(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def publish_case(graph: Graph, case_id: str, actor: str, *, collection: str = col.DEFAULT,
                 source: str = "") -> Published:
    """Publish (or update) what the case shares, under the collection's policy and key."""
    info = col.get_collection(graph, collection)
    content = case_content(graph, case_id)
    ids = [m["account_id"] for m in content["members"]]
    kinds = list(info["kinds"])
    asns = graph.read("sharing/member_asns", account_ids=ids) if "asn" in kinds else []
    domains = (graph.read("sharing/member_domains", account_ids=ids)
               if "email_domain" in kinds else [])
    values = shared_values(content["entities"], asns, domains, kinds,
                           col.sharing_key(graph, info["name"]),
                           graph.settings.privacy_min_accounts)
    identity_uuid = col.provider_identity(graph)
    at = datetime.now(UTC)
    generation = int(graph.read("sharing/revocations", collection_id=info["collection_id"],
                                case_id=case_id)[0]["revocations"])
    built = publication(content, values, identity_uuid=identity_uuid,
                        provider=graph.settings.provider_name,
                        collection_id=info["collection_id"], at=stix_now(at),
                        generation=generation)
    _publish_identity(graph, info["collection_id"], built.identity, at)
    before = _latest(graph, info["collection_id"], case_id)
    fresh = built.objects
    wanted = {o["id"] for o in fresh}
    changed: list[dict[str, Any]] = []
    for obj in fresh:
        old = before.get(obj["id"])
        if old is not None and not old["revoked"] and old["content_hash"] == content_hash(obj):
            continue
        if old is not None:
            obj["created"] = old["created"]
            if "published" in obj:
                obj["published"] = json.loads(old["json"]).get("published", obj["published"])
        changed.append(obj)
    # What the case shared before and no longer does (a member taken out, a kind
    # dropped from the policy) is withdrawn, not left standing.
    gone = _withdrawn([old for oid, old in before.items() if oid not in wanted], at)
    _store(graph, info["collection_id"], case_id, changed + gone, at)
    indicators = sum(1 for o in built.objects if o["type"] == "indicator")
    record(graph, actor, "intel.publish", target=case_id, source=source,
           details={"collection": info["name"], "objects": len(fresh),
                    "new_versions": len(changed) + len(gone), "indicators": indicators})
    return Published(info["name"], case_id, len(fresh), len(changed) + len(gone), indicators)


def revoke_case(graph: Graph, case_id: str, actor: str, *, source: str = "") -> int:
    """Withdraw everything the case published, in every collection (STIX `revoked`).

    Returns the number of objects withdrawn (0 when it had published nothing).
    """
    at = datetime.now(UTC)
    total = 0
    for row in graph.read("sharing/case_collections", case_id=case_id):
        collection = row["collection"]
        latest = _latest(graph, collection["collection_id"], case_id)
        withdrawn = _withdrawn(list(latest.values()), at)
        _store(graph, collection["collection_id"], case_id, withdrawn, at)
        total += len(withdrawn)
        if withdrawn:
            record(graph, actor, "intel.revoke", target=case_id, source=source,
                   details={"collection": collection["name"], "objects": len(withdrawn)})
    return total


def _withdrawn(stored: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    """The next version, revoked, of each stored object not revoked yet."""
    return [revoked(json.loads(old["json"]), stix_now(at)) for old in stored
            if not old["revoked"]]


def _publish_identity(graph: Graph, collection_id: str, identity: dict[str, Any],
                      at: datetime) -> None:
    """The producer's identity, once per collection (a new version if its name changed)."""
    old = _latest(graph, collection_id, PROVIDER).get(identity["id"])
    if old is not None and old["content_hash"] == content_hash(identity):
        return
    if old is not None:
        identity = {**identity, "created": old["created"]}
    _store(graph, collection_id, PROVIDER, [identity], at)


def _latest(graph: Graph, collection_id: str, case_id: str) -> dict[str, dict[str, Any]]:
    return {row["object_id"]: row for row in graph.read(
        "sharing/latest_objects", collection_id=collection_id, case_id=case_id)}


def _store(graph: Graph, collection_id: str, case_id: str, objects: list[dict[str, Any]],
           at: datetime) -> None:
    """Write new versions; each gets its own `date_added` (a microsecond apart), so a
    partner polling with `added_after` never loses one that shares a timestamp."""
    rows = []
    for i, obj in enumerate(objects):
        added = at + timedelta(microseconds=i)
        rows.append({"object_id": obj["id"], "type": obj["type"], "version": obj["modified"],
                     "created": obj["created"], "content_hash": content_hash(obj),
                     "revoked": bool(obj.get("revoked")), "json": json.dumps(obj),
                     "date_added": added.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    for start in range(0, len(rows), WRITE_CHUNK):
        graph.write("sharing/add_versions", collection_id=collection_id, case_id=case_id,
                    objects=rows[start:start + WRITE_CHUNK])


