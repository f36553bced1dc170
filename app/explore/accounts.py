"""An account as its page shows it: facts, networks, entities, sessions, neighbours."""

from __future__ import annotations

from typing import Any

from app.db.graph import Graph
from app.explore.masking import mask_account, privacy_of
from app.kinds import RELATION_KINDS


def get_account(graph: Graph, account_id: str) -> dict[str, Any] | None:
    rows = graph.read("explore/account", account_id=account_id)
    if not rows:
        return None
    account = dict(rows[0]["account"])
    account["networks"] = graph.read("explore/account_networks", account_id=account_id)
    account["entities"] = graph.read("explore/account_entities", account_id=account_id)
    account["recent_sessions"] = graph.read("explore/account_sessions", account_id=account_id,
                                            limit=25)
    account["neighbours"] = graph.read("explore/account_neighbours", account_id=account_id,
                                       max_sharers=500, limit=25)
    privacy = privacy_of(graph)
    for row in account["entities"]:
        row["entity_kind"] = RELATION_KINDS.get(row["kind"], "")
    # shared_with leaves the account itself out.
    privacy.mask_rows(account["entities"], kind_field="entity_kind", count_field="shared_with",
                      count_offset=1)
    domain_users = next((row["shared_with"] + 1 for row in account["entities"]
                         if row["kind"] == "EMAIL_AT"), None)
    mask_account(privacy, account, domain_users)
    for neighbour in account["neighbours"]:
        privacy.mask_rows(neighbour["shared"])
    return account
