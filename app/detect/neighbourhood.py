"""What an incremental run reads: the accounts changed since its parent run, and
their neighbourhood in the graph (see app.detect.attach).

1. The accounts whose load mark (`loaded_at`) is at or after the parent
   run's read of the graph (or the start of a load that straddled it), not
   flagged already, that are new, or use infrastructure a member of a
   suspected network uses, or are members a suspected network did not flag
   (their profile may say more than when they were last placed), or were
   alone and now share something new with another account (see
   detect/incremental/changed). Any other account keeps its place until the
   next full run.
2. Every entity they use that the projection links by (addresses, /24 and
   /48 prefixes, devices, cards, keys, user agents, organisations, e-mail
   domains, prompts), with how many accounts use it in the whole graph, and,
   for those used by at most `hub` accounts, which ones: the neighbours.
3. The networks of the parent run (as its chain shows them) that the
   changed accounts and their neighbours are members of, with a suspected
   network's kept likeness. Up to REREAD accounts are read whole: suspected
   networks with changed members they did not flag (gated again on the whole
   group), then unflagged networks whose members a load changed (scored
   again), the best scored first.
4. The evidence of the changed accounts and of those networks' members, and
   the population's users of their entities; neighbours outside them are
   kept only by what links them to the changed accounts.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from app.addresses import prefix_of
from app.db.graph import Graph
from app.detect.attach import Known, Neighbourhood
from app.detect.evidence import Evidence, combine, read_some
from app.detect.project import PUBLIC_MAIL, ProjectionParams, entity_weight

# An entity with more links than this is a hub whatever its accounts: its
# users are not listed (a carrier NAT, the sessions of a popular prompt).
LINKS_CAP = 5_000
# Unflagged networks whose members changed are read whole and scored again,
# the best scored first, up to this many accounts in all; the others wait for
# the next full run (which can also split them, as an incremental run cannot).
REREAD = 2_000
# Unflagged networks with members a load changed that are considered, at most.
TOUCHED = 200
# Entities asked about in one query (queries run side by side).
USERS_CHUNK = 4_000


def linked_entities(evidence: Evidence) -> Iterator[tuple[int, str, str]]:
    """(account, kind, key) of every entity an account of `evidence` uses, of the
    kinds the projection links by; prompts as 16 hex digits."""
    for account, address, _sessions in evidence.ip_uses:
        yield account, "ip", address
        yield account, "prefix", prefix_of(address)
    for account, facts in enumerate(evidence.accounts):
        for kind, name in (("ip", "signup_ip"), ("payment", "payment"), ("org", "org_id")):
            if facts.get(name):
                yield account, kind, facts[name]
        domain = facts.get("email_domain")
        if domain and domain not in PUBLIC_MAIL:
            yield account, "email_domain", domain
    for account, fps in evidence.templates.items():
        for fp in fps:
            yield account, "template", f"{fp:016x}"
    for kind, uses in evidence.entity_uses.items():
        for account, key, _sessions in uses:
            yield account, kind, key


def entity_keys(evidence: Evidence, accounts: Iterable[int] | None = None
                ) -> dict[str, set[str]]:
    """Per entity kind the projection links by, the keys the accounts use
    (all accounts of `evidence` by default)."""
    chosen = None if accounts is None else set(accounts)
    keys: dict[str, set[str]] = defaultdict(set)
    for account, kind, key in linked_entities(evidence):
        if chosen is None or account in chosen:
            keys[kind].add(key)
    return keys


def _most_users(kind: str, hub: int) -> int:
    """The most users an entity of this kind may have for its users to be worth
    listing: sharing it must add at least a quarter of the least link weight
    (the least template weight for prompts) to a pair, or a pair would need
    four such entities to be linked at all (a /24 shared by a hundred links
    no one)."""
    params = ProjectionParams()
    floor = (params.min_template_weight if kind == "template" else params.min_edge_weight) / 4
    users = 2
    while users < hub and entity_weight(kind, users + 1) >= floor:
        users += 1
    return users


def _users(graph: Graph, keys: dict[str, set[str]], hub: int, with_users: bool,
           sizes: dict[str, dict[str, int]]) -> dict[str, dict[str, list[str]]]:
    """Fill `sizes` with the population's users of each entity; with `with_users`,
    the accounts behind the entities that have at most `hub` of them."""
    found: dict[str, dict[str, list[str]]] = defaultdict(dict)
    calls: list[tuple[str, dict[str, Any]]] = []
    for kind, wanted in sorted(keys.items()):
        known = sizes.setdefault("fingerprint" if kind == "template" else kind, {})
        todo = sorted(k for k in wanted if k not in known)
        for start in range(0, len(todo), USERS_CHUNK):
            calls.append(("detect/incremental/entity_users", {
                "kind": kind, "keys": todo[start:start + USERS_CHUNK],
                "with_users": with_users, "most": _most_users(kind, hub),
                "links_cap": LINKS_CAP}))
    for (_name, params), rows in zip(calls, graph.read_side_by_side(calls), strict=True):
        kind = params["kind"]
        known = sizes["fingerprint" if kind == "template" else kind]
        for row in rows:
            known[row["key"]] = int(row["accounts"])
            if row["users"]:
                found[kind][row["key"]] = list(row["users"])
    return found


def read_neighbourhood(graph: Graph, parent: str, chain: list[str],
                       hub: int | None = None, reread: int = REREAD
                       ) -> tuple[Neighbourhood, dict[str, Any]]:
    """The neighbourhood of the accounts changed since run `parent` (whose chain
    is `chain`) read the graph; and how much of each was read."""
    hub = ProjectionParams().hub_size if hub is None else hub
    clock = _Clock()
    since = graph.read("detect/incremental/since", parent=parent)[0]["since"]
    changed, touched = graph.read_side_by_side([
        ("detect/incremental/changed", {"since": since, "chain": chain, "most": hub}),
        ("detect/incremental/touched_networks", {"since": since, "chain": chain,
                                                 "limit": TOUCHED})])
    changed_ids = [r["account_id"] for r in changed]
    clock("changed")
    if not changed_ids and not touched:
        return Neighbourhood(Evidence(), []), {"changed": 0, "seconds": clock.times}
    changed_set = set(changed_ids)
    first = read_some(graph, changed_ids)
    clock("changed_evidence")
    sizes: dict[str, dict[str, int]] = {}
    linked = _users(graph, entity_keys(first), hub, True, sizes)
    linked, neighbours = _linked_enough(first, linked, sizes, hub)
    clock("neighbours")
    rows = graph.read("detect/incremental/memberships", ids=sorted(set(changed_ids) | neighbours),
                      chain=chain)
    clock("memberships")
    networks: dict[str, dict[str, Any]] = {}
    membership: dict[str, tuple[str, float, bool, float]] = {}
    for row in [*rows, *touched]:
        facts = networks.setdefault(row["network_id"], {
            "run_id": row["run_id"], "flagged": bool(row.get("flagged")),
            "score": float(row.get("network_score", row.get("score")) or 0.0),
            "size": int(row["size"] or 0),
            "likeness": json.loads(row["likeness"]) if row["likeness"] else None,
            "changed": False, "undecided": 0})
        if "account_id" not in row:  # a network whose members a load changed
            facts["changed"] = True
            continue
        if row["account_id"] in changed_set:
            facts["changed"] = True
            facts["undecided"] += not row["member_flagged"]
        membership[row["account_id"]] = (row["network_id"], float(row["score"] or 0.0),
                                         bool(row["member_flagged"]), float(row["strength"]))
    # Read whole, up to `reread` accounts: first the suspected networks with
    # changed members they did not flag (gated again on the whole group), the
    # most of those first; then the unflagged networks whose members a load
    # changed (scored again), the best scored first. Other suspected networks
    # are judged by their members at hand and their kept likeness.
    budget = reread

    def priority(item: tuple[str, dict[str, Any]]) -> tuple[int, float, str]:
        network_id, facts = item
        if facts["flagged"]:
            return (0, -facts["undecided"], network_id)
        return (1, -facts["score"], network_id)

    for _network_id, facts in sorted(networks.items(), key=priority):
        facts["whole"] = False
        wanted_whole = facts["undecided"] if facts["flagged"] else facts["changed"]
        if wanted_whole and facts["size"] <= budget:
            facts["whole"] = True
            budget -= facts["size"]
    wanted = [{"network_id": n, "run_id": facts["run_id"]}
              for n, facts in sorted(networks.items()) if facts["whole"]]
    suspected = [{"network_id": n, "run_id": facts["run_id"]}
                 for n, facts in sorted(networks.items()) if facts["flagged"]]
    ban_rows, member_rows = graph.read_side_by_side([
        ("detect/incremental/network_bans", {"networks": suspected}),
        ("detect/incremental/network_members", {"networks": wanted})])
    bans = {row["network_id"]: row["first_ban"] for row in ban_rows}
    for row in member_rows:
        membership[row["account_id"]] = (row["network_id"], float(row["score"] or 0.0),
                                         bool(row["flagged"]), float(row["strength"]))
    whole = {a for a, (n, *_rest) in membership.items() if networks[n]["whole"]}
    clock("network_members")
    evidence = combine(first, read_some(graph, sorted(whole - changed_set)))
    clock("evidence")
    index = evidence.index()
    # The population's users of the members' own entities (no need to list them).
    _users(graph, entity_keys(evidence, (index[a] for a in whole)), hub, False, sizes)
    clock("entity_sizes")
    # Neighbours outside the networks read whole: known by what links them.
    for kind, by_key in sorted(linked.items()):
        for key, users in sorted(by_key.items()):
            for account_id in users:
                if account_id not in index:
                    index[account_id] = evidence.add_account(account_id, created=None,
                                                             status="active")
                account = index[account_id]
                if account_id in changed_set or account_id in whole:
                    continue
                if kind == "template":
                    evidence.templates[account].append(int(key, 16))
                elif kind in ("payment", "org", "email_domain"):
                    evidence.accounts[account][_FACT[kind]] = key
                else:
                    evidence.link(kind, key, account)
    hood = Neighbourhood(evidence, sorted(index[a] for a in changed_ids), sizes=sizes)
    members_of: dict[str, list[int]] = defaultdict(list)
    for account_id, (network_id, *_rest) in membership.items():
        if account_id in index:
            members_of[network_id].append(index[account_id])
    for network_id, facts in networks.items():
        members = sorted(members_of[network_id])
        hood.networks[network_id] = Known(network_id, facts["run_id"], facts["flagged"],
                                          facts["score"], members, facts["size"],
                                          facts["whole"], facts["likeness"],
                                          bans.get(network_id))
    hood.member_facts = {index[a]: (score, flag, strength)
                         for a, (_n, score, flag, strength) in membership.items() if a in index}
    read = {"changed": len(changed_ids), "neighbours": len(neighbours),
            "networks": len(networks),
            "flagged_networks": sum(1 for f in networks.values() if f["flagged"]),
            "networks_read_whole": len(wanted),
            "read_whole": len(whole), "accounts": evidence.size, "seconds": clock.times}
    return hood, read


def _uses(evidence: Evidence) -> dict[tuple[str, str], set[int]]:
    """(kind, key) -> the accounts of `evidence` that use it."""
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    for account, kind, key in linked_entities(evidence):
        found[(kind, key)].add(account)
    return found


def _linked_enough(first: Evidence, linked: dict[str, dict[str, list[str]]],
                   sizes: dict[str, dict[str, int]], hub: int
                   ) -> tuple[dict[str, dict[str, list[str]]], set[str]]:
    """The neighbours the projection would link to a changed account (what they
    share weighs at least the least edge weight, or the least template weight
    for prompts alone), and the links of those only. A /24 shared with a
    hundred strangers links no one by itself."""
    params = ProjectionParams()
    ids = first.account_ids
    changed = set(ids)
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    prompts: dict[tuple[str, str], float] = defaultdict(float)
    for (kind, key), users in _uses(first).items():
        others = linked.get(kind, {}).get(key)
        if not others:
            continue
        size = sizes.get("fingerprint" if kind == "template" else kind, {}).get(key, 0)
        if not 1 < size <= hub:
            continue
        weight = entity_weight(kind, size, first.ip_intel.get(key) if kind == "ip" else None)
        for account in users:
            for other in others:
                if other in changed:
                    continue
                pairs[(ids[account], other)] += weight
                if kind == "template":
                    prompts[(ids[account], other)] += weight
    kept = {pair[1] for pair, weight in pairs.items()
            if weight >= params.min_edge_weight
            or prompts.get(pair, 0.0) >= params.min_template_weight}
    pruned = {kind: {key: [u for u in users if u in kept or u in changed]
                     for key, users in by_key.items()}
              for kind, by_key in linked.items()}
    return pruned, kept


class _Clock:
    """Seconds per step of the read."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._last = time.monotonic()

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self.times[step] = round(now - self._last, 3)
        self._last = now


# Entities that are facts of an account (one per account), not uses.
_FACT = {"payment": "payment", "org": "org_id", "email_domain": "email_domain"}
