"""Project the account-to-entity graph onto an account-to-account graph.

Every shared entity (an address, a /24 or /48 prefix, a device, a payment
token, an API key, a user agent, a prompt-template family, an org, an e-mail
domain, a sign-up burst: the same hour from one prefix) links the accounts
that share it. Co-activity, sessions started in the same quiet 10-minute
windows again and again, links pairs too (see app.detect.coactivity: it is
tested pair by pair against chance, so it is not a plain shared entity).
A pair's weight is the sum, over what they share, of the entity kind's base
weight divided by the number of other accounts that share it (resource
allocation): a proxy address shared
by a dozen accounts says a lot, a carrier NAT shared by thousands says
little. Intel about an address shifts its base weight (known shared egress
such as mobile, campus and corporate networks says less) without deciding
anything on its own.

Entities shared by more than `hub_size` accounts do not become cliques:
each member links to `hub_degree` others, picked by a seeded shuffle, at
the same per-pair weight. The projection is thus linear in the number of
account-entity links; nothing compares all pairs. A pair is linked when its
summed weight reaches `min_edge_weight`, or its weight from template
families alone reaches the lower `min_template_weight`.
"""

from __future__ import annotations

import random
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.addresses import prefix_of
from app.detect.arrays import sum_by_key
from app.detect.coactivity import CoactivityParams, coactive_pairs
from app.detect.evidence import Evidence
from app.detect.templates import template_families

BASE_WEIGHT = {
    "ip": 1.0,
    "prefix": 0.25,
    "device": 2.0,
    "payment": 2.5,
    "api_key": 2.5,
    "user_agent": 0.25,
    "template": 1.5,
    "org": 1.0,
    "email_domain": 0.25,
    "signup_burst": 1.0,
    # per quiet window shared (times 1 / (population - 1)), only for pairs
    # that meet more often than chance
    "coactivity": 1.0,
}
SIGNUP_BURST_SECONDS = 3600
# How much sharing an address of each kind says, relative to a plain one.
NETWORK_TYPE_FACTOR = {
    "datacenter": 1.2, "proxy": 1.3, "tor": 1.0, "vpn": 0.7, "residential": 1.0,
    "unknown": 1.0, "mobile": 0.5, "education": 0.5, "corporate": 0.6,
}
# Mail providers anyone can use say nothing by being shared.
PUBLIC_MAIL = frozenset(("gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
                         "proton.me", "protonmail.com", "qq.com", "163.com", "gmx.de",
                         "mail.ru", "yandex.ru", "aol.com", "live.com"))


@dataclass
class ProjectionParams:
    hub_size: int = 200
    hub_degree: int = 8
    min_edge_weight: float = 0.05  # about one address shared with twenty others
    # Template families alone keep a link from less: a network that harvests
    # with a handful of task templates shares each family with a hundred
    # heads or more, so each pair's share of it is small, yet pairs that
    # share nothing else would otherwise lose every link (a family shared by
    # about seventy accounts, or two shared by a hundred and fifty).
    min_template_weight: float = 0.02
    # A family counts once two accounts used it, even once each: heads that
    # send mostly one-off reworded tasks share each family with one other
    # head, one session each; the rarity weighting already says how much a
    # family says, and scoring's template_reuse counts such families too.
    min_template_sessions: int = 2
    seed: int = 42
    coactivity: CoactivityParams = field(default_factory=CoactivityParams)


@dataclass
class Projection:
    """The weighted account graph as edge arrays, plus what each entity links."""

    size: int
    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    # entity kind -> entity key -> member account indices (for evidence)
    entities: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # account index -> template families it used, with session counts
    account_families: dict[int, dict[int, int]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    # kind -> entity key -> accounts behind it in the whole population, where
    # the evidence is only part of it (`project(sizes=...)`); template families
    # under kind "template", from the users of their prompts
    population_users: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def edge_count(self) -> int:
        return int(self.sources.size)


def entity_members(evidence: Evidence, params: ProjectionParams,
                   fingerprint_users: dict[str, int] | None = None
                   ) -> tuple[dict[str, dict[str, list[int]]], dict[int, dict[int, int]],
                              dict[str, int]]:
    """For each entity kind, the accounts behind each entity key; the families
    each account used; and, given the population's users of each prompt
    fingerprint, each template family's (the most of any of its prompts)."""
    members: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for account, address, _sessions in evidence.ip_uses:
        members["ip"][address].add(account)
        members["prefix"][prefix_of(address)].add(account)
    for account, facts in enumerate(evidence.accounts):
        if facts.get("signup_ip"):
            members["ip"][facts["signup_ip"]].add(account)
            if facts.get("created") is not None:
                # A sign-up burst: accounts created in the same hour from one prefix.
                hour = int(facts["created"]) // SIGNUP_BURST_SECONDS
                members["signup_burst"][f"{hour}|{prefix_of(facts['signup_ip'])}"].add(account)
        if facts.get("payment"):
            members["payment"][facts["payment"]].add(account)
        if facts.get("org_id"):
            members["org"][facts["org_id"]].add(account)
        domain = facts.get("email_domain")
        if domain and domain not in PUBLIC_MAIL:
            members["email_domain"][domain].add(account)
    for kind, uses in evidence.entity_uses.items():
        for account, key, _sessions in uses:
            members[kind][key].add(account)
    # Evidence pickled before links were kept has none.
    for kind, by_key in getattr(evidence, "links", {}).items():
        for key, accounts in by_key.items():
            members[kind][key].update(accounts)
    families = template_families(fp for fps in evidence.templates.values() for fp in fps)
    account_families: dict[int, dict[int, int]] = {}
    family_sessions: dict[int, int] = defaultdict(int)
    for account, fps in evidence.templates.items():
        used: dict[int, int] = defaultdict(int)
        for fp in fps:
            used[families[fp]] += 1
            family_sessions[families[fp]] += 1
        account_families[account] = dict(used)
    for account, used in account_families.items():
        for family in used:
            if family_sessions[family] >= params.min_template_sessions:
                members["template"][f"{family:016x}"].add(account)
    family_users: dict[str, int] = {}
    for fp, family in families.items() if fingerprint_users else ():
        key = f"{family:016x}"
        family_users[key] = max(family_users.get(key, 0),
                                (fingerprint_users or {}).get(f"{fp:016x}", 0))
    shared = {kind: {key: sorted(accs) for key, accs in by_key.items() if len(accs) > 1}
              for kind, by_key in members.items()}
    return shared, account_families, family_users


def entity_weight(kind: str, users: int, intel: dict[str, Any] | None = None) -> float:
    """What sharing one entity of this kind, with `users` accounts behind it,
    adds to a pair's weight (resource allocation: the kind's base weight over
    the other users; an address's intel shifts it)."""
    weight = BASE_WEIGHT[kind] / max(users - 1, 1)
    if kind == "ip":
        weight *= NETWORK_TYPE_FACTOR.get((intel or {}).get("network_type", "unknown"), 1.0)
    return weight


def project(evidence: Evidence, params: ProjectionParams | None = None,
            sizes: dict[str, dict[str, int]] | None = None,
            focus: np.ndarray | None = None) -> Projection:
    """The weighted account-to-account graph (see the module docstring).

    `sizes` (kind -> key -> accounts) gives the number of accounts behind an
    entity in the whole population when `evidence` holds only part of it (an
    incremental run's neighbourhood): weights and hubs follow the population,
    links only the accounts at hand. With `focus` (bool per account), only
    pairs with a focus account in them are linked: the links among the
    neighbours an incremental run knows only by what they share with its
    accounts say nothing about them."""
    params = params or ProjectionParams()
    sizes = dict(sizes or {})
    rng = random.Random(params.seed)
    shared, account_families, family_users = entity_members(evidence, params,
                                                            sizes.get("fingerprint"))
    if family_users:
        sizes["template"] = family_users
    # Cliques of the same size are expanded together with numpy.
    by_size: dict[int, tuple[list[list[int]], list[float], list[float]]] = \
        defaultdict(lambda: ([], [], []))
    pairs = _Pairs(evidence.size)
    # the pairs of focus runs (_focus_pairs fills them)
    hub_src, hub_dst, hub_wts, hub_tpl = array("q"), array("q"), array("d"), array("d")
    stats: dict[str, int] = defaultdict(int)
    for kind in sorted(shared):
        known = sizes.get(kind, {})
        for key in sorted(shared[kind]):
            accounts = shared[kind][key]
            n = max(len(accounts), known.get(key, 0))
            weight = entity_weight(kind, n, evidence.ip_intel.get(key) if kind == "ip" else None)
            stats[f"{kind}_entities"] += 1
            if focus is not None and n <= params.hub_size:
                _focus_pairs(accounts, focus, weight if kind == "template" else 0.0, weight,
                             (hub_src, hub_dst, hub_wts, hub_tpl))
                continue
            if n <= params.hub_size:
                same_size, same_weights, same_tpl = by_size[len(accounts)]
                same_size.append(accounts)
                same_weights.append(weight)
                same_tpl.append(weight if kind == "template" else 0.0)
                continue
            stats["hubs"] += 1
            order = accounts[:]
            rng.shuffle(order)
            ring = np.asarray(order, dtype=np.int64)
            for step in range(1, min(params.hub_degree // 2, len(order) - 1) + 1):
                src, dst = ring, np.roll(ring, -step)
                if focus is not None:
                    either = focus[src] | focus[dst]
                    src, dst = src[either], dst[either]
                pairs.add(src, dst, np.full(src.size, weight),
                          np.full(src.size, weight if kind == "template" else 0.0))
    if hub_src:
        pairs.add(np.frombuffer(hub_src, dtype=np.int64), np.frombuffer(hub_dst, dtype=np.int64),
                  np.frombuffer(hub_wts, dtype=np.float64),
                  np.frombuffer(hub_tpl, dtype=np.float64))
    for n, (members, entity_weights, template_weights) in sorted(by_size.items()):
        matrix = np.asarray(members, dtype=np.int64)
        upper_i, upper_j = np.triu_indices(n, 1)
        pairs.add(matrix[:, upper_i].ravel(), matrix[:, upper_j].ravel(),
                  np.repeat(np.asarray(entity_weights), len(upper_i)),
                  np.repeat(np.asarray(template_weights), len(upper_i)))
    # Evidence pickled before start times were read has no `starts`: no co-activity.
    starts = getattr(evidence, "starts", None)
    if params.coactivity.enabled and starts:
        co = coactive_pairs(starts, evidence.size, params.coactivity)
        pairs.add(co.sources, co.targets, co.weights * BASE_WEIGHT["coactivity"],
                  np.zeros(co.weights.size))
        if co.windows:
            shared["coactivity"] = co.windows
        stats.update(co.stats)
    sources, targets, summed, templates = pairs.summed()
    keep = (summed >= params.min_edge_weight) | (templates >= params.min_template_weight)
    stats["pairs"] = int(summed.size)
    stats["edges"] = int(keep.sum())
    return Projection(size=evidence.size, sources=sources[keep], targets=targets[keep],
                      weights=summed[keep], entities=shared,
                      account_families=account_families, stats=dict(stats),
                      population_users=sizes)


def _focus_pairs(accounts: list[int], focus: np.ndarray, template: float, weight: float,
                 out: tuple[array, array, array, array]) -> None:
    """The pairs of an entity's accounts with a focus account in them."""
    src, dst, wts, tpl = out
    inside = [a for a in accounts if focus[a]]
    if not inside:
        return
    others = [a for a in accounts if not focus[a]]
    for i, a in enumerate(inside):
        for b in inside[i + 1:]:
            src.append(a)
            dst.append(b)
        for b in others:
            src.append(a)
            dst.append(b)
    added = len(inside) * (len(inside) - 1) // 2 + len(inside) * len(others)
    wts.extend([weight] * added)
    tpl.extend([template] * added)


class _Pairs:
    """Account pairs with weights, gathered part by part as keys (the smaller
    index first, `lo * size + hi`) so that the parts themselves are not held;
    weights from template families also kept apart, for the pairs that have
    any."""

    def __init__(self, size: int):
        self.size = size
        self.keys: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.template_keys: list[np.ndarray] = []
        self.template_weights: list[np.ndarray] = []

    def add(self, src: np.ndarray, dst: np.ndarray, weights: np.ndarray,
            templates: np.ndarray) -> None:
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        keep = lo != hi
        keys = lo[keep] * self.size + hi[keep]
        self.keys.append(keys)
        self.weights.append(weights[keep])
        from_templates = templates[keep]
        some = from_templates > 0
        if some.any():
            self.template_keys.append(keys[some])
            self.template_weights.append(from_templates[some])

    def summed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sources, targets, summed weights and the part from template families,
        one entry per distinct pair, in key order."""
        keys, summed, _times = sum_by_key(self.keys, self.weights)
        template_keys, template_sums, _times = sum_by_key(self.template_keys,
                                                          self.template_weights)
        templates = np.zeros(keys.size)
        templates[np.searchsorted(keys, template_keys)] = template_sums
        return keys // self.size, keys % self.size, summed, templates
