"""Score communities and their members from the evidence of app.detect.features.

A community's score is a probability: the logistic of its log-odds, which
start at a prior and add each feature's evidence in nats.

    intent   = INTENT_WEIGHT * power mean(purpose, mean of the other measures)
    log-odds = PRIOR + intent + min(place and time shared + farm signals, intent)
               + min(credentials shared, intent) - mitigations

(credentials in the first bound with the rest unless more members share
them than a household has, not under one billing, and the members ask for
reasoning or rewrites at twice the population's rate together).

The purpose is the extraction requests themselves (reasoning, rewrites); the
means are harvest size, daily volume, answer length, distinct templates and
subject sweep. Both are needed: a class that asks for reasoning at low
volume, or an agency harvesting long answers without asking for any, has
little intent. Sharing kinds count with halving weights (the strongest
SHARE_WEIGHT), and coordination never counts for more than the intent:
once for what members share as people in one place and time (addresses,
templates, waves, hours), once for the cards, devices and keys a farm spreads
over its heads. The prior puts the balance at a typical member above the
90th percentile of the population on every intent measure
(INTENT_MIDPOINT); what customers have
(a declared organisation with its one billing, whose other coordination is
then expected, an institutional domain or network, established accounts,
a few templates reused at low volume) takes away. A group is flagged
when its score reaches one half, it has at least `min_size` members, and
the number of groups that chance alone would flag in this run stays under
the false-positive budget (estimated on the data being scored by scoring
random groups of the same sizes, see `chance_threshold`).

Members are flagged with their network when they carry some of its
signature themselves and a quarter of their links stay inside it: an entity
that ties them to the network's body or to members that harvest themselves,
their own extraction profile with a third of their links to the members that
share the network's entities (and, where the network has a likeness, alike to
it), or a likeness to the network (`alike_members`): its profile and
addresses, or its habits (`Habits`: the network's sign-up days, client and
shift, against what the population's accounts reach by chance). A network
with too few such members for a likeness is read from its own exits
(`_mark_own_addresses`) and the habits of the whole community.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.detect.communities import connected
from app.detect.evidence import Evidence
from app.detect.features import (
    DAY,
    FEATURES,
    HUB_USERS,
    INSTITUTIONAL,
    INTENT_MEASURES,
    MARK_KINDS,
    PROXY_TYPES,
    Feature,
    Group,
    Reference,
    build_reference,
    declared_organisation,
    logit,
    new_head_members,
    reference_from_snapshot,
)
from app.detect.project import Projection

__all__ = ["CommunityScore", "Feature", "ScoreParams", "ScoringContext", "new_head_members",
           "score_all", "score_groups", "member_strength"]

SCRIPTED = re.compile(
    r"python|httpx|requests|aiohttp|curl|wget|node-fetch|axios|go-http|okhttp|java/|"
    r"libwww|openai/|anthropic/|postman|insomnia|scrapy|headless", re.I)
INTENT_WEIGHT = 2.0
# Nearer the smaller figure than the harmonic mean (-1): measured on the sweep,
# -2 keeps its worst F1 and cuts its worst look-alike cohort from 34% to 11%.
INTENT_POWER = -2.0
MEASURE_FEATURE = {"extraction": "extraction_requests", "harvest": "harvest",
                   "daily_volume": "daily_volume", "answer_length": "answer_length",
                   "task_diversity": "task_diversity", "subject_sweep": "subject_sweep"}
INTENT_MIDPOINT = logit(0.9)
PRIOR = -INTENT_WEIGHT * INTENT_MIDPOINT
# Sharing beyond chance establishes a group; it does not make it a harvest.
# The strongest kind counts SHARE_WEIGHT, each further kind half the one
# before, so five kinds of sharing never outweigh what extraction needs.
SHARE_WEIGHT = 0.4
FARM_ONLY = frozenset(("enforcement_history", "regrowth"))
# The share of a group under one declared organisation's billing from which
# it is that customer's (its coordination is expected of it).
CUSTOMER = 0.8
CREDENTIALS = frozenset(("payment_reuse", "device_reuse", "api_key_reuse"))
CREDENTIAL_KINDS = ("payment", "device", "api_key")
# The most people a family shares a card or a device with.
HOUSEHOLD = 6
SHARING = frozenset(("payment_reuse", "device_reuse", "api_key_reuse", "address_sharing",
                     "template_reuse"))


@dataclass
class ScoreParams:
    min_size: int = 3
    flag_score: float = 0.5
    # Groups flagged by chance alone per run, at most (estimated on the data).
    fp_budget: float = 0.1
    chance_draws: int = 24
    min_member_strength: float = 0.25
    # A member's own extraction profile counts as evidence from this mean percentile.
    own_intent: float = 0.85
    # The least share of a community its core must hold to be scored alone.
    min_core: float = 0.2
    wave_hours: int = 72
    seed: int = 42


@dataclass
class CommunityScore:
    members: list[int]
    score: float
    intent: float
    flagged: bool
    features: list[Feature]
    facts: dict[str, Any] = field(default_factory=dict)
    # member -> what ties it to the network by itself (shared payment, device,
    # key or template family; its own extraction profile)
    member_evidence: dict[int, set[str]] = field(default_factory=dict)

    def top_reasons(self, n: int = 3) -> list[str]:
        ranked = sorted((f for f in self.features if f.contribution > 0),
                        key=lambda f: -f.contribution)
        return [f.reason for f in ranked[:n]]


@dataclass
class Population:
    """Figures of the whole population, stored with the run."""

    reasoning_rate: float
    rewrite_rate: float
    medians: dict[str, float]
    scripted_share: float
    proxy_share: float
    enforced_share: float
    busiest_8h_share: float
    chance_threshold: float = 0.0
    chance_flags: float = 0.0


def account_session_shares(evidence: Evidence
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account: sessions via scripted clients, via proxy-type addresses and via
    known campus or company networks."""
    n = evidence.size
    institutional = np.zeros(n)
    scripted = np.zeros(n)
    is_scripted: dict[str, bool] = {}
    for account, agent, sessions in evidence.entity_uses.get("user_agent", []):
        known = is_scripted.get(agent)
        if known is None:
            known = is_scripted[agent] = SCRIPTED.search(agent) is not None
        if known:
            scripted[account] += sessions
    proxied = np.zeros(n)
    for account, address, sessions in evidence.ip_uses:
        kind = evidence.ip_intel.get(address, {}).get("network_type")
        if kind in PROXY_TYPES:
            proxied[account] += sessions
        elif kind in INSTITUTIONAL:
            institutional[account] += sessions
    return scripted, proxied, institutional


@dataclass
class ScoringContext:
    """What scoring needs besides a group, computed once per run."""

    evidence: Evidence
    projection: Projection
    ref: Reference
    params: ScoreParams
    # log-odds a group needs besides a score of one half (raised only when chance
    # groups would otherwise be flagged more often than the budget allows)
    threshold: float = 0.0
    chance_flags: float = 0.0
    # group members -> results of the features that read no percentiles
    fixed: dict[tuple[int, ...], dict[str, Any]] = field(default_factory=dict)
    # An incremental run judges accounts that arrived after its parent: a
    # network's sign-up period, for a profile alike to its own, runs to now.
    open_ended: bool = False
    _addresses: dict[int, dict[str, int]] | None = None
    _hours: np.ndarray | None = None
    _habit_base: HabitBase | None = None

    @property
    def hours(self) -> np.ndarray:
        """Sessions per account and UTC hour of the day (accounts x 24, built
        once per run)."""
        if self._hours is None:
            table = np.zeros((self.evidence.size, 24))
            for account, row in self.evidence.hours.items():
                table[account] = row
            self._hours = table
        return self._hours

    def group(self, members: list[int]) -> Group:
        """The members as a Group for the features."""
        return Group(members, [self.evidence.accounts[m] for m in members], self.evidence,
                     self.projection, self.ref, self.params.wave_hours)

    @property
    def habit_base(self) -> HabitBase:
        """The population habits are measured against (built once per run)."""
        if self._habit_base is None:
            self._habit_base = HabitBase.of(self)
        return self._habit_base

    @property
    def addresses(self) -> dict[int, dict[str, int]]:
        """Per account: the addresses it used, with its sessions through each
        (built once per run)."""
        if self._addresses is None:
            found: dict[int, dict[str, int]] = defaultdict(dict)
            for account, address, sessions in self.evidence.ip_uses:
                used = found[account]
                used[address] = used.get(address, 0) + sessions
            self._addresses = dict(found)
        return self._addresses

    @classmethod
    def build(cls, evidence: Evidence, projection: Projection,
              params: ScoreParams | None = None) -> ScoringContext:
        scripted, proxied, institutional = account_session_shares(evidence)
        ref = build_reference(evidence, projection, scripted, proxied, institutional)
        return cls(evidence, projection, ref, params or ScoreParams())

    @classmethod
    def from_snapshot(cls, evidence: Evidence, projection: Projection,
                      snapshot: dict[str, Any], sizes: dict[str, dict[str, int]],
                      params: ScoreParams | None = None) -> ScoringContext:
        """Scoring of part of a population (an incremental run's neighbourhood)
        as the run whose `snapshot` (Reference.snapshot plus its threshold) it
        is would have scored it: its population figures and chance threshold."""
        scripted, proxied, institutional = account_session_shares(evidence)
        ref = reference_from_snapshot(evidence, projection, scripted, proxied, institutional,
                                      snapshot, sizes)
        ctx = cls(evidence, projection, ref, params or ScoreParams(), open_ended=True)
        ctx.threshold = float(snapshot.get("threshold", 0.0))
        ctx.chance_flags = float(snapshot.get("chance_flags", 0.0))
        return ctx

    def snapshot(self) -> dict[str, Any]:
        """What an incremental run built on this run needs to score as it did."""
        return {**self.ref.snapshot(), "threshold": self.threshold,
                "chance_flags": self.chance_flags}

    @property
    def population(self) -> Population:
        ref = self.ref
        return Population(
            reasoning_rate=ref.reasoning_rate, rewrite_rate=ref.rewrite_rate,
            medians={name: round(ref.median(name), 4) for name in INTENT_MEASURES},
            scripted_share=ref.scripted_share, proxy_share=ref.proxy_share,
            enforced_share=ref.enforced_share, busiest_8h_share=ref.busiest_8h_share,
            chance_threshold=round(self.threshold, 4), chance_flags=round(self.chance_flags, 4))


def _log_odds(features: list[Feature]) -> float:
    return PRIOR + sum(f.contribution for f in features)


def evaluate_group(members: list[int], ctx: ScoringContext, keep: bool = True
                   ) -> tuple[list[Feature], dict[int, set[str]]]:
    """Every feature of a group, and what ties each member to it by itself.

    Features that read no percentiles are kept per group (`keep`) for the next
    pass after the reference is taken again."""
    group = ctx.group(members)
    own: dict[int, set[str]] = {m: set() for m in members}
    features: list[Feature] = []
    shared: list[tuple[float, int]] = []
    key = tuple(members)
    fixed = ctx.fixed.get(key) if keep else None
    computed: dict[str, Any] = {}
    for spec in FEATURES:
        result = (fixed[spec.name] if fixed is not None and not spec.ranked
                  else spec.compute(group))
        if not spec.ranked:
            computed[spec.name] = result
        weight = 1.0
        if spec.name in SHARING:
            (value, baseline, nats, reason), sharers = result
            if spec.marks:
                for m in sharers:
                    own[m].add(spec.marks)
            shared.append((nats, len(features)))
        else:
            value, baseline, nats, reason = result
        sign = -1.0 if spec.family == "mitigation" else 1.0
        features.append(Feature(spec.name, spec.family, float(value), baseline,
                                sign * weight * nats, reason))
    for rank, (nats, index) in enumerate(sorted(shared, key=lambda s: -s[0])):
        features[index].contribution = SHARE_WEIGHT * 0.5 ** rank * nats
    customer = next(f.value for f in features if f.name == "declared_organisation")
    if customer >= CUSTOMER:
        # One customer's accounts share its offices, billing and app, sign up
        # together and work office hours by design; only bans and regrowth
        # still say farm.
        for feature in features:
            if feature.family == "coordination" and feature.contribution > 0 and \
                    feature.name not in FARM_ONLY:
                feature.contribution *= 1 - customer
                feature.reason += " (expected of one declared organisation)"
    if keep and fixed is None:
        ctx.fixed[key] = computed
    _combine_intent(features, ctx.ref.informative)
    bound_coordination(features, spreads_credentials(group, features, ctx))
    _keep_ties_to_the_network(group, own, ctx)
    for m in members:
        if own_intent(m, ctx.ref) >= ctx.params.own_intent:
            own[m].add("intent")
    return features, own


def spreads_credentials(group: Group, features: list[Feature], ctx: ScoringContext) -> bool:
    """Whether the group's shared cards, devices and keys are a farm's: spread
    over more members than one household has, not one customer's one billing,
    and the members ask for reasoning or rewrites together (`asks_for_extraction`)."""
    billed = next(f.value for f in features if f.name == "one_billing")
    if billed >= CUSTOMER:
        return False
    sharers = set().union(*(group.own_sharers(kind) for kind in CREDENTIAL_KINDS))
    return len(sharers) > HOUSEHOLD and asks_for_extraction(group.members, ctx)


def _keep_ties_to_the_network(group: Group, own: dict[int, set[str]],
                              ctx: ScoringContext) -> None:
    """Shared entities tie a member to the network only when they tie it to much
    of it, or to members that harvest themselves.

    Members linked by the group's own entities form components; a household
    sharing its card, or a team its key, is a small component of ordinary
    accounts inside a network's community, and its card says they belong
    together, not that they belong to the network. The largest component
    (the network's body) keeps its marks; another keeps them when its
    members' own extraction profile is halfway from ordinary (one half) to
    the mark of their own (`own_intent`) and they ask for extraction
    themselves (`asks_for_extraction`): volume, templates and a sweep of
    subjects are what a busy household has too; the purpose is a harvest's.
    (A component that is one declared customer must also be flagged on its
    own, `_stands_alone_if_a_customer`.) When the largest component does not
    harvest, those that do are more members together, and its links outside
    itself go less to the other components than to everyone else, they are the body
    and the largest is not: a network that gives each ring of its heads its
    own API key, in one community with a hobby club on the club's own few
    templates, has no component as big as the club, and the club is linked to
    no ring. (Quiet heads on the network's own templates share its exits.)"""
    components = [held for held in ([m for m in c if own[m]]
                                    for c in group.marked_components()) if held]
    if not components:
        return
    bar = (0.5 + ctx.params.own_intent) / 2
    profile = ctx.ref.own_intent

    def harvests(component: list[int]) -> bool:
        return float(profile[component].mean()) >= bar and asks_for_extraction(component, ctx)

    largest = max(components, key=len)
    kept = [c for c in components
            if c is not largest and harvests(c) and _stands_alone_if_a_customer(c, ctx)]
    if harvests(largest) or sum(map(len, kept)) <= len(largest) or \
            _tied_to(largest, [m for c in components if c is not largest for m in c], group):
        kept.append(largest)
    for component in components:
        if any(component is k for k in kept):
            continue
        for m in component:
            own[m] -= MARK_KINDS.keys()


def _tied_to(component: list[int], others: list[int], group: Group) -> bool:
    """Whether a component's links outside itself go more to `others` than to
    everyone else."""
    projection = group.projection
    inside = np.zeros(projection.size, dtype=bool)
    inside[component] = True
    toward = np.zeros(projection.size, dtype=bool)
    toward[others] = True
    src, dst, w = projection.sources, projection.targets, projection.weights
    out = inside[src] != inside[dst]
    far = np.where(inside[src[out]], dst[out], src[out])
    to_others = float(w[out][toward[far]].sum())
    return to_others > float(w[out].sum()) - to_others


def _stands_alone_if_a_customer(component: list[int], ctx: ScoringContext) -> bool:
    """Whether a component of a network's community that is one declared
    customer (an organisation under its one billing, `declared_organisation`)
    would be flagged as a group of its own. An evaluation team or a lab shares
    its card, key and benchmark prompts by design and asks for reasoning at
    volume; beside a network on the same cloud it is still a customer, whose
    sharing says it is one team, not that it is the network's. Components
    that are not a customer pass."""
    if declared_organisation(ctx.group(component))[0] < CUSTOMER:
        return True
    return _score_members(component, ctx).flagged


def asks_for_extraction(members: list[int], ctx: ScoringContext) -> bool:
    """Whether members ask for extraction together: at least twice the
    population's rate of reasoning and rewrite requests (where the provider
    labels them), the rate from which extraction_requests counts in full."""
    ref = ctx.ref
    if "extraction" not in ref.informative:
        return True
    accounts = [ctx.evidence.accounts[m] for m in members]
    sessions = sum(a["sessions"] for a in accounts)
    extracting = sum(min(a["reasoning"] + a["rewrites"], a["sessions"]) for a in accounts)
    return extracting >= 2 * (ref.reasoning_rate + ref.rewrite_rate) * sessions


def _combine_intent(features: list[Feature], informative: tuple[str, ...]) -> None:
    """Intent evidence: the purpose and the means of a harvest, both needed.

    The purpose is the extraction requests themselves (step-by-step reasoning,
    censorship-safe rewrites); the means are the other intent measures (harvest
    size, daily volume, answer length, distinct templates, subject sweep),
    averaged over those that tell accounts apart in this population. Their
    power mean (INTENT_POWER), times INTENT_WEIGHT, is the group's intent: a
    class that asks for reasoning at low volume, or a content agency that
    harvests long answers without asking for any, has little of it; a harvest
    has both. Each feature's contribution is its share of that total.
    """
    by_name = {f.name: f for f in features if f.family == "intent"}
    purpose = by_name["extraction_requests"].contribution
    names = [n for n in informative if n != "extraction"]
    means = [by_name[MEASURE_FEATURE[n]].contribution for n in names]
    mean = sum(means) / len(means) if means else purpose
    if "extraction" not in informative:
        # A provider that labels no reasoning or rewrite requests: the means alone.
        purpose = mean
    total = INTENT_WEIGHT * power_mean(purpose, mean, INTENT_POWER)
    # Shares: the purpose counts half, the means share the other half (all of
    # it when the purpose is not measured).
    labelled = "extraction" in informative
    weights = {"extraction_requests": 0.5 * purpose if labelled else 0.0}
    for n, value in zip(names, means, strict=True):
        weights[MEASURE_FEATURE[n]] = (0.5 if labelled else 1.0) * value / max(len(names), 1)
    spread = sum(weights.values())
    for f in by_name.values():
        f.contribution = total * weights.get(f.name, 0.0) / spread if spread > 0 else 0.0


def power_mean(a: float, b: float, p: float) -> float:
    """The power mean of two non-negative figures (p = -1 harmonic; lower p is
    nearer the smaller figure: both are needed)."""
    if a <= 0 or b <= 0:
        return 0.0
    return float(((a ** p + b ** p) / 2) ** (1 / p))


def bound_coordination(features: list[Feature], credentials_apart: bool = True) -> None:
    """Coordination counts at most as much as the group's extraction evidence:
    once for what members share as people in one place and time, and, when
    the credentials they share are a farm's (`credentials_apart`), once more
    for those.

    A hydra network needs both: a class signs up in a wave, works in class
    hours and shares its lab's addresses without harvesting anything, and a
    ring that harvests alone is a handful of heavy users. When the sharing,
    waves and rhythm outweigh the extraction evidence, each of their
    contributions is scaled down so that together they equal it. Cards,
    devices and API keys are bought per person: a farm spreads them over its
    heads to save money, which a class, an office or an event never needs.
    A household does, and a business (a content agency on its one card):
    unless the credentials are spread as a farm's (`spreads_credentials`),
    they are bounded with the rest."""
    intent = sum(f.contribution for f in features if f.family == "intent")
    apart = CREDENTIALS if credentials_apart else frozenset()
    for bucket in (True, False):
        kept = [f for f in features if f.family == "coordination" and f.contribution > 0
                and (f.name in apart) == bucket]
        coordination = sum(f.contribution for f in kept)
        if coordination <= intent or coordination <= 0:
            continue
        factor = max(intent, 0.0) / coordination
        for f in kept:
            f.contribution *= factor
            f.reason += f" (counted at {factor:.0%}: no more than the extraction evidence)"


def own_intent(account: int, ref: Reference) -> float:
    """An account's own extraction profile: the mean of its percentiles over the
    intent measures (its extraction rate already shrunk for few sessions)."""
    return float(ref.own_intent[account])


def score_community(members: list[int], ctx: ScoringContext) -> CommunityScore:
    """The score of one community, computed on its core.

    The core is the members that carry some of the network's signature
    themselves (shared payment, device, key or template family, or their own
    extraction profile), when some of them share such an entity. Strangers
    attached only through a shared proxy exit or carrier NAT would otherwise
    dilute a ring's evidence.
    """
    whole = _score_members(members, ctx)
    core = [m for m in members if whole.member_evidence.get(m)]
    # A core of heavy users that share nothing is no ring: a household or an
    # exit with a few power users on it is scored as the whole it is.
    if not any(whole.member_evidence[m] - {"intent"} for m in core):
        return whole
    # A core that is a small minority is a few outstanding members of a group,
    # not the group: the whole is scored then.
    if len(core) == len(members) or len(core) < max(ctx.params.min_size,
                                                    ctx.params.min_core * len(members)):
        return whole
    result = _score_members(core, ctx)
    result.members = members
    result.member_evidence = whole.member_evidence
    result.facts.update(size=len(members), core=len(core), attached=len(members) - len(core))
    return result


def _score_members(members: list[int], ctx: ScoringContext) -> CommunityScore:
    params = ctx.params
    features, own = evaluate_group(members, ctx)
    log_odds = _log_odds(features)
    score = 1 / (1 + math.exp(-log_odds))
    intent = sum(f.contribution for f in features if f.family == "intent")
    flagged = (len(members) >= params.min_size and score >= params.flag_score
               and log_odds >= ctx.threshold)
    accounts = [ctx.evidence.accounts[i] for i in members]
    facts = {
        "size": len(members), "sessions": sum(a["sessions"] for a in accounts),
        "requests": sum(a["requests"] for a in accounts),
        "tokens": sum(a["tokens"] for a in accounts),
        "banned": sum(a["status"] == "banned" for a in accounts),
        "new_heads": len(new_head_members(members, accounts)),
        "log_odds": round(log_odds, 4), "prior": round(PRIOR, 4),
    }
    return CommunityScore(members, score, intent, flagged, features, facts, own)


def chance_threshold(ctx: ScoringContext, sizes: list[int]) -> tuple[float, float]:
    """The log-odds threshold that keeps the expected number of chance groups
    flagged under the budget, and that expected number.

    Random groups of each community's size (rounded to a power of two) are
    drawn from the active accounts and scored like communities; their
    log-odds are summarised by a normal fit, whose tail above the threshold,
    summed over the communities, is the expected number of chance flags. The
    threshold stays at zero (a score of one half) unless chance would break
    the budget there.
    """
    params = ctx.params
    active = np.flatnonzero(ctx.ref.active)
    if not sizes or active.size < params.min_size:
        return 0.0, 0.0
    rng = random.Random(params.seed)
    buckets: dict[int, int] = defaultdict(int)
    for n in sizes:
        buckets[min(2 ** max(1, math.ceil(math.log2(max(n, 2)))), active.size)] += 1
    fits: list[tuple[float, float, int]] = []
    pool = active.tolist()
    for n, groups in sorted(buckets.items()):
        values = []
        for _ in range(params.chance_draws):
            members = sorted(rng.sample(pool, max(n, params.min_size)))
            features, _own = evaluate_group(members, ctx, keep=False)
            values.append(_log_odds(features))
        fits.append((float(np.mean(values)), float(np.std(values)) + 0.25, groups))

    def expected(threshold: float) -> float:
        return sum(groups * 0.5 * math.erfc((threshold - mean) / (sd * math.sqrt(2)))
                   for mean, sd, groups in fits)

    threshold = 0.0
    while expected(threshold) > params.fp_budget and threshold < 20:
        threshold += 0.25
    return threshold, expected(threshold)


def member_strength(projection: Projection, groups: list[list[int]]) -> dict[int, float]:
    """Per account: the share of its link weight that stays inside its community."""
    group_of = np.full(projection.size, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        group_of[members] = g
    src, dst, w = projection.sources, projection.targets, projection.weights
    total = np.bincount(src, weights=w, minlength=projection.size) + \
        np.bincount(dst, weights=w, minlength=projection.size)
    same = (group_of[src] >= 0) & (group_of[src] == group_of[dst])
    inside = np.bincount(src[same], weights=w[same], minlength=projection.size) + \
        np.bincount(dst[same], weights=w[same], minlength=projection.size)
    return {int(a): float(inside[a] / total[a]) for a in np.flatnonzero(total > 0)}


def score_groups(ctx: ScoringContext, groups: list[list[int]]) -> list[CommunityScore]:
    """Scores of the groups large enough to be networks."""
    return [score_community(g, ctx) for g in groups if len(g) >= ctx.params.min_size]


def calibrate(ctx: ScoringContext, groups: list[list[int]]) -> None:
    """Set the run's chance threshold from the sizes of the groups it scores."""
    sizes = [len(g) for g in groups if len(g) >= ctx.params.min_size]
    ctx.threshold, ctx.chance_flags = chance_threshold(ctx, sizes)


def score_all(evidence: Evidence, projection: Projection, groups: list[list[int]],
              params: ScoreParams | None = None, ctx: ScoringContext | None = None
              ) -> tuple[list[CommunityScore], dict[int, tuple[float, bool]], Population]:
    """Scores of every community and of every member: (score, flagged) per account."""
    ctx = ctx or ScoringContext.build(evidence, projection, params)
    strength = member_strength(projection, groups)
    scored = score_groups(ctx, groups)
    return scored, gate_members(ctx, scored, strength), ctx.population


def gate_members(ctx: ScoringContext, scored: list[CommunityScore], strength: dict[int, float],
                 fixed: dict[int, tuple[float, bool]] | None = None
                 ) -> dict[int, tuple[float, bool]]:
    """(score, flagged) of every member of the scored communities: flagged with
    its network when it carries some of the network's signature itself and
    enough of its links stay inside (see the module docstring). Members in
    `fixed` keep the score and flag given there (an incremental run decides
    only the accounts it attaches)."""
    params = ctx.params
    projection = ctx.projection
    fixed = fixed or {}
    ties = ties_to_marked(projection, scored)
    per_account: dict[int, tuple[float, bool]] = {}
    for community in scored:
        if community.flagged:
            _mark_own_addresses(community, ctx)
    marked = {id(c): any(marks - {"intent"} for marks in c.member_evidence.values())
              for c in scored}
    for community in scored:
        for m in community.members:
            if m in fixed:
                per_account[m] = fixed[m]
                continue
            per_account[m] = _gate(m, community, marked[id(community)], ties.get(m, 0.0),
                                   strength, params)
    # Heads alike to a network's marked members join it; each one that joins
    # counts as marked for the ties of the next pass (heads linked mostly to
    # one another are found a few at a time), and so may a heavy user that
    # was linked too little to marked members before.
    flagged = [c for c in scored if c.flagged]
    for _round in range(ALIKE_ROUNDS):
        joined = 0
        for community in flagged:
            # The first pass reads the ties the members were gated by.
            for m in community.members if _round else ():
                if m not in fixed and not per_account[m][1] and \
                        community.member_evidence.get(m) == {"intent"}:
                    per_account[m] = _gate(m, community, marked[id(community)],
                                           ties.get(m, 0.0), strength, params)
                    joined += per_account[m][1]
            body = [m for m in community.members if per_account[m][1]]
            # The community's habits are read once: they do not change as
            # heads join (see _alike_in_habits).
            for m in alike_members(community, body, ties, ctx, whole_habits=not _round):
                if m in fixed:
                    continue
                community.member_evidence[m].add("profile")
                s = strength.get(m, 0.0)
                per_account[m] = (community.score * (0.5 + 0.5 * s),
                                  s >= params.min_member_strength)
                joined += 1
        if not joined:
            break
        ties = ties_to_marked(projection, scored)
    for community in flagged:
        _unlike_on_profile(community, per_account, ties, ctx, fixed)
    return per_account


def _unlike_on_profile(community: CommunityScore, per_account: dict[int, tuple[float, bool]],
                       ties: dict[int, float], ctx: ScoringContext,
                       fixed: dict[int, tuple[float, bool]]) -> None:
    """Unflag the members of a flagged network flagged on their own extraction
    profile alone that do not fit its marked members' likeness
    (`Likeness.fits_heavy`). A network with too few marked members to have a
    likeness keeps them."""
    body = [m for m in community.members
            if per_account[m][1] and community.member_evidence.get(m, set()) - {"intent"}]
    likeness = Likeness.of(body, ctx, community.members)
    if likeness is None:
        return
    pool = {a for m in body for a in ctx.addresses.get(m, ())}
    for m in community.members:
        if m not in fixed and per_account[m][1] and community.member_evidence.get(m) == {"intent"} \
                and not likeness.fits_heavy(m, ctx, pool):
            per_account[m] = (per_account[m][0] * 0.5, False)


# Addresses anyone may share: carrier, campus and company networks, and the
# exits of commercial VPNs and Tor.
PUBLIC = frozenset(("mobile", "education", "corporate", "vpn", "tor"))


def _mark_own_addresses(community: CommunityScore, ctx: ScoringContext) -> None:
    """Mark the members of a flagged network housed on its own addresses that
    harvest themselves ("address"), when fewer than LIKENESS_BODY of its
    members share a card, device, key or template.

    A ring behind its own proxy exits shares none of those, and then nothing
    says what its heads look like (`Likeness`): its addresses are what ties
    them together. An address is no mark by itself (a household or an office
    shares its own too), so only members whose own extraction profile is
    halfway to the mark (as `_keep_ties_to_the_network` asks of a component)
    count, with half their sessions or more through the network's own
    addresses (most of their users members; no carrier, campus, company, VPN
    or Tor network), joined by those addresses in components of at least
    `min_size` that ask for extraction together and are no customer beside
    the network (`_stands_alone_if_a_customer`)."""
    if sum(bool(marks - {"intent"}) for marks in community.member_evidence.values()) \
            >= LIKENESS_BODY:
        return
    params = ctx.params
    bar = (0.5 + params.own_intent) / 2
    heavy = [m for m in community.members if ctx.ref.own_intent[m] >= bar]
    if len(heavy) < params.min_size:
        return
    members = set(community.members)
    mine = set(heavy)
    intel = ctx.evidence.ip_intel
    users = ctx.ref.users.get("ip", Counter())
    entities = ctx.projection.entities.get("ip", {})
    keys_of = ctx.ref.keys_of.get("ip", {})
    own: dict[str, list[int]] = {}
    for key in sorted({k for m in heavy for k in keys_of.get(m, ())}):
        accounts = entities.get(key, [])
        theirs = [a for a in accounts if a in mine]
        if len(theirs) > 1 and users[key] <= HUB_USERS and \
                intel.get(key, {}).get("network_type") not in PUBLIC and \
                sum(a in members for a in accounts) >= 0.5 * users[key]:
            own[key] = theirs
    # Half its sessions or more through them: a privacy user who came through
    # one of the ring's exits once is not housed there.
    housed = []
    for m in heavy:
        used = ctx.addresses.get(m, {})
        if 2 * sum(n for key, n in used.items() if key in own) >= sum(used.values()) > 0:
            housed.append(m)
    index = {m: i for i, m in enumerate(housed)}
    pairs = [(index[theirs[0]], index[m]) for theirs in
             ([a for a in accounts if a in index] for accounts in own.values())
             for m in theirs[1:]]
    components: dict[int, list[int]] = defaultdict(list)
    for m, root in zip(housed, connected(len(housed), pairs), strict=True):
        components[root].append(m)
    for component in components.values():
        if len(component) >= params.min_size and asks_for_extraction(component, ctx) \
                and _stands_alone_if_a_customer(component, ctx):
            for m in component:
                community.member_evidence.setdefault(m, set()).add("address")


def _gate(m: int, community: CommunityScore, marked: bool, tie: float,
          strength: dict[int, float], params: ScoreParams) -> tuple[float, bool]:
    """(score, flagged) of member m of a community (see gate_members)."""
    s = strength.get(m, 0.0)
    # A member flagged with its network must also carry some of the
    # network's signature itself: a stranger on a shared carrier NAT or
    # proxy exit that the network also used is not one of its heads.
    marks = community.member_evidence.get(m, set())
    own = bool(marks)
    # A heavy user whose only tie is its own profile must also be linked
    # mostly to the members that share the network's own entities, not
    # to the strangers around them.
    if marks == {"intent"} and marked and tie < MIN_TIE_TO_MARKED:
        own = False
    account_score = community.score * (0.5 + 0.5 * s) * (1.0 if own else 0.5)
    return account_score, community.flagged and own and s >= params.min_member_strength


# How many passes alike_members makes over the flagged networks.
ALIKE_ROUNDS = 4

# The fewest marked members a network's likeness is read from.
LIKENESS_BODY = 5

def subjects_of(members: list[int], ctx: ScoringContext) -> list[str]:
    """The categories that hold at least 2% of the members' sessions."""
    subjects: Counter[str] = Counter()
    for m in members:
        subjects.update(ctx.evidence.categories.get(m, {}))
    total = sum(subjects.values())
    return sorted(k for k, n in subjects.items() if n >= 0.02 * total)


def asks_about(m: int, ctx: ScoringContext, subjects: set[str]) -> bool:
    """Whether ON_SUBJECT of account m's sessions ask about `subjects`."""
    asked = ctx.evidence.categories.get(m, {})
    sessions = sum(asked.values())
    return bool(sessions) and \
        sum(n for k, n in asked.items() if k in subjects) >= ON_SUBJECT * sessions


# The least share of an unmarked member's sessions that ask about the network's
# own subjects for it to be taken as alike (two of three: a head's filler chat
# or a stray question does not set it apart).
ON_SUBJECT = 2 / 3


@dataclass
class Likeness:
    """What a flagged network's heads look like, from its marked members (the
    body): their extraction profile (median percentiles over the intent
    measures, and the spread that holds nine in ten of them), the subjects
    they ask about, when they signed up, and how they work against the
    population (`Habits`, measured when first needed). Kept with each
    suspected network (`as_dict`) so an incremental run can judge new
    accounts against it without reading the network again."""

    names: tuple[str, ...]
    centre: list[float]
    reach: float
    subjects: list[str]
    first: float
    last: float
    central: tuple[float, float]
    habits: Habits | None = None
    # The body and run the habits are measured from when first needed.
    source: tuple[list[int], list[int], ScoringContext] | None = field(
        default=None, repr=False, compare=False)

    @classmethod
    def of(cls, body: list[int], ctx: ScoringContext, community: list[int] | None = None
           ) -> Likeness | None:
        """The likeness of a body of at least LIKENESS_BODY members with sign-up
        times and subjects (None otherwise); its habits are measured against the
        population outside its `community` (by default the body)."""
        if len(body) < LIKENESS_BODY:
            return None
        ref = ctx.ref
        names = tuple(ref.informative or INTENT_MEASURES)
        own = np.column_stack([ref.ranks[n][body] for n in names])
        centre = np.median(own, axis=0)
        spread = np.sort(np.abs(own - centre).max(axis=1))
        theirs = subjects_of(body, ctx)
        created = ref.created[body]
        created = created[~np.isnan(created)]
        if not theirs or created.size < 5:
            return None
        central = np.percentile(created, [5, 95])
        likeness = cls(names, [float(c) for c in centre],
                       float(spread[int(0.9 * (len(spread) - 1))]), theirs,
                       float(created.min()), float(created.max()),
                       (float(central[0]), float(central[1])))
        likeness.source = (body, community or body, ctx)
        return likeness

    def habits_of(self) -> Habits | None:
        """The network's habits (measured once, when first needed)."""
        if self.habits is None and self.source is not None:
            body, community, ctx = self.source
            self.habits = Habits.of(body, community, ctx)
            self.source = None
        return self.habits

    def as_dict(self) -> dict[str, Any]:
        found = {"names": list(self.names), "centre": self.centre, "reach": self.reach,
                 "subjects": self.subjects, "first": self.first, "last": self.last,
                 "central": list(self.central)}
        habits = self.habits_of()
        if habits is not None:
            found["habits"] = habits.as_dict()
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Likeness:
        """A kept likeness (one kept before habits were kept has none)."""
        habits = Habits.from_dict(data["habits"]) if data.get("habits") else None
        return cls(tuple(data["names"]), list(data["centre"]), float(data["reach"]),
                   list(data["subjects"]), float(data["first"]), float(data["last"]),
                   (float(data["central"][0]), float(data["central"][1])), habits)

    def in_period(self, m: int, ctx: ScoringContext) -> bool:
        """Signed up while the network did (to now, in an incremental run)."""
        last = math.inf if ctx.open_ended else self.last
        return bool(self.first <= ctx.ref.created[m] <= last)

    def on_subjects(self, m: int, ctx: ScoringContext) -> bool:
        """Two thirds of member m's sessions ask about the network's subjects."""
        return asks_about(m, ctx, set(self.subjects))

    def fits_heavy(self, m: int, ctx: ScoringContext, pool: set[str]) -> bool:
        """Whether member m, flagged on its own extraction profile, is one of the
        network's heads: its subjects, and a sign-up while the network signed up
        or half its addresses from the pool, or the network's habits. (Its
        profile is already at the mark; heavier than the network's heads is no
        reason to doubt it.) A power user or a privacy user on the network's
        exits asks as much; what he asks about, when he signed up, where from
        and how he works are his own."""
        if not self.on_subjects(m, ctx):
            return False
        used = set(ctx.addresses.get(m, ()))
        if self.in_period(m, ctx) or 0 < len(used) <= 2 * len(used & pool):
            return True
        habits = self.habits_of()
        return habits is not None and habits.hold(m, ctx)

    def holds(self, m: int, ctx: ScoringContext, tie: float, pool: set[str]) -> bool:
        """Whether member m is one of the network's heads by likeness alone: two
        thirds of its sessions on the network's subjects, and either a sign-up
        while the network signed up (`in_period`) with its own profile halfway
        to the mark and within the spread and half its addresses from the pool
        (the body's addresses), or every address, two or more, from the pool,
        half its links to marked members (`tie`) and a sign-up within the
        central 90% of the network's; or the network's habits (`Habits`, which
        weigh the day of sign-up themselves)."""
        ref = ctx.ref
        if not self.on_subjects(m, ctx):
            return False
        used = set(ctx.addresses.get(m, ()))
        bar = (0.5 + ctx.params.own_intent) / 2
        profile = np.array([ref.ranks[n][m] for n in self.names])
        # Its own profile alike to the network's, from the network's exits
        # for at least half of its addresses; or (what speaks for an account
        # with too few sessions to have a profile) every one of its
        # addresses, two or more, from the network's own pool. A profile
        # alike to the network's is strong evidence: the whole of its sign-up
        # period counts. Addresses from its pool alone are weaker: only the
        # central 90% of its sign-ups (a pool of residential exits also
        # carries the households that own them, who signed up long before).
        alike = self.in_period(m, ctx) and ref.own_intent[m] >= bar and \
            0 < len(used) <= 2 * len(used & pool) and \
            float(np.abs(profile - np.asarray(self.centre)).max()) <= self.reach
        housed = len(used) >= 2 and used <= pool and tie >= 0.5 and \
            self.central[0] <= ref.created[m] <= self.central[1]
        if alike or housed:
            return True
        # Or it works as the network's heads do (Habits): signed up in its
        # waves, on its clients and shift, beyond what chance gives an account
        # of the population with as many sessions.
        habits = self.habits_of()
        return habits is not None and habits.hold(m, ctx)


# Session counts that start the buckets of accounts a candidate is compared
# with (an account's habits say more the more sessions it has).
SESSION_BUCKETS = (1, 2, 3, 4, 6, 9, 14, 22, 35, 60)
# The least number of the population's accounts a bucket's bar is read from
# (neighbouring buckets are taken in until there are as many).
HABIT_SAMPLE = 100
# At most this many of the population's accounts are scored for the bars.
HABIT_POPULATION = 20_000
# The share of the population's accounts whose habits may pass a bar by chance.
HABIT_ALPHA = 0.01
# The least likelihood ratio (network against population) of a candidate's
# habits: strong evidence on the usual scale of Bayes factors (20 to 1).
HABIT_FLOOR = math.log(20.0)


@dataclass
class HabitBase:
    """The population a network's habits are measured against: the active
    accounts' sessions per hour and share of accounts on scripted clients, and
    a sample of at most HABIT_POPULATION of them (fixed by the run's seed)
    scored for the bars."""

    hours: np.ndarray
    scripted_share: float
    sample: np.ndarray
    sample_hours: np.ndarray
    sample_scripted: np.ndarray
    sample_created: np.ndarray
    buckets: np.ndarray

    @classmethod
    def of(cls, ctx: ScoringContext) -> HabitBase:
        active = np.flatnonzero(ctx.ref.active)
        hours = ctx.hours
        scripted = on_scripts(ctx, np.arange(ctx.evidence.size))
        sample = active
        if active.size > HABIT_POPULATION:
            sample = np.sort(np.random.default_rng(ctx.params.seed).choice(
                active, HABIT_POPULATION, replace=False))
        share = (scripted[active].sum() + 0.5) / (active.size + 1)
        return cls(hours[active].sum(axis=0), float(share), sample, hours[sample],
                   scripted[sample], ctx.ref.created[sample],
                   bucket_of(hours[sample].sum(axis=1)))


def on_scripts(ctx: ScoringContext, accounts: np.ndarray) -> np.ndarray:
    """Whether each account makes most of its sessions through scripted clients."""
    sessions = ctx.hours[accounts].sum(axis=1)
    return (sessions > 0) & (2 * ctx.ref.scripted[accounts] >= sessions)


@dataclass
class Habits:
    """How a network's heads work, against how the population does, as log
    likelihood ratios: per UTC hour of a session (the body's share of sessions
    in that hour against the population's), for an account on scripted
    clients or not (the body's share of such accounts against the
    population's), and for its day of sign-up (the body's share of sign-ups
    within a day of it against the population's, per day of the body's
    sign-up period from `first_day`; `outside` for a day before or after, or
    nothing when an incremental run judges accounts that signed up since).

    A candidate's habits are their sum. One person's sessions are not
    independent draws (a night owl is one every night), so the sum is not
    read as a probability: it must beat what the population's own accounts
    with as many sessions reach outside the network's community and the
    networks found (`bars`, the 1 - HABIT_ALPHA quantile per bucket of
    SESSION_BUCKETS), and be strong evidence in itself (HABIT_FLOOR). Heads of
    one operator sign up in its waves and run its scripts on its shift; a
    privacy user behind the same exits keeps his own."""

    hour: list[float]
    client: tuple[float, float]
    bars: list[float]
    signup: list[float] = field(default_factory=list)
    first_day: int = 0
    outside: float = 0.0

    @classmethod
    def of(cls, body: list[int], community: list[int], ctx: ScoringContext) -> Habits | None:
        """The habits of a body against the active accounts outside its community
        and the networks found so far (None without any)."""
        base = ctx.habit_base
        apart = ctx.ref.excluded.copy()
        apart[community] = True
        keep = ~apart[base.sample]
        if not keep.any():
            return None
        mine = ctx.hours[body].sum(axis=0)
        hour = np.log((mine + 1) / (mine.sum() + 24)) - \
            np.log((base.hours + 1) / (base.hours.sum() + 24))
        q_mine = (on_scripts(ctx, np.asarray(body)).sum() + 0.5) / (len(body) + 1)
        q_all = base.scripted_share
        habits = cls([float(h) for h in hour],
                     (float(math.log(q_mine / q_all)), float(math.log((1 - q_mine) / (1 - q_all)))),
                     [])
        habits.signup_from(ctx.ref.created[body], base.sample_created[keep])
        habits.bars = _bars(habits.score(base.sample_hours[keep], base.sample_scripted[keep],
                                         base.sample_created[keep]),
                            base.buckets[keep])
        return habits

    def signup_from(self, mine: np.ndarray, everyone: np.ndarray) -> None:
        """The sign-up log ratios of a body's sign-up times against the population's
        (NaN for unknown), each day taking in its neighbours (a wave crosses midnight)."""
        mine = np.floor(mine[~np.isnan(mine)] / DAY).astype(np.int64)
        everyone = np.floor(everyone[~np.isnan(everyone)] / DAY).astype(np.int64)
        if mine.size == 0 or everyone.size == 0:
            return
        first, last = int(mine.min()) - 1, int(mine.max()) + 1
        days = last - first + 1
        within = (everyone >= first) & (everyone <= last)

        def near(found: np.ndarray) -> np.ndarray:
            counts = np.bincount(found - first, minlength=days).astype(float)
            return counts + np.r_[0.0, counts[:-1]] + np.r_[counts[1:], 0.0]

        body = (near(mine) + 0.5) / (3 * mine.size + 0.5 * days)
        population = (near(everyone[within]) + 0.5) / (3 * everyone.size + 0.5 * days)
        self.signup = [float(v) for v in np.log(body / population)]
        self.first_day = first
        self.outside = float(math.log((0.5 / (mine.size + 1))
                                      / ((everyone.size - within.sum() + 0.5)
                                         / (everyone.size + 1))))

    def signed_up(self, created: np.ndarray, open_ended: bool = False) -> np.ndarray:
        """The sign-up log ratio of each sign-up time (NaN for unknown: none)."""
        if not self.signup:
            return np.zeros(created.shape)
        known = ~np.isnan(created)
        day = np.floor(np.where(known, created, 0.0) / DAY).astype(np.int64) - self.first_day
        inside = known & (day >= 0) & (day < len(self.signup))
        table = np.asarray(self.signup)
        found = np.where(inside, table[np.clip(day, 0, len(self.signup) - 1)], self.outside)
        later = day >= len(self.signup)
        return np.where(~known | (later & open_ended), 0.0, found)

    def score(self, hours: np.ndarray, scripted: np.ndarray, created: np.ndarray,
              open_ended: bool = False) -> np.ndarray:
        """The log likelihood ratio of each account's habits (rows of sessions per
        UTC hour, whether it is on scripted clients, sign-up time)."""
        return hours @ np.asarray(self.hour) + \
            np.where(scripted, self.client[0], self.client[1]) + \
            self.signed_up(created, open_ended)

    def hold(self, m: int, ctx: ScoringContext) -> bool:
        """Whether account m works as the network's heads do."""
        hours = ctx.hours[m:m + 1]
        sessions = float(hours.sum())
        if sessions <= 0:
            return False
        value = float(self.score(hours, on_scripts(ctx, np.array([m])),
                                 ctx.ref.created[m:m + 1], ctx.open_ended)[0])
        bar = self.bars[int(bucket_of(np.array([sessions]))[0])]
        return value >= max(bar, HABIT_FLOOR)

    def as_dict(self) -> dict[str, Any]:
        return {"hour": self.hour, "client": list(self.client), "bars": self.bars,
                "signup": self.signup, "first_day": self.first_day, "outside": self.outside}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Habits:
        return cls([float(h) for h in data["hour"]],
                   (float(data["client"][0]), float(data["client"][1])),
                   [float(b) for b in data["bars"]],
                   [float(v) for v in data.get("signup", [])], int(data.get("first_day", 0)),
                   float(data.get("outside", 0.0)))


def bucket_of(sessions: np.ndarray) -> np.ndarray:
    """The bucket of SESSION_BUCKETS of each session count."""
    return np.maximum(np.searchsorted(SESSION_BUCKETS, sessions, side="right") - 1, 0)


def _bars(score: np.ndarray, buckets: np.ndarray) -> list[float]:
    """Per bucket: the 1 - HABIT_ALPHA quantile of the scores in it, taking in
    neighbouring buckets until HABIT_SAMPLE accounts (or all) are in."""
    bars = []
    for b in range(len(SESSION_BUCKETS)):
        lo, hi = b, b
        taken = score[buckets == b]
        while taken.size < HABIT_SAMPLE and (lo > 0 or hi < len(SESSION_BUCKETS) - 1):
            lo, hi = max(lo - 1, 0), min(hi + 1, len(SESSION_BUCKETS) - 1)
            taken = score[(buckets >= lo) & (buckets <= hi)]
        bars.append(float(np.quantile(taken, 1 - HABIT_ALPHA)) if taken.size else math.inf)
    return bars


def alike_members(community: CommunityScore, body: list[int], ties: dict[int, float],
                  ctx: ScoringContext, whole_habits: bool = True) -> list[int]:
    """Members of a flagged network without a mark of their own that are its
    heads all the same (Likeness.holds), with a third of their links to its
    marked members. (Heads of one operator run the
    same scripts from the same exits: what ties them is their likeness, where
    a card or a template does not.) Without a likeness, those working on the
    habits of the whole community (`_alike_in_habits`, when `whole_habits`)."""
    likeness = Likeness.of(body, ctx, community.members)
    if likeness is None:
        return _alike_in_habits(community, body, ctx) if whole_habits else []
    taken = set(body)
    candidates = [m for m in community.members
                  if m not in taken and not community.member_evidence.get(m)
                  and ties.get(m, 0.0) >= MIN_TIE_TO_MARKED]
    if not candidates:
        return []
    addresses = ctx.addresses
    pool = {a for m in body for a in addresses.get(m, ())}
    return [m for m in candidates if likeness.holds(m, ctx, ties.get(m, 0.0), pool)]


def _alike_in_habits(community: CommunityScore, body: list[int], ctx: ScoringContext
                     ) -> list[int]:
    """The unmarked members of a flagged network whose marked members give no
    likeness (fewer than LIKENESS_BODY of them, or too few sign-up times) that
    work as its members do: two thirds of their sessions on its subjects, and
    its habits (`Habits`, from the whole community, which was flagged as a
    whole)."""
    if not community.flagged:
        return []
    taken = set(body)
    candidates = [m for m in community.members
                  if m not in taken and not community.member_evidence.get(m)]
    if not candidates:
        return []
    theirs = set(subjects_of(community.members, ctx))
    found = []
    for m in candidates:
        if not asks_about(m, ctx, theirs):
            continue
        # Measured without the candidate: a heavy stranger would otherwise
        # bring its own habits into the network's.
        habits = Habits.of([x for x in community.members if x != m], community.members, ctx)
        if habits is not None and habits.hold(m, ctx):
            found.append(m)
    return found


# The least share of its link weight that a member flagged for its own
# extraction profile alone sends to members sharing the network's own entities.
MIN_TIE_TO_MARKED = 1 / 3


def ties_to_marked(projection: Projection, scored: list[CommunityScore]) -> dict[int, float]:
    """Per account: the share of its link weight that goes to members of its
    community that share the community's own entities (payment, device, key,
    template family)."""
    group_of = np.full(projection.size, -1, dtype=np.int64)
    marked = np.zeros(projection.size, dtype=bool)
    for g, community in enumerate(scored):
        group_of[community.members] = g
        for m, evidence in community.member_evidence.items():
            if evidence - {"intent"}:
                marked[m] = True
    return ties_toward(projection, group_of, marked)


def ties_toward(projection: Projection, group_of: np.ndarray, marked: np.ndarray
                ) -> dict[int, float]:
    """Per account: the share of its link weight that goes to `marked` accounts
    of its own group (`group_of`, -1 for none)."""
    src, dst, w = projection.sources, projection.targets, projection.weights
    total = np.bincount(src, weights=w, minlength=projection.size) + \
        np.bincount(dst, weights=w, minlength=projection.size)
    same = (group_of[src] >= 0) & (group_of[src] == group_of[dst])
    to_dst = same & marked[dst]
    to_src = same & marked[src]
    toward = np.bincount(src[to_dst], weights=w[to_dst], minlength=projection.size) + \
        np.bincount(dst[to_src], weights=w[to_src], minlength=projection.size)
    return {int(a): float(toward[a] / total[a]) for a in np.flatnonzero(total > 0)}
