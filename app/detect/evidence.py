"""What detection reads from the graph, as plain data (lists indexed by account)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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


# Accounts, addresses and sessions come in rows of this many: a row costs the
# client far more than the values in it.
READ_CHUNK = 1000
# The statements after the accounts, read at once by a full read (the server
# works on one while this process decodes another).
SIDE_BY_SIDE = 2
ACCOUNT_COLUMNS = ("created", "status", "status_changed", "plan", "email_domain", "org_id",
                   "payment", "signup_ip", "sessions", "requests", "tokens", "reasoning",
                   "rewrites", "refusals")
# The roll-ups each account row of detect/accounts ends with, after the addresses.
USE_KINDS = ("device", "api_key", "user_agent")


def read_evidence(graph: Graph) -> Evidence:
    """Read everything detection needs in a few streaming passes."""
    return _read(lambda name: graph.stream("detect/" + name, chunk=READ_CHUNK),
                 side_by_side=True)


def read_some(graph: Graph, account_ids: list[str]) -> Evidence:
    """What detection reads, for the named accounts only (an incremental run's
    neighbourhood), numbered in id order."""
    params = {"ids": sorted(set(account_ids)), "chunk": READ_CHUNK}
    names = ["accounts", "address_intel", "account_sessions", "reported"]
    # A neighbourhood's rows fit in memory: its statements run side by side.
    fetched = dict(zip(names, graph.read_side_by_side([("detect/some/" + name, params)
                                                       for name in names]), strict=True))
    return _read(lambda name: (tuple(row.values()) for row in fetched[name]))


Rows = Callable[[str], Iterable[tuple[Any, ...]]]


def _read(rows: Rows, side_by_side: bool = False) -> Evidence:
    """Evidence from the rows of the statements of detect/ or detect/some/, as
    `rows(name)` gives them. The accounts come first (they number the rest);
    the others, read meanwhile when `side_by_side`, are taken in after."""
    evidence = Evidence()
    later = ("account_sessions", "address_intel", "reported")
    if side_by_side:
        with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE) as pool:
            pending = [pool.submit(lambda name: list(rows(name)), name) for name in later]
            _take_accounts(evidence, rows("accounts"))
            fetched = [done.result() for done in pending]
    else:
        _take_accounts(evidence, rows("accounts"))
        fetched = [list(rows(name)) for name in later]
    sessions, intel, reported = fetched
    index = evidence.index()
    _take_sessions(evidence, index, sessions)
    for (chunk,) in intel:
        for address, network_type, known, provider, asn, as_org in chunk:
            evidence.ip_intel[address] = {"network_type": network_type, "known": known,
                                          "proxy_provider": provider, "asn": asn,
                                          "as_org": as_org}
    # What other providers reported: one more piece of evidence, never a verdict.
    for (account_id,) in reported:
        if account_id in index:
            evidence.accounts[index[account_id]]["reported"] = True
    # Uses in a canonical order, whatever order the server returns them in (it
    # follows the order of loading), so communities do not depend on it.
    evidence.ip_uses.sort()
    for uses in evidence.entity_uses.values():
        uses.sort()
    return evidence


def _take_accounts(evidence: Evidence, rows: Iterable[tuple[Any, ...]]) -> None:
    """Accounts (numbered in the id order they come in) and their roll-ups."""
    uses = [evidence.entity_uses[kind] for kind in USE_KINDS]
    for (chunk,) in rows:
        for row in chunk:
            account = len(evidence.account_ids)
            evidence.account_ids.append(row[0])
            facts = dict(zip(ACCOUNT_COLUMNS, row[1:15], strict=True))
            facts["status"] = facts["status"] or "active"
            facts["reported"] = False
            evidence.accounts.append(facts)
            for address, sessions in row[15]:
                evidence.ip_uses.append((account, address, int(sessions or 0)))
            for found, rollup in zip(uses, row[16:], strict=True):
                for key, sessions in rollup:
                    found.append((account, key, int(sessions or 0)))


def _take_sessions(evidence: Evidence, index: dict[str, int],
                   rows: Iterable[tuple[Any, ...]]) -> None:
    """Per account: its prompt fingerprints, session counts by UTC hour, start
    times, categories and output tokens, in account order."""
    # An account loaded after the accounts were read is left to the next run.
    found = sorted((index[row[0]], row) for (chunk,) in rows for row in chunk
                   if row[0] in index)
    for account, (_id, fingerprints, starts, categories, output) in found:
        if fingerprints:
            evidence.templates[account] = sorted(int(fp, 16) for fp in fingerprints)
        by_hour = [0] * 24
        for t in starts:
            by_hour[t // 3600 % 24] += 1
        evidence.hours[account] = by_hour
        evidence.starts[account] = sorted(starts)
        if categories:
            evidence.categories[account] = dict(Counter(categories))
        evidence.output_tokens[account] = int(output or 0)


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
