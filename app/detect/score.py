"""Score communities and their members from explainable features.

Each feature compares the community with the whole population and gives a
contribution between 0 and its weight, with a sentence an investigator can
check ("92% of sessions ask for step-by-step reasoning (population: 7%)").
Features fall in two families: coordination (shared payment, devices,
addresses, proxies, sign-up waves, scripted clients, lockstep hours,
template reuse, volume, enforcement and regrowth) and extraction intent
(reasoning requests, sensitive rewrites). A hydra network needs both: a legit
integrator is coordinated without extracting, a student is extracting alone.

score = 1 - exp(-sum of contributions), in [0, 1). A community is flagged
when its score reaches `flag_score`, its intent reaches `min_intent` and it
has at least `min_size` members. Members are flagged with their network
unless most of their links lead outside it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from app.detect.evidence import Evidence
from app.detect.project import Projection

SCRIPTED = re.compile(
    r"python|httpx|requests|aiohttp|curl|wget|node-fetch|axios|go-http|okhttp|java/|"
    r"libwww|openai/|anthropic/|postman|insomnia|scrapy|headless", re.I)
PROXY_TYPES = frozenset(("datacenter", "proxy", "vpn", "tor"))
SHARED_EGRESS = frozenset(("mobile", "education", "corporate"))
# Networks of known institutions: a class or an office behind one address.
INSTITUTIONAL = frozenset(("education", "corporate"))
DAY = 86_400


@dataclass
class ScoreParams:
    min_size: int = 3
    flag_score: float = 0.7
    min_intent: float = 0.25
    min_member_strength: float = 0.25
    wave_hours: int = 72


@dataclass
class Feature:
    name: str
    family: str  # coordination | intent | mitigation
    value: float
    baseline: float | None
    contribution: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "value": round(self.value, 4),
                "baseline": None if self.baseline is None else round(self.baseline, 4),
                "contribution": round(self.contribution, 4), "reason": self.reason}


@dataclass
class CommunityScore:
    members: list[int]
    score: float
    intent: float
    flagged: bool
    features: list[Feature]
    facts: dict[str, Any] = field(default_factory=dict)
    # member -> what ties it to the network by itself (shared payment, device,
    # key or template family; its own extraction requests)
    member_evidence: dict[int, set[str]] = field(default_factory=dict)

    def top_reasons(self, n: int = 3) -> list[str]:
        ranked = sorted((f for f in self.features if f.contribution > 0),
                        key=lambda f: -f.contribution)
        return [f.reason for f in ranked[:n]]


@dataclass
class Population:
    """Baselines of the whole population."""

    reasoning_rate: float
    rewrite_rate: float
    median_requests: float
    scripted_share: float
    proxy_share: float
    enforced_share: float
    busiest_8h_share: float


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """'1 account', '3 accounts'."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def _excess(value: float, baseline: float) -> float:
    """How far value rises above the baseline towards 1 (0 when not above)."""
    if value <= baseline or baseline >= 1:
        return 0.0
    return min(1.0, (value - baseline) / (1 - baseline))


def account_session_shares(evidence: Evidence
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account: sessions via scripted clients, via proxy-type addresses and via
    known campus or company networks."""
    n = evidence.size
    institutional = np.zeros(n)
    scripted = np.zeros(n)
    for account, agent, sessions in evidence.entity_uses.get("user_agent", []):
        if SCRIPTED.search(agent):
            scripted[account] += sessions
    proxied = np.zeros(n)
    for account, address, sessions in evidence.ip_uses:
        kind = evidence.ip_intel.get(address, {}).get("network_type")
        if kind in PROXY_TYPES:
            proxied[account] += sessions
        elif kind in INSTITUTIONAL:
            institutional[account] += sessions
    return scripted, proxied, institutional


def busiest_window_share(hours: list[int] | np.ndarray, width: int = 8) -> float:
    total = float(sum(hours))
    if total == 0:
        return 0.0
    doubled = list(hours) + list(hours)
    return max(sum(doubled[i:i + width]) for i in range(24)) / total


def typical_rate(numerators: np.ndarray, sessions: np.ndarray) -> float:
    """The rate of a typical account: the mean of per-account rates between the
    10th and 90th percentile, so a minority of heavy or fake accounts does not
    move the baseline they are compared with."""
    active = sessions > 0
    if not active.any():
        return 0.0
    rates = np.sort(numerators[active] / sessions[active])
    lo, hi = int(len(rates) * 0.1), max(int(len(rates) * 0.9), 1)
    trimmed = rates[lo:hi] if hi > lo else rates
    return float(trimmed.mean())


def population(evidence: Evidence, scripted: np.ndarray, proxied: np.ndarray) -> Population:
    accounts = evidence.accounts
    sessions = np.array([a["sessions"] for a in accounts], dtype=float)
    per_session = [a["requests"] / a["sessions"] for a in accounts if a["sessions"]]
    hours = np.zeros(24)
    for row in evidence.hours.values():
        hours += np.asarray(row)
    enforced = sum(a["status"] in ("banned", "suspended") for a in accounts)
    return Population(
        reasoning_rate=typical_rate(np.array([a["reasoning"] for a in accounts], float),
                                    sessions),
        rewrite_rate=typical_rate(np.array([a["rewrites"] for a in accounts], float), sessions),
        median_requests=median(per_session) if per_session else 1.0,
        scripted_share=typical_rate(scripted, sessions),
        proxy_share=typical_rate(proxied, sessions),
        enforced_share=enforced / max(evidence.size, 1),
        busiest_8h_share=busiest_window_share(hours),
    )


def _shared_within(members: list[int], kind: str,
                   entity_index: dict[str, dict[int, list[str]]],
                   keep: Callable[[str], bool] | None = None) -> tuple[set[int], int]:
    """Members that share an entity of this kind with another member; how many entities.

    Walks the members' own entity keys, never an entity's whole member list, so
    a carrier NAT shared by thousands costs no more than a private address.
    """
    per_account = entity_index.get(kind, {})
    users: dict[str, list[int]] = defaultdict(list)
    for m in members:
        for key in per_account.get(m, ()):
            if keep is None or keep(key):
                users[key].append(m)
    sharing: set[int] = set()
    count = 0
    for accounts in users.values():
        if len(accounts) > 1:
            sharing.update(accounts)
            count += 1
    return sharing, count


@dataclass
class ScoringContext:
    """What scoring needs besides a group, computed once per run."""

    evidence: Evidence
    projection: Projection
    population: Population
    scripted: np.ndarray
    proxied: np.ndarray
    institutional: np.ndarray
    entity_index: dict[str, dict[int, list[str]]]
    params: ScoreParams

    @classmethod
    def build(cls, evidence: Evidence, projection: Projection,
              params: ScoreParams | None = None) -> ScoringContext:
        scripted, proxied, institutional = account_session_shares(evidence)
        return cls(evidence, projection, population(evidence, scripted, proxied), scripted,
                   proxied, institutional, entity_index(projection), params or ScoreParams())


def score_community(members: list[int], ctx: ScoringContext) -> CommunityScore:
    """The score of one community, computed on its core.

    The core is the members that carry some of the network's signature
    themselves (shared payment, device, key or template family, or their own
    extraction requests). Strangers attached only through a shared proxy exit
    or carrier NAT would otherwise dilute a ring's evidence.
    """
    whole = _score_members(members, ctx)
    core = [m for m in members if whole.member_evidence.get(m)]
    if len(core) == len(members) or len(core) < ctx.params.min_size:
        return whole
    result = _score_members(core, ctx)
    result.members = members
    result.member_evidence = whole.member_evidence
    result.facts.update(size=len(members), core=len(core), attached=len(members) - len(core))
    return result


def _score_members(members: list[int], ctx: ScoringContext) -> CommunityScore:
    """The features and score of a group of accounts."""
    evidence, projection, pop = ctx.evidence, ctx.projection, ctx.population
    scripted, proxied, entity_index, params = (ctx.scripted, ctx.proxied, ctx.entity_index,
                                               ctx.params)
    accounts = [evidence.accounts[i] for i in members]
    n = len(members)
    sessions = sum(a["sessions"] for a in accounts) or 1
    features: list[Feature] = []
    own: dict[int, set[str]] = {m: set() for m in members}

    def add(name: str, family: str, value: float, baseline: float | None, weight: float,
            strength: float, reason: str) -> None:
        features.append(Feature(name, family, value, baseline, weight * strength, reason))

    # -- intent ------------------------------------------------------------
    reasoning = sum(a["reasoning"] for a in accounts) / sessions
    add("reasoning_requests", "intent", reasoning, pop.reasoning_rate, 1.0,
        _excess(reasoning, pop.reasoning_rate * 2),
        f"{_pct(reasoning)} of sessions ask for step-by-step reasoning "
        f"(population: {_pct(pop.reasoning_rate)})")
    rewrites = sum(a["rewrites"] for a in accounts) / sessions
    add("sensitive_rewrites", "intent", rewrites, pop.rewrite_rate, 1.0,
        _excess(rewrites, max(pop.rewrite_rate * 3, 0.02)) * 1.5,
        f"{_pct(rewrites)} of sessions ask for censorship-safe rewrites "
        f"(population: {_pct(pop.rewrite_rate)})")
    per_session = median([a["requests"] / a["sessions"] for a in accounts if a["sessions"]]
                         or [0])
    ratio = per_session / max(pop.median_requests, 1e-9)
    add("volume", "coordination", per_session, pop.median_requests, 0.5,
        min(1.0, max(0.0, math.log10(ratio) / math.log10(10))) if ratio > 2 else 0.0,
        f"median {per_session:.0f} requests per session "
        f"(population: {pop.median_requests:.0f})")

    # -- coordination --------------------------------------------------------
    for kind, label, weight in (("payment", "payment token", 0.6), ("device", "device", 0.5),
                                ("api_key", "API key", 0.5)):
        sharing, count = _shared_within(members, kind, entity_index)
        for m in sharing:
            own[m].add(kind)
        share = len(sharing) / n
        add(f"{kind}_reuse", "coordination", share, None, weight, share if count else 0.0,
            f"{_n(len(sharing), 'account')} share {_n(count, label)}")
    sharing, count = _shared_within(
        members, "ip", entity_index,
        keep=lambda k: evidence.ip_intel.get(k, {}).get("network_type") not in SHARED_EGRESS)
    share = len(sharing) / n
    add("address_sharing", "coordination", share, None, 0.5, share,
        f"{_n(len(sharing), 'account')} share {_n(count, 'address', 'addresses')}")
    proxy = float(proxied[members].sum()) / sessions
    add("proxy_traffic", "coordination", proxy, pop.proxy_share, 0.5,
        _excess(proxy, pop.proxy_share),
        f"{_pct(proxy)} of sessions come from datacenter, proxy, VPN or Tor addresses "
        f"(population: {_pct(pop.proxy_share)})")
    scripted_share = float(scripted[members].sum()) / sessions
    add("scripted_clients", "coordination", scripted_share, pop.scripted_share, 0.3,
        _excess(scripted_share, pop.scripted_share),
        f"{_pct(scripted_share)} of sessions use scripted clients "
        f"(population: {_pct(pop.scripted_share)})")
    reuse, families, template_users = _template_reuse(members, projection)
    for m in template_users:
        own[m].add("template")
    add("template_reuse", "coordination", reuse, None, 0.6, reuse,
        f"{_pct(reuse)} of sessions reuse {_n(families, 'near-duplicate prompt template')} "
        "shared across members")
    wave_share, wave_start = _signup_wave(accounts, params.wave_hours)
    add("signup_wave", "coordination", wave_share, None, 0.6,
        max(0.0, (wave_share - 0.3) / 0.7) if n >= 5 else 0.0,
        f"{_pct(wave_share)} of accounts signed up within {params.wave_hours} hours"
        + (f" from {wave_start}" if wave_start else ""))
    hours = np.zeros(24)
    for i in members:
        if i in evidence.hours:
            hours += np.asarray(evidence.hours[i])
    lockstep = busiest_window_share(hours)
    add("lockstep_hours", "coordination", lockstep, pop.busiest_8h_share, 0.3,
        _excess(lockstep, max(pop.busiest_8h_share, 8 / 24) + 0.1),
        f"{_pct(lockstep)} of sessions fall in the same 8 hours of the day "
        f"(population: {_pct(pop.busiest_8h_share)})")
    enforced = sum(a["status"] in ("banned", "suspended") for a in accounts) / n
    add("enforcement_history", "coordination", enforced, pop.enforced_share, 0.6,
        _excess(enforced, pop.enforced_share * 3),
        f"{_pct(enforced)} of accounts already banned or suspended "
        f"(population: {_pct(pop.enforced_share)})")
    heads = len(new_head_members(members, accounts))
    add("regrowth", "coordination", heads, None, 0.5, min(1.0, heads / max(3.0, n * 0.1)),
        f"{_n(heads, 'account')} signed up after other members were banned (new heads)")

    # -- mitigation ------------------------------------------------------------
    orgs = Counter(a["org_id"] for a in accounts if a.get("org_id"))
    org_share = (orgs.most_common(1)[0][1] / n) if orgs else 0.0
    if org_share >= 0.8:
        add("declared_organisation", "mitigation", org_share, None, -1.0, org_share,
            f"{_pct(org_share)} of accounts belong to one declared organisation")
    institutional = float(ctx.institutional[members].sum()) / sessions
    if institutional >= 0.3:
        add("institutional_network", "mitigation", institutional, None, -1.0, institutional,
            f"{_pct(institutional)} of sessions come from known campus or company networks")

    for m, facts_m in zip(members, accounts, strict=True):
        if _own_intent(facts_m, pop) >= 0.2:
            own[m].add("intent")
    total = max(0.0, sum(f.contribution for f in features))
    score = 1 - math.exp(-total)
    intent = sum(f.contribution for f in features if f.family == "intent")
    flagged = (n >= params.min_size and score >= params.flag_score
               and intent >= params.min_intent)
    if flagged and org_share >= 0.8:
        # One declared organisation under one billing is a customer, not a hydra,
        # unless it also shows what only fake-account farms show.
        farm = sum(f.contribution for f in features
                   if f.name in ("signup_wave", "enforcement_history", "regrowth"))
        flagged = farm > 0.2
    facts = {
        "size": n, "sessions": sessions,
        "requests": sum(a["requests"] for a in accounts),
        "tokens": sum(a["tokens"] for a in accounts),
        "banned": sum(a["status"] == "banned" for a in accounts),
        "shared_addresses": count, "template_families": families, "new_heads": heads,
    }
    return CommunityScore(members, score, intent, flagged, features, facts, own)


PRIOR_SESSIONS = 5


def _own_intent(facts: dict[str, Any], pop: Population) -> float:
    """An account's own extraction requests, shrunk towards the population for
    accounts with few sessions (one reasoning request out of two says little)."""
    sessions = facts["sessions"] + PRIOR_SESSIONS
    reasoning = (facts["reasoning"] + PRIOR_SESSIONS * pop.reasoning_rate) / sessions
    rewrites = (facts["rewrites"] + PRIOR_SESSIONS * pop.rewrite_rate) / sessions
    return max(_excess(reasoning, pop.reasoning_rate * 2),
               _excess(rewrites, max(pop.rewrite_rate * 3, 0.02)))


def _template_reuse(members: list[int], projection: Projection
                    ) -> tuple[float, int, set[int]]:
    """Share of members' sessions in template families used by several members,
    how many such families, and the members that use them."""
    users: dict[int, int] = defaultdict(int)
    total = 0
    for m in members:
        for family, count in projection.account_families.get(m, {}).items():
            users[family] += 1
            total += count
    if total == 0:
        return 0.0, 0, set()
    need = max(3, math.ceil(0.1 * len(members)))
    shared = {f for f, u in users.items() if u >= need}
    reused = 0
    reusers: set[int] = set()
    for m in members:
        for family, count in projection.account_families.get(m, {}).items():
            if family in shared:
                reused += count
                reusers.add(m)
    return reused / total, len(shared), reusers


def _signup_wave(accounts: list[dict[str, Any]], hours: int) -> tuple[float, str | None]:
    created = sorted(a["created"] for a in accounts if a.get("created") is not None)
    if len(created) < 2:
        return 0.0, None
    width = hours * 3600
    best, best_start, j = 0, created[0], 0
    for i, start in enumerate(created):
        while j < len(created) and created[j] - start <= width:
            j += 1
        if j - i > best:
            best, best_start = j - i, start
    from datetime import UTC, datetime

    return best / len(accounts), datetime.fromtimestamp(best_start, UTC).strftime("%Y-%m-%d")


def new_head_members(members: list[int], accounts: list[dict[str, Any]]) -> list[int]:
    """Members (of `members`, facts in `accounts`) that signed up after another
    member was banned and are not banned themselves: the regrown heads."""
    bans = [a["status_changed"] for a in accounts
            if a["status"] == "banned" and a.get("status_changed") is not None]
    if not bans:
        return []
    first_ban = min(bans)
    return [m for m, a in zip(members, accounts, strict=True)
            if a.get("created") is not None and a["created"] > first_ban
            and a["status"] != "banned"]


def member_strength(projection: Projection, groups: list[list[int]]) -> dict[int, float]:
    """Per account: the share of its link weight that stays inside its community."""
    group_of = {m: g for g, members in enumerate(groups) for m in members}
    inside: dict[int, float] = defaultdict(float)
    total: dict[int, float] = defaultdict(float)
    for a, b, w in zip(projection.sources.tolist(), projection.targets.tolist(),
                       projection.weights.tolist(), strict=True):
        total[a] += w
        total[b] += w
        if group_of.get(a) is not None and group_of.get(a) == group_of.get(b):
            inside[a] += w
            inside[b] += w
    return {a: inside[a] / total[a] for a in total if total[a] > 0}


def entity_index(projection: Projection) -> dict[str, dict[int, list[str]]]:
    """kind -> account -> the shared entity keys it touches."""
    index: dict[str, dict[int, list[str]]] = {}
    for kind, by_key in projection.entities.items():
        per_account: dict[int, list[str]] = defaultdict(list)
        for key, accounts in by_key.items():
            for a in accounts:
                per_account[a].append(key)
        index[kind] = per_account
    return index


def score_groups(ctx: ScoringContext, groups: list[list[int]]) -> list[CommunityScore]:
    """Scores of the groups large enough to be networks."""
    return [score_community(g, ctx) for g in groups if len(g) >= ctx.params.min_size]


def score_all(evidence: Evidence, projection: Projection, groups: list[list[int]],
              params: ScoreParams | None = None, ctx: ScoringContext | None = None
              ) -> tuple[list[CommunityScore], dict[int, tuple[float, bool]], Population]:
    """Scores of every community and of every member: (score, flagged) per account."""
    ctx = ctx or ScoringContext.build(evidence, projection, params)
    params = ctx.params
    strength = member_strength(projection, groups)
    scored = score_groups(ctx, groups)
    per_account: dict[int, tuple[float, bool]] = {}
    for community in scored:
        for m in community.members:
            s = strength.get(m, 0.0)
            # A member flagged with its network must also carry some of the
            # network's signature itself: a stranger on a shared carrier NAT or
            # proxy exit that the network also used is not one of its heads.
            own = bool(community.member_evidence.get(m))
            account_score = community.score * (0.5 + 0.5 * s) * (1.0 if own else 0.5)
            per_account[m] = (account_score, community.flagged and own
                              and s >= params.min_member_strength)
    return scored, per_account, ctx.population
