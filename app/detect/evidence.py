"""What detection reads from the graph, as plain data (lists indexed by account)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.db.graph import Graph


@dataclass
class Evidence:
    """The evidence graph reduced to what detection needs.

    Accounts are numbered 0..n-1; every other structure refers to them by
    that index. Built by `read_evidence` from Neo4j or by hand in tests.
    """

    account_ids: list[str] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    # (account index, address, sessions); intel per address
    ip_uses: list[tuple[int, str, int]] = field(default_factory=list)
    ip_intel: dict[str, dict[str, Any]] = field(default_factory=dict)
    # kind -> (account index, key, sessions); kinds: device, api_key, user_agent
    entity_uses: dict[str, list[tuple[int, str, int]]] = field(
        default_factory=lambda: defaultdict(list))
    # account index -> prompt fingerprints (ints), one per session
    templates: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # account index -> 24 session counts by UTC hour
    hours: dict[int, list[int]] = field(default_factory=dict)
    # account index -> session start times, seconds since the epoch (co-activity)
    starts: dict[int, list[int]] = field(default_factory=dict)
    # account index -> sessions per prompt category (subject sweeps)
    categories: dict[int, dict[str, int]] = field(default_factory=dict)
    # account index -> output tokens over all its sessions (answer length)
    output_tokens: dict[int, int] = field(default_factory=dict)
    # kind -> entity key -> accounts known here only by sharing it (an
    # incremental run's neighbours: what links them, not what they did)
    links: dict[str, dict[str, set[int]]] = field(default_factory=dict)

    def link(self, kind: str, key: str, account: int) -> None:
        self.links.setdefault(kind, {}).setdefault(key, set()).add(account)

    @property
    def size(self) -> int:
        return len(self.account_ids)

    def index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.account_ids)}

    def add_account(self, account_id: str, **facts: Any) -> int:
        """Add one account (tests build evidence this way); its index."""
        defaults = {"created": 0, "status": "active", "status_changed": None, "plan": None,
                    "email_domain": None, "org_id": None, "payment": None, "signup_ip": None,
                    "sessions": 0, "requests": 0, "tokens": 0, "reasoning": 0, "rewrites": 0,
                    "refusals": 0, "reported": False}
        defaults.update(facts)
        self.account_ids.append(account_id)
        self.accounts.append(defaults)
        return len(self.account_ids) - 1


ENTITY_STATEMENTS = {
    "device": "used_devices",
    "api_key": "used_keys",
    "user_agent": "used_agents",
}


def read_evidence(graph: Graph) -> Evidence:
    """Read everything detection needs in a few streaming passes."""
    return _read(lambda name: graph.stream("detect/" + name))


def read_some(graph: Graph, account_ids: list[str]) -> Evidence:
    """What detection reads, for the named accounts only (an incremental run's
    neighbourhood), numbered in id order."""
    params = {"ids": sorted(set(account_ids))}
    names = ["accounts", "used_ips", *ENTITY_STATEMENTS.values(), "account_sessions",
             "reported"]
    # A neighbourhood's rows fit in memory: its statements run side by side.
    fetched = dict(zip(names, graph.read_side_by_side([("detect/some/" + name, params)
                                                       for name in names]), strict=True))
    return _read(lambda name: (tuple(row.values()) for row in fetched[name]))


def _read(rows: Callable[[str], Iterable[tuple[Any, ...]]]) -> Evidence:
    """Evidence from the rows of the statements of detect/all/ or detect/some/,
    as `rows(name)` gives them."""
    evidence = Evidence()
    columns = ("account_id", "created", "status", "status_changed", "plan", "email_domain",
               "org_id", "payment", "signup_ip", "sessions", "requests", "tokens", "reasoning",
               "rewrites", "refusals")
    for row in rows("accounts"):
        facts = dict(zip(columns, row, strict=True))
        evidence.account_ids.append(facts.pop("account_id"))
        facts["status"] = facts["status"] or "active"
        facts["reported"] = False
        evidence.accounts.append(facts)
    index = evidence.index()
    # What other providers reported: one more piece of evidence, never a verdict.
    for (account_id,) in rows("reported"):
        if account_id in index:
            evidence.accounts[index[account_id]]["reported"] = True
    for account_id, address, sessions, network_type, known, provider, asn, as_org in \
            rows("used_ips"):
        evidence.ip_uses.append((index[account_id], address, int(sessions or 0)))
        if address not in evidence.ip_intel:
            evidence.ip_intel[address] = {"network_type": network_type, "known": known,
                                          "proxy_provider": provider, "asn": asn,
                                          "as_org": as_org}
    for kind, statement in ENTITY_STATEMENTS.items():
        uses = evidence.entity_uses[kind]
        for account_id, key, sessions in rows(statement):
            uses.append((index[account_id], key, int(sessions or 0)))
    # Uses in a canonical order, whatever order the server returns them in (it
    # follows the order of loading), so communities do not depend on it.
    evidence.ip_uses.sort()
    for uses in evidence.entity_uses.values():
        uses.sort()
    for account_id, fingerprints, hours, starts, categories, output in \
            rows("account_sessions"):
        account = index[account_id]
        if fingerprints:
            evidence.templates[account] = sorted(int(fp, 16) for fp in fingerprints)
        by_hour = [0] * 24
        for hour in hours:
            by_hour[hour] += 1
        evidence.hours[account] = by_hour
        evidence.starts[account] = sorted(int(t) for t in starts)
        if categories:
            evidence.categories[account] = dict(Counter(categories))
        evidence.output_tokens[account] = int(output or 0)
    # ... and per account in account order (the server streams them in its own).
    evidence.templates = defaultdict(list, sorted(evidence.templates.items()))
    evidence.hours = dict(sorted(evidence.hours.items()))
    evidence.starts = dict(sorted(evidence.starts.items()))
    evidence.categories = dict(sorted(evidence.categories.items()))
    evidence.output_tokens = dict(sorted(evidence.output_tokens.items()))
    return evidence


def combine(first: Evidence, second: Evidence) -> Evidence:
    """One evidence of two about different accounts: the second's accounts are
    numbered after the first's."""
    shift = first.size
    if set(first.account_ids) & set(second.account_ids):
        raise ValueError("combine: the two evidences share accounts")
    both = Evidence(account_ids=first.account_ids + second.account_ids,
                    accounts=first.accounts + second.accounts,
                    ip_uses=first.ip_uses + [(a + shift, key, n) for a, key, n in second.ip_uses],
                    ip_intel={**first.ip_intel, **second.ip_intel})
    for kind in set(first.entity_uses) | set(second.entity_uses):
        both.entity_uses[kind] = list(first.entity_uses.get(kind, [])) + [
            (a + shift, key, n) for a, key, n in second.entity_uses.get(kind, [])]
    for name in ("templates", "hours", "starts", "categories", "output_tokens"):
        merged = getattr(both, name)
        merged.update(getattr(first, name))
        merged.update({a + shift: value for a, value in getattr(second, name).items()})
    for source, offset in ((first, 0), (second, shift)):
        for kind, by_key in source.links.items():
            for key, accounts in by_key.items():
                for a in accounts:
                    both.link(kind, key, a + offset)
    return both
