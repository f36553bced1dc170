"""What each network's members share, and its picture for the graph view,
computed once at detection time from the evidence already in memory.

The network page then reads one property instead of walking every member's
addresses and sessions (the largest networks at seed scale have thousands of
members and a hundred thousand sessions). Pure functions over `Evidence`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from app.addresses import prefix_of
from app.detect.evidence import Evidence
from app.graphview import PICTURE_NODES, network_picture
from app.kinds import kind_of

# Kinds drawn in the graph view (the picture of a network).
PICTURE_KINDS = ("address", "device", "payment", "api key")
PER_KIND = 10

Use = tuple[str, str, int | None]


def member_uses(evidence: Evidence, members: set[int]) -> dict[int, list[Use]]:
    """(kind, key, sessions) of every entity each member touches."""
    uses: dict[int, list[Use]] = defaultdict(list)
    for account, address, sessions in evidence.ip_uses:
        if account in members:
            uses[account].append(("address", address, sessions))
    for kind, rows in evidence.entity_uses.items():
        found = kind_of(kind)
        name = found.name if found else kind
        for account, key, sessions in rows:
            if account in members:
                uses[account].append((name, key, sessions))
    for account in members:
        payment = evidence.accounts[account].get("payment")
        if payment:
            uses[account].append(("payment", payment, None))
        for fingerprint, count in Counter(evidence.templates.get(account, ())).items():
            uses[account].append(("template", f"{fingerprint:016x}", count))
    return uses


def shared_infrastructure(members: list[int], uses: dict[int, list[Use]],
                          intel: dict[str, dict[str, Any]],
                          per_kind: int = PER_KIND) -> dict[str, list[dict[str, Any]]]:
    """Per kind, the entities two or more members share (any proxy provider at all),
    ranked by members then sessions: the rows the page's live query would give."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    provider_addresses: dict[str, set[str]] = defaultdict(set)
    details: dict[tuple[str, str], str | None] = {}
    for member in members:
        derived: set[tuple[str, str]] = set()
        for kind, key, sessions in uses.get(member, ()):
            entry = counts[(kind, key)]
            entry[0] += 1
            entry[1] += sessions or 0
            if kind != "address":
                continue
            facts = intel.get(key, {})
            details[(kind, key)] = facts.get("network_type")
            linked = [("prefix", prefix_of(key))]
            if facts.get("asn") is not None:
                linked.append(("asn", str(facts["asn"])))
                details[("asn", str(facts["asn"]))] = facts.get("as_org")
            if facts.get("proxy_provider"):
                linked.append(("proxy provider", str(facts["proxy_provider"])))
                provider_addresses[str(facts["proxy_provider"])].add(key)
            for pair in linked:
                counts[pair][1] += sessions or 0
                if pair not in derived:
                    derived.add(pair)
                    counts[pair][0] += 1
    for provider, addresses in provider_addresses.items():
        details[("proxy provider", provider)] = f"{len(addresses)} addresses"
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (kind, key), (sharers, sessions) in counts.items():
        if sharers >= 2 or kind == "proxy provider":
            by_kind[kind].append({"kind": kind, "key": key, "detail": details.get((kind, key)),
                                  "members": sharers,
                                  "sessions": None if kind == "payment" else sessions})
    return {kind: sorted(rows, key=lambda r: (-r["members"], -(r["sessions"] or 0),
                                              r["key"]))[:per_kind]
            for kind, rows in by_kind.items()}


def picture(members: list[int], uses: dict[int, list[Use]], evidence: Evidence,
            scores: dict[int, tuple[float, bool]], group_href: str,
            max_nodes: int = PICTURE_NODES) -> dict[str, Any]:
    """The graph view's nodes and edges, as `explore.network_graph` would draw them."""
    ids = evidence.account_ids
    users: dict[tuple[str, str], list[str]] = defaultdict(list)
    networks: dict[str, str | None] = {}
    for member in members:
        for kind, key, _sessions in uses.get(member, ()):
            if kind in PICTURE_KINDS:
                users[(kind, key)].append(ids[member])
                if kind == "address":
                    networks[key] = evidence.ip_intel.get(key, {}).get("network_type")
    accounts = [{"id": ids[m], "status": evidence.accounts[m].get("status") or "",
                 "score": round(scores.get(m, (0.0, False))[0], 4)} for m in members]
    entities = [{"kind": kind, "key": key, "network_type": networks.get(key),
                 "accounts": sharers}
                for (kind, key), sharers in sorted(users.items()) if len(sharers) >= 2]
    return network_picture(accounts, entities, max_nodes=max_nodes, group_href=group_href)
