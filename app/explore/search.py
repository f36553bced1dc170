"""Search by the start of a key, over every kind of entity."""

from __future__ import annotations

from typing import Any

from app.addresses import prefix_of
from app.db.graph import Graph
from app.explore.masking import privacy_of
from app.ingest.contract import BadValue, parse_ip
from app.kinds import account_url, entity_url

SEARCH_LIMIT = 10


def search(graph: Graph, text: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Entities whose key starts with `text` (accounts, addresses, prefixes, ASNs,
    fingerprints, keys, e-mail domains, org ids), each with its page."""
    q = text.strip()
    if not q:
        return []
    prefix = None
    try:
        q = parse_ip(q)
        prefix = prefix_of(q)
    except BadValue:
        pass
    digits = q.upper().removeprefix("AS")
    asn = int(digits) if digits.isdigit() and len(digits) <= 10 else None
    rows = graph.read("explore/search", q=q, q_lower=q.lower(), prefix=prefix, asn=asn,
                      limit=limit, min_accounts=graph.settings.privacy_min_accounts)
    privacy_of(graph).mask_rows(rows, count_field="accounts")
    for row in rows:
        row["url"] = account_url(row["key"]) if row["kind"] == "account" else entity_url(
            row["kind"], row["key"])
    # Exact hits first, then shorter keys (closer to what was typed).
    rows.sort(key=lambda r: (r["key"] != q, len(r["key"]), r["kind"], str(r["key"])))
    return rows
