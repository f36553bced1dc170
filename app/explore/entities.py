"""An entity (address, prefix, device, ...) as its page shows it."""

from __future__ import annotations

from typing import Any

from app.db.graph import Graph
from app.explore.masking import privacy_of, resolve_key
from app.ingest.contract import BadValue, parse_ip
from app.kinds import ENTITY_KINDS
from app.paging import Page
from app.privacy import MASKED_KINDS


def entity_lookup_params(kind: str, key: str) -> dict[str, Any] | None:
    """Parameters naming one entity, or None when the key cannot be one of that kind."""
    if kind not in ENTITY_KINDS:
        return None
    asn = None
    if kind == "asn":
        digits = key.upper().removeprefix("AS")
        if not digits.isdigit() or len(digits) > 10:
            return None
        asn = int(digits)
    elif kind == "address":
        try:
            key = parse_ip(key)
        except BadValue:
            return None
    elif kind == "email domain":
        key = key.lower()
    return {"kind": kind, "key": key, "asn": asn}


def get_entity(graph: Graph, kind: str, key: str, *, run_id: str | None, page: int,
               per_page: int) -> dict[str, Any] | None:
    """An entity with its intel, the accounts using it (a page), their networks and
    related entities; None when there is no such entity.

    `key` may be the opaque token of a masked value (`~...`, from a link).
    """
    privacy = privacy_of(graph)
    resolved = resolve_key(graph, kind, key)
    if resolved is None:
        return None
    params = entity_lookup_params(kind, resolved)
    if params is None:
        return None
    rows = graph.read("explore/entity", **params)
    if not rows:
        return None
    entity = {**rows[0]["entity"], "kind": kind, "key": params["key"],
              "title": ENTITY_KINDS[kind].title, "asn": rows[0]["asn"],
              "as_org": rows[0]["as_org"], "prefix": rows[0]["prefix"]}
    found = graph.read("explore/entity_accounts", run_id=run_id or "", skip=(page - 1) * per_page,
                       limit=per_page, **params)[0]
    if kind in MASKED_KINDS:
        masked = privacy.mask(kind, params["key"], found["total"])
        entity["key"] = entity[ENTITY_KINDS[kind].key] = masked
    found["accounts"].sort(key=lambda a: (-(a["sessions"] or 0), a["account_id"]))
    entity["accounts"] = Page(found["accounts"], page, per_page, found["total"])
    entity["networks"] = sorted(found["networks"], key=lambda n: (-n["accounts"],
                                                                  n["network_id"]))
    entity["related"] = graph.read("explore/entity_related", limit=50, **params)
    return entity
