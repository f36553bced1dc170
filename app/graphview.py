"""The picture of a network for the graph view: accounts and the entities they share.

Pure functions over rows read from Neo4j. Beyond `max_nodes` the picture
collapses: only the most shared entities stay, and accounts that touch the
same set of them become one summary node, so the browser never has to lay
out thousands of nodes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.kinds import account_url, entity_url

# Beyond this many nodes the picture collapses into groups.
PICTURE_NODES = 300


def network_picture(accounts: list[dict[str, Any]], entities: list[dict[str, Any]], *,
                    max_nodes: int = PICTURE_NODES, group_href: str = "") -> dict[str, Any]:
    """Nodes and edges (cytoscape's element data) for a network's members and shared entities.

    `accounts`: `{id, status, score}`; `entities`: `{kind, key, network_type, accounts: [ids]}`.
    """
    if len(accounts) + len(entities) <= max_nodes:
        return _full(accounts, entities)
    return _collapsed(accounts, entities, max_nodes, group_href)


def _entity_node(entity: dict[str, Any]) -> dict[str, Any]:
    kind, key = entity["kind"], entity["key"]
    return {"id": f"{kind}:{key}", "label": key, "type": kind,
            "status": entity.get("network_type") or "", "href": entity_url(kind, key),
            "weight": len(entity["accounts"])}


def _full(accounts: list[dict[str, Any]], entities: list[dict[str, Any]]) -> dict[str, Any]:
    linked = {member for e in entities for member in e["accounts"]}
    # Accounts that share nothing drawn would only float around the picture.
    isolated = sum(1 for a in accounts if a["id"] not in linked)
    accounts = [a for a in accounts if a["id"] in linked]
    nodes = [{"id": f"account:{a['id']}", "label": a["id"], "type": "account",
              "status": a.get("status") or "", "href": account_url(a["id"]), "weight": 1}
             for a in accounts]
    nodes += [_entity_node(e) for e in entities]
    edges = [{"source": f"account:{member}", "target": f"{e['kind']}:{e['key']}"}
             for e in entities for member in e["accounts"]]
    return {"nodes": nodes, "edges": edges, "collapsed": False,
            "accounts": len(accounts) + isolated, "isolated": isolated}


def _collapsed(accounts: list[dict[str, Any]], entities: list[dict[str, Any]], max_nodes: int,
               group_href: str) -> dict[str, Any]:
    budget_entities = max(1, max_nodes // 3)
    kept = sorted(entities, key=lambda e: (-len(e["accounts"]), e["kind"], e["key"]))
    kept = kept[:budget_entities]
    touches: dict[str, list[str]] = defaultdict(list)
    for entity in kept:
        node_id = f"{entity['kind']}:{entity['key']}"
        for member in entity["accounts"]:
            touches[member].append(node_id)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for account in accounts:
        groups[tuple(sorted(touches.get(account["id"], ())))].append(account["id"])
    # The largest groups get their own node; the rest fold into one node per
    # first entity they touch (at most len(kept) + 1 more), so the picture
    # stays within about max_nodes.
    budget_groups = max(1, max_nodes - 2 * len(kept) - 1)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    shown, folded = ordered[:budget_groups], ordered[budget_groups:]
    if folded:
        merged: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for signature, members in folded:
            merged[signature[:1]].extend(members)
        shown += sorted(merged.items(), key=lambda item: (-len(item[1]), item[0]))
    nodes = [_entity_node(e) for e in kept]
    edges = []
    status = {a["id"]: a.get("status") or "" for a in accounts}
    for index, (signature, members) in enumerate(shown):
        if len(members) == 1:
            node = {"id": f"account:{members[0]}", "label": members[0], "type": "account",
                    "status": status[members[0]], "href": account_url(members[0]), "weight": 1}
        else:
            banned = sum(1 for m in members if status[m] == "banned")
            node = {"id": f"group:{index}", "label": f"{len(members)} accounts",
                    "type": "group", "status": "banned" if banned * 2 > len(members) else "",
                    "href": group_href, "weight": len(members)}
        nodes.append(node)
        edges += [{"source": node["id"], "target": target} for target in signature]
    merged_edges = {(e["source"], e["target"]): e for e in edges}
    return {"nodes": nodes, "edges": list(merged_edges.values()), "collapsed": True,
            "accounts": len(accounts), "isolated": 0}
