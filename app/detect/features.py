"""The scoring features: a table of small pure functions, each a piece of evidence.

Every feature answers one question about a group of accounts: how unusual
is it against what the same population gives by chance? Its answer is
evidence in nats (natural log-odds), bounded so that no single signal
decides, with a sentence that names the group's figure beside the
population's. The score adds them up (see app.detect.score).

Three families:

intent
    what extraction needs and farms cannot hide: requests for step-by-step
    reasoning or censorship-safe rewrites, harvest size, sustained daily
    volume (a typical active day's requests), long answers, many distinct
    task templates, sweeps across subjects. Each is the percentile, within
    the whole population, of the group's typical member: the lower
    confidence bound of the members' median percentile, so a handful of
    accounts is judged by its weaker members and a large group by its
    middle. Extraction requests are also judged on the members together (the
    bound of their mean rate), since accounts with a handful of sessions
    each say little one by one. Percentiles make the figure mean the same on
    any provider's data, whatever its units and scale.
coordination
    what the members share beyond chance (payment tokens, devices, API
    keys, private addresses, prompt-template families), sign-up bursts,
    lockstep hours, enforcement history and regrowth after bans. Sharing is
    measured against the number of such entities a random group of the same
    size would share (each entity's population of users known), so a
    carrier NAT shared by thousands says nothing and a card shared inside
    the group says a lot.
mitigation
    what customers have and farms avoid: one declared organisation with
    one billing (or, undeclared, one billing and one e-mail domain of its
    own), one institutional e-mail domain, campus and company networks, a
    few templates reused heavily (homework, one app).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.detect.evidence import Evidence
from app.detect.project import PUBLIC_MAIL, Projection

# Evidence of one feature never exceeds this many nats (odds of 99 to 1), so
# one saturated signal cannot decide a group by itself.
CAP = math.log(99.0)
# Quantiles of each measure a run keeps for the incremental runs built on it.
QUANTILES = 1001
# A rate is shrunk towards the population's with this many pseudo-sessions.
PRIOR_SESSIONS = 5
# One-sided 95% bound for the median of the members' percentiles.
Z_BOUND = 1.645
PROXY_TYPES = frozenset(("datacenter", "proxy", "vpn", "tor"))
# Networks of known institutions: a class or an office behind one address.
INSTITUTIONAL = frozenset(("education", "corporate"))
# Known shared egress: sharing one says little about who is behind it.
SHARED_EGRESS = frozenset(("mobile", "education", "corporate"))
DAY = 86_400
# An entity with more users than this links strangers (a carrier NAT, a
# popular prompt): sharing it is not evidence (as the projection's hub_size).
HUB_USERS = 200


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def clip(x: float, lo: float = 0.0, hi: float = CAP) -> float:
    return min(max(x, lo), hi)


def pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 account', '3 accounts'."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


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


# -- the population ---------------------------------------------------------------


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


def busiest_window_share(hours: list[int] | np.ndarray, width: int = 8) -> float:
    total = float(sum(hours))
    if total == 0:
        return 0.0
    doubled = list(hours) + list(hours)
    return max(sum(doubled[i:i + width]) for i in range(24)) / total


def entropy(counts: Any) -> float:
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    return -sum(c / total * math.log2(c / total) for c in values)


def percentiles(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each value within the sorted reference (ties share
    the middle of their run, so a constant feature says 0.5 for everyone)."""
    if reference.size == 0:
        return np.full(values.shape, 0.5)
    lo = np.searchsorted(reference, values, side="left")
    hi = np.searchsorted(reference, values, side="right")
    return (lo + hi) / (2.0 * reference.size)


# The per-account measures of extraction: name, what a member's figure is,
# the sentence's wording (figure, population figure).
INTENT_MEASURES = ("extraction", "harvest", "daily_volume", "answer_length",
                   "task_diversity", "subject_sweep")


@dataclass
class Reference:
    """Per-account measures of the whole population, computed once per run."""

    size: int
    active: np.ndarray  # bool per account: has sessions
    measures: dict[str, np.ndarray]  # name -> value per account
    ranks: dict[str, np.ndarray]  # name -> percentile per account among active accounts
    reasoning_rate: float
    rewrite_rate: float
    scripted: np.ndarray  # sessions via scripted clients, per account
    proxied: np.ndarray  # sessions via datacenter, proxy, VPN or Tor addresses
    institutional: np.ndarray  # sessions via campus or company networks
    busiest_8h_share: float
    enforced_share: float
    created: np.ndarray  # sign-up time per account (nan when unknown)
    # kind -> entity key -> number of accounts in the population that use it
    users: dict[str, Counter[str]] = field(default_factory=dict)
    # kind -> account -> entity keys it uses (only entities used by 2+ accounts)
    keys_of: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    domain_users: Counter[str] = field(default_factory=Counter)
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    _informative: tuple[str, ...] | None = None
    _medians: dict[str, float] = field(default_factory=dict)
    _sorted: dict[str, np.ndarray] = field(default_factory=dict)
    _own_intent: np.ndarray | None = None
    _entity_sizes: dict[str, Counter[int]] = field(default_factory=dict)
    # addresses of known shared egress (carrier, campus and company networks)
    egress: frozenset[str] = frozenset()
    # typical shares of sessions via scripted clients and via proxy-type addresses
    scripted_share: float = 0.0
    proxy_share: float = 0.0
    # The population the figures are of, when the accounts at hand are only part
    # of it (an incremental run's neighbourhood, measured against the figures
    # its parent run kept: `snapshot` and `reference_from_snapshot`).
    population_size: int = 0
    signup_span: tuple[float, float] | None = None
    # share of accounts on infrastructure other providers reported
    reported_share: float = 0.0

    def __post_init__(self) -> None:
        if self.excluded.size != self.size:
            self.excluded = np.zeros(self.size, dtype=bool)
        if not self.population_size:
            self.population_size = self.size
        if self.signup_span is None:
            known = self.created[~np.isnan(self.created)] if self.created.size else self.created
            self.signup_span = (float(known.min()), float(known.max())) if known.size \
                else None

    def expected_shared(self, kind: str, n: int,
                        keep: Callable[[str], bool] | None = None) -> float:
        """How many entities of this kind a random group of n accounts shares by
        chance: over the population's entities with k users (hubs left out),
        the chance that at least two of them fall in the group (binomial, with
        each account in the group with probability n / N)."""
        f = min(n / max(self.population_size, 1), 1.0)
        total = 0.0
        for k, entities in self._histogram(kind, keep).items():
            none = (1 - f) ** k
            one = k * f * (1 - f) ** (k - 1)
            total += entities * max(0.0, 1 - none - one)
        return total

    def percentile_of(self, name: str, value: float) -> float:
        """Where a value falls among the reference accounts' figures of a measure."""
        if name not in self._sorted:
            self._sorted[name] = np.sort(self.measures[name][self.reference])
        return float(percentiles(np.array([value]), self._sorted[name])[0])

    def median(self, name: str) -> float:
        if name not in self._medians:
            values = self.measures[name][self.reference]
            self._medians[name] = float(np.median(values)) if values.size else 0.0
        return self._medians[name]

    @property
    def informative(self) -> tuple[str, ...]:
        """The intent measures that tell accounts apart here at all (a provider
        that exports no output tokens or categories gives everyone the same)."""
        if self._informative is None:
            found = []
            for name in INTENT_MEASURES:
                values = self.measures[name][self.active]
                if values.size and float(values.min()) != float(values.max()):
                    found.append(name)
            self._informative = tuple(found)
        return self._informative

    @property
    def own_intent(self) -> np.ndarray:
        """Per account: the mean of its percentiles over the informative intent
        measures (its own extraction profile)."""
        if self._own_intent is None:
            names = self.informative or INTENT_MEASURES
            self._own_intent = np.mean([self.ranks[name] for name in names], axis=0)
        return self._own_intent

    @property
    def reference(self) -> np.ndarray:
        """The accounts percentiles are taken among: active, and not excluded."""
        return self.active & ~self.excluded

    def snapshot(self) -> dict[str, Any]:
        """What an incremental run needs of this population to measure new
        accounts as this run measured its own: each measure's quantiles among
        the reference accounts, the typical rates and shares, how many entities
        of each shared kind have k users (for the chance of sharing), and the
        sign-up span. Plain JSON-able data."""
        reference = self.reference
        quantiles = {}
        for name, values in self.measures.items():
            ordered = np.sort(values[reference])
            if ordered.size == 0:
                ordered = np.zeros(1)
            picks = np.linspace(0, ordered.size - 1, min(QUANTILES, ordered.size))
            quantiles[name] = [float(v) for v in ordered[np.round(picks).astype(int)]]
        egress = self.egress
        sizes = {f"{kind}|all": self._histogram(kind) for kind in MARKED_SHARING}
        sizes["ip|kept"] = self._histogram("ip", lambda key: key not in egress)
        return {
            "size": self.population_size, "quantiles": quantiles,
            "informative": list(self.informative),
            "reasoning_rate": self.reasoning_rate, "rewrite_rate": self.rewrite_rate,
            "busiest_8h_share": self.busiest_8h_share, "enforced_share": self.enforced_share,
            "scripted_share": self.scripted_share, "proxy_share": self.proxy_share,
            "reported_share": self.reported_share,
            "signup_span": list(self.signup_span) if self.signup_span else None,
            "entity_sizes": {key: {str(k): v for k, v in sorted(hist.items())}
                             for key, hist in sizes.items()},
        }

    def _histogram(self, kind: str, keep: Callable[[str], bool] | None = None
                   ) -> Counter[int]:
        cache = f"{kind}|{'kept' if keep is not None else 'all'}"
        if cache not in self._entity_sizes:
            self._entity_sizes[cache] = Counter(
                k for key, k in self.users.get(kind, Counter()).items()
                if 1 < k <= HUB_USERS and (keep is None or keep(key)))
        return self._entity_sizes[cache]

    def rerank(self, exclude: np.ndarray) -> None:
        """Take percentiles among the active accounts outside `exclude` (bool per
        account): the members of networks already found, so that a large hydra
        share does not become the yardstick it is measured by."""
        excluded = exclude & self.active
        # Keep at least half of the active accounts as the yardstick.
        if excluded.sum() > 0.5 * self.active.sum():
            return
        self.excluded = excluded
        self.ranks = _ranks(self.measures, self.reference)
        self._informative = None
        self._medians = {}
        self._sorted = {}
        self._own_intent = None


def _typical_day(starts: Any, sessions: float) -> float:
    """Sessions on an account's typical active day (the median over its UTC days
    with a session; all its sessions on one day when no start times are
    known). A harvest keeps up its volume day after day; a hackathon or a
    deadline packs most of a newcomer's sessions into one or two days, and
    those days are not what it does on a typical one."""
    if not len(starts):
        return sessions
    _days, per_day = np.unique(np.asarray(starts, dtype=np.int64) // DAY, return_counts=True)
    return float(np.median(per_day))


def _ranks(measures: dict[str, np.ndarray], reference: np.ndarray) -> dict[str, np.ndarray]:
    return {name: percentiles(values, np.sort(values[reference]))
            for name, values in measures.items()}


def _totals(evidence: Evidence) -> dict[str, np.ndarray]:
    accounts = evidence.accounts
    return {name: np.array([a[name] for a in accounts], dtype=float)
            for name in ("sessions", "requests", "reasoning", "rewrites")}


def account_measures(evidence: Evidence, projection: Projection, reasoning_rate: float,
                     rewrite_rate: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per account: each measure the features rank it by (extraction shrunk
    towards the population's rates), and its sign-up time."""
    accounts = evidence.accounts
    n = evidence.size
    totals = _totals(evidence)
    sessions, requests = totals["sessions"], totals["requests"]
    extracting = np.minimum(totals["reasoning"] + totals["rewrites"], sessions)
    base = min(reasoning_rate + rewrite_rate, 1.0)
    output = np.array([evidence.output_tokens.get(i, 0) for i in range(n)], dtype=float)
    typical_day = np.array([_typical_day(evidence.starts.get(i, ()), sessions[i])
                            for i in range(n)], dtype=float)
    families = np.array([len(projection.account_families.get(i, {})) for i in range(n)],
                        dtype=float)
    subjects = np.array([entropy(evidence.categories.get(i, {}).values()) for i in range(n)])
    first = np.array([min(evidence.starts[i]) if evidence.starts.get(i) else np.nan
                      for i in range(n)])
    created = np.array([np.nan if a.get("created") is None else float(a["created"])
                        for a in accounts])
    age = np.nan_to_num((first - created) / DAY, nan=0.0)
    measures = {
        "account_age": np.maximum(age, 0.0),
        "extraction": (extracting + PRIOR_SESSIONS * base) / (sessions + PRIOR_SESSIONS),
        "extraction_rate": extracting / np.maximum(sessions, 1),
        "harvest": output,
        "daily_volume": typical_day * requests / np.maximum(sessions, 1),
        "answer_length": output / np.maximum(requests, 1),
        "task_diversity": families,
        "subject_sweep": subjects,
    }
    return measures, created


def _entity_users(evidence: Evidence, projection: Projection,
                  sizes: dict[str, dict[str, int]] | None = None
                  ) -> tuple[dict[str, Counter[str]], dict[str, dict[int, list[str]]]]:
    """Per entity kind: how many accounts use each shared entity (the
    population's count where `sizes` knows it), and the entities of each
    account; template families as kind `family`."""
    sizes = sizes or {}
    users: dict[str, Counter[str]] = {}
    keys_of: dict[str, dict[int, list[str]]] = {}
    for kind, by_key in projection.entities.items():
        known = sizes.get(kind, {})
        users[kind] = Counter({key: max(len(members), known.get(key, 0))
                               for key, members in by_key.items()})
        per_account: dict[int, list[str]] = defaultdict(list)
        for key, members in by_key.items():
            for a in members:
                per_account[a].append(key)
        keys_of[kind] = per_account
    # Template families: a family used by one account is no shared entity, and
    # most are; only the others are named (there are millions of families).
    families = projection.account_families
    used = np.fromiter((f for fams in families.values() for f in fams), dtype=np.uint64)
    by = np.repeat(np.fromiter(families, dtype=np.int64, count=len(families)),
                   np.fromiter((len(fams) for fams in families.values()), dtype=np.int64,
                               count=len(families)))
    distinct, users_here = np.unique(used, return_counts=True)
    family_users: Counter[str] = Counter({f"{f:016x}": int(k) for f, k in zip(
        distinct[users_here > 1].tolist(), users_here[users_here > 1].tolist(), strict=True)})
    known = projection.population_users.get("template", {})
    if known:
        here = dict(zip(distinct.tolist(), users_here.tolist(), strict=True))
        for key, users_known in known.items():
            family_users[key] = max(here.get(int(key, 16), 0), users_known)
    shared = np.fromiter((int(key, 16) for key, k in family_users.items() if k > 1),
                         dtype=np.uint64)
    family_keys: dict[int, list[str]] = defaultdict(list)
    named = np.isin(used, shared)
    for account, family in zip(by[named].tolist(), used[named].tolist(), strict=True):
        family_keys[account].append(f"{family:016x}")
    users["family"] = family_users
    keys_of["family"] = family_keys
    return users, keys_of


def build_reference(evidence: Evidence, projection: Projection, scripted: np.ndarray,
                    proxied: np.ndarray, institutional: np.ndarray) -> Reference:
    accounts = evidence.accounts
    n = evidence.size
    totals = _totals(evidence)
    sessions = totals["sessions"]
    reasoning_rate = typical_rate(totals["reasoning"], sessions)
    rewrite_rate = typical_rate(totals["rewrites"], sessions)
    measures, created = account_measures(evidence, projection, reasoning_rate, rewrite_rate)
    active = sessions > 0
    ranks = _ranks(measures, active)
    hours = np.zeros(24)
    for row in evidence.hours.values():
        hours += np.asarray(row)
    enforced = sum(a["status"] in ("banned", "suspended") for a in accounts)
    users, keys_of = _entity_users(evidence, projection)
    domains = Counter(a["email_domain"] for a in accounts if a.get("email_domain"))
    return Reference(n, active, measures, ranks, reasoning_rate, rewrite_rate, scripted,
                     proxied, institutional, busiest_window_share(hours),
                     enforced / max(n, 1), created, users, keys_of, domains,
                     egress=frozenset(ip for ip, intel in evidence.ip_intel.items()
                                      if intel.get("network_type") in SHARED_EGRESS),
                     scripted_share=typical_rate(scripted, sessions),
                     proxy_share=typical_rate(proxied, sessions),
                     reported_share=sum(bool(a.get("reported")) for a in accounts) / max(n, 1))


def reference_from_snapshot(evidence: Evidence, projection: Projection, scripted: np.ndarray,
                            proxied: np.ndarray, institutional: np.ndarray,
                            snapshot: dict[str, Any],
                            sizes: dict[str, dict[str, int]]) -> Reference:
    """A reference for part of a population (an incremental run's accounts and
    the networks they touch) that measures them as the run whose `snapshot`
    it is measured them: percentiles among that run's quantiles, its rates
    and chance of sharing, and each entity's users in the whole population
    (`sizes`, kind -> key -> accounts; template families counted at hand)."""
    sessions = _totals(evidence)["sessions"]
    measures, created = account_measures(evidence, projection, snapshot["reasoning_rate"],
                                         snapshot["rewrite_rate"])
    quantiles = {name: np.asarray(snapshot["quantiles"][name], dtype=float)
                 for name in measures}
    ranks = {name: percentiles(values, quantiles[name]) for name, values in measures.items()}
    users, keys_of = _entity_users(evidence, projection, sizes)
    domains = Counter(sizes.get("email_domain", {}))
    for a in evidence.accounts:
        if a.get("email_domain") and a["email_domain"] not in domains:
            domains[a["email_domain"]] += 1
    span = snapshot.get("signup_span")
    ref = Reference(
        evidence.size, sessions > 0, measures, ranks, snapshot["reasoning_rate"],
        snapshot["rewrite_rate"], scripted, proxied, institutional,
        snapshot["busiest_8h_share"], snapshot["enforced_share"], created, users, keys_of,
        domains, egress=frozenset(ip for ip, intel in evidence.ip_intel.items()
                                  if intel.get("network_type") in SHARED_EGRESS),
        scripted_share=snapshot["scripted_share"], proxy_share=snapshot["proxy_share"],
        population_size=int(snapshot["size"]),
        signup_span=(float(span[0]), float(span[1])) if span else None,
        reported_share=float(snapshot.get("reported_share", 0.0)))
    ref._sorted = quantiles
    ref._medians = {name: float(np.median(q)) for name, q in quantiles.items()}
    ref._informative = tuple(snapshot["informative"])
    ref._entity_sizes = {key: Counter({int(k): int(v) for k, v in hist.items()})
                         for key, hist in snapshot["entity_sizes"].items()}
    return ref


# -- a group ---------------------------------------------------------------------


@dataclass
class Group:
    """A group of accounts being scored, with what its features share."""

    members: list[int]
    accounts: list[dict[str, Any]]
    evidence: Evidence
    projection: Projection
    ref: Reference
    wave_hours: int = 72
    # kind -> the members of each of the group's own entities (own_cliques)
    _cliques: dict[str, list[list[int]]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def sessions(self) -> int:
        return sum(a["sessions"] for a in self.accounts) or 1

    def typical_percentile(self, measure: str) -> float:
        """Lower confidence bound of the members' median percentile."""
        ranks = np.sort(self.ref.ranks[measure][self.members])
        n = ranks.size
        if n == 0:
            return 0.5
        k = int(math.floor(n / 2 - Z_BOUND * math.sqrt(n) / 2))
        return float(ranks[max(0, min(k, n - 1))])

    def pooled_percentile(self, measure: str, rate: str) -> float:
        """The typical member judged by the group as a whole: the lower confidence
        bound of the members' mean raw rate, placed among the population's
        (shrunk) figures. Members with a handful of sessions each say little
        one by one; together they say what their typical member does."""
        active = [m for m in self.members if self.ref.active[m]]
        if len(active) < 5:
            return 0.0
        rates = self.ref.measures[rate][active]
        bound = float(rates.mean() - Z_BOUND * rates.std(ddof=1) / math.sqrt(len(active)))
        return self.ref.percentile_of(rate, bound)

    def sharing(self, kind: str, keep: Callable[[str], bool] | None = None
                ) -> tuple[set[int], int, float]:
        """Members that share an entity of this kind with another member, how many
        such entities, and how many entities a random group of the same size
        would share by chance (Reference.expected_shared). Hubs (more than
        HUB_USERS users) say nothing and are left out of both."""
        per_account = self.ref.keys_of.get(kind, {})
        users = self.ref.users.get(kind, Counter())
        inside: dict[str, list[int]] = defaultdict(list)
        for m in self.members:
            for key in per_account.get(m, ()):
                if users[key] <= HUB_USERS and (keep is None or keep(key)):
                    inside[key].append(m)
        sharers: set[int] = set()
        entities = 0
        for accounts in inside.values():
            if len(accounts) > 1:
                sharers.update(accounts)
                entities += 1
        return sharers, entities, self.ref.expected_shared(kind, self.size, keep)

    def own_sharers(self, kind: str) -> set[int]:
        """Members that share an entity of this kind that is the group's own: most
        of its users in the population are members (a popular template or a
        carrier NAT that the group also touches ties no one to it)."""
        return {m for accounts in self.own_cliques(kind) for m in accounts}

    def own_cliques(self, kind: str) -> list[list[int]]:
        """The members of each of the group's own entities of this kind (used by
        two members or more, and by members for at least half its users)."""
        if kind not in self._cliques:
            self._cliques[kind] = self._find_cliques(kind)
        return self._cliques[kind]

    def marked_components(self) -> list[list[int]]:
        """The members joined by the group's own cards, devices, keys and
        template families (`MARKED_SHARING`), as connected sets in member order;
        a member sharing none of them is a set of its own."""
        parent = {m: m for m in self.members}

        def root(m: int) -> int:
            while parent[m] != m:
                parent[m] = parent[parent[m]]
                m = parent[m]
            return m

        for kind in MARKED_SHARING:
            for clique in self.own_cliques(kind):
                first = root(clique[0])
                for m in clique[1:]:
                    parent[root(m)] = first
        components: dict[int, list[int]] = {}
        for m in self.members:
            components.setdefault(root(m), []).append(m)
        return list(components.values())

    def _find_cliques(self, kind: str) -> list[list[int]]:
        per_account = self.ref.keys_of.get(kind, {})
        users = self.ref.users.get(kind, Counter())
        inside: dict[str, list[int]] = defaultdict(list)
        for m in self.members:
            for key in per_account.get(m, ()):
                inside[key].append(m)
        return [accounts for key, accounts in inside.items()
                if len(accounts) > 1 and len(accounts) >= OWN_ENTITY * users[key]]


# An entity is a group's own when at least this share of its users are members.
OWN_ENTITY = 0.5


def rate_evidence(share: float, chance: float) -> float:
    """Nats for a share of members against the share chance gives: the share
    times the log of how many times chance it is (bounded)."""
    if share <= 0:
        return 0.0
    return share * clip(math.log(share / max(chance, 1e-6)))


def sharing_evidence(share: float, observed: float, expected: float) -> float:
    """Nats for a share of members that share something: the share times the log
    of how many times chance the observed count is (bounded)."""
    if share <= 0 or observed <= expected:
        return 0.0
    return share * clip(math.log(observed / max(expected, 1e-6)))


# -- intent features -----------------------------------------------------------------

Result = tuple[float, float | None, float, str]  # value, baseline, nats, sentence


def _intent(group: Group, measure: str, describe: Callable[[float, float], str],
            pooled: str | None = None) -> Result:
    q = group.typical_percentile(measure)
    together = group.pooled_percentile(measure, pooled) if pooled is not None else 0.0
    values = group.ref.measures[measure][group.members]
    typical = float(np.median(values)) if values.size else 0.0
    population = group.ref.median(measure)
    nats = clip(logit(max(q, together)))
    if together > q:
        return typical, population, nats, (
            f"{describe(typical, population)}; taken together, the members ask like an "
            f"account above {pct(together)} of accounts")
    return typical, population, nats, (
        f"{describe(typical, population)}; the typical member is above "
        f"{pct(q)} of accounts")


def extraction_requests(group: Group) -> Result:
    """The purpose of a harvest: sessions asking for step-by-step reasoning or
    censorship-safe rewrites, the typical member's rate (shrunk towards the
    population's for accounts with few sessions) as a percentile."""
    reasoning = sum(a["reasoning"] for a in group.accounts) / group.sessions
    rewrites = sum(a["rewrites"] for a in group.accounts) / group.sessions
    ref = group.ref
    _value, _base, nats, tail = _intent(group, "extraction", lambda v, b: "",
                                   pooled="extraction_rate")
    # Asking a little more often than most is no purpose: the evidence counts in
    # full from twice the population's rate, and not at all at its rate.
    base = ref.reasoning_rate + ref.rewrite_rate
    if base > 0:
        nats *= clip(math.log(max(reasoning + rewrites, 1e-9) / base) / math.log(2), 0, 1)
    if rewrites > reasoning:
        lead = (f"{pct(rewrites)} of sessions ask for censorship-safe rewrites "
                f"(population: {pct(ref.rewrite_rate)})")
    else:
        lead = (f"{pct(reasoning)} of sessions ask for step-by-step reasoning "
                f"(population: {pct(ref.reasoning_rate)})")
    return max(reasoning, rewrites), max(ref.reasoning_rate, ref.rewrite_rate), nats, \
        lead + tail


def harvest(group: Group) -> Result:
    return _intent(group, "harvest", lambda v, b: (
        f"typical member received {v:,.0f} output tokens (population: {b:,.0f})"))


def daily_volume(group: Group) -> Result:
    return _intent(group, "daily_volume", lambda v, b: (
        f"typical member sends {v:,.0f} requests per active day (population: {b:,.0f})"))


def answer_length(group: Group) -> Result:
    return _intent(group, "answer_length", lambda v, b: (
        f"answers average {v:,.0f} output tokens per request (population: {b:,.0f})"))


def task_diversity(group: Group) -> Result:
    return _intent(group, "task_diversity", lambda v, b: (
        f"typical member sent {v:,.0f} distinct prompt templates (population: {b:,.0f})"))


def subject_sweep(group: Group) -> Result:
    return _intent(group, "subject_sweep", lambda v, b: (
        f"typical member's prompts sweep {2 ** v:,.1f} subjects' worth of categories "
        f"(population: {2 ** b:,.1f})"))


# -- coordination features ---------------------------------------------------------------


def _shared(group: Group, kind: str, label: str, plural: str | None = None,
            keep: Callable[[str], bool] | None = None) -> tuple[Result, set[int]]:
    """Sharing of one kind against chance, and the members that share the group's
    own entities of that kind (their own evidence of belonging)."""
    sharers, entities, expected = group.sharing(kind, keep)
    share = len(sharers) / group.size
    nats = sharing_evidence(share, entities, expected)
    return (share, expected, nats,
            f"{count(len(sharers), 'account')} share {count(entities, label, plural)} "
            f"(chance: {expected:.2g} in a random group this size)"), group.own_sharers(kind)


def payment_reuse(group: Group) -> tuple[Result, set[int]]:
    # A declared organisation's one billing is discounted with its other sharing
    # (see declared_organisation and app.detect.score).
    return _shared(group, "payment", "payment token")


def device_reuse(group: Group) -> tuple[Result, set[int]]:
    return _shared(group, "device", "device")


def key_reuse(group: Group) -> tuple[Result, set[int]]:
    return _shared(group, "api_key", "API key")


def address_sharing(group: Group) -> tuple[Result, set[int]]:
    egress = group.ref.egress
    return _shared(group, "ip", "address", "addresses", keep=lambda key: key not in egress)


def template_reuse(group: Group) -> tuple[Result, set[int]]:
    return _shared(group, "family", "near-duplicate prompt template family",
                   "near-duplicate prompt template families")


def signup_burst(group: Group) -> Result:
    """The most members created within `wave_hours`, against how many accounts of
    the population sign up in any such window (a Poisson rate)."""
    created = np.sort(group.ref.created[group.members][~np.isnan(
        group.ref.created[group.members])])
    if created.size < 5:
        return 0.0, None, 0.0, "too few members with a sign-up time for a wave"
    width = group.wave_hours * 3600
    ends = np.searchsorted(created, created + width, side="right")
    counts = ends - np.arange(created.size)
    best = int(counts.max())
    start = float(created[int(counts.argmax())])
    known = group.ref.signup_span
    span = max(known[1] - known[0], width) if known else width
    # The share of a random group in its busiest window: twice the window's
    # share of the sign-up span, and never fewer than two accounts.
    chance = min(1.0, max(width / span * 2, 2 / created.size))
    share = best / created.size
    nats = clip(rate_evidence(share, chance), 0, 1.5) if best >= 3 else 0.0
    day = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d")
    return share, chance, nats, (f"{pct(share)} of accounts signed up within "
                                 f"{group.wave_hours} hours from {day} "
                                 f"(chance: {pct(chance)})")


def lockstep_hours(group: Group) -> Result:
    hours = np.zeros(24)
    for i in group.members:
        row = group.evidence.hours.get(i)
        if row is not None:
            hours += np.asarray(row)
    share = busiest_window_share(hours)
    base = max(group.ref.busiest_8h_share, 8 / 24)
    nats = clip(2 * logit(share) - 2 * logit(min(base + 0.1, 0.99)), 0, 1.5) \
        if share > base + 0.1 else 0.0
    return share, group.ref.busiest_8h_share, nats, (
        f"{pct(share)} of sessions fall in the same 8 hours of the day "
        f"(population: {pct(group.ref.busiest_8h_share)})")


def scripted_clients(group: Group) -> Result:
    share = float(group.ref.scripted[group.members].sum()) / group.sessions
    base = group.ref.scripted_share
    nats = clip(share - base, 0, 1) * 0.5
    return share, base, nats, (f"{pct(share)} of sessions use scripted clients "
                               f"(population: {pct(base)})")


def proxy_traffic(group: Group) -> Result:
    share = float(group.ref.proxied[group.members].sum()) / group.sessions
    base = group.ref.proxy_share
    # An intel label is one piece of evidence, never the deciding one: a cloud
    # address is a notebook as often as a proxy.
    nats = clip(share - base, 0, 1) * 0.5
    return share, base, nats, (f"{pct(share)} of sessions come from datacenter, proxy, VPN "
                               f"or Tor addresses (population: {pct(base)})")


def weak_label_evidence(share: float, base: float, size: int) -> float:
    """Nats for the share of a group's members carrying a weak label (our own bans,
    another provider's report) against the population's share: at most one nat,
    so a group is never flagged just because some of its members carry it, and
    none for groups under five members."""
    return clip(rate_evidence(share, max(base, 1e-3)), 0, 1.0) if size >= 5 else 0.0


def enforcement_history(group: Group) -> Result:
    enforced = sum(a["status"] in ("banned", "suspended") for a in group.accounts) / group.size
    base = group.ref.enforced_share
    nats = weak_label_evidence(enforced, base, group.size)
    return enforced, base, nats, (f"{pct(enforced)} of accounts already banned or suspended "
                                  f"(population: {pct(base)})")


def partner_reports(group: Group) -> Result:
    reported = sum(bool(a.get("reported")) for a in group.accounts) / group.size
    base = group.ref.reported_share
    # Another provider's report is their investigators' weak label, as our own
    # bans are; as coordination it also never counts for more than the group's
    # own extraction evidence, so it never flags a group alone.
    nats = weak_label_evidence(reported, base, group.size)
    return reported, base, nats, (f"{pct(reported)} of accounts use addresses, devices, "
                                  f"cards or templates other providers reported "
                                  f"(population: {pct(base)})")


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


def regrowth(group: Group) -> Result:
    heads = len(new_head_members(group.members, group.accounts))
    share = heads / group.size
    nats = clip(rate_evidence(share, 0.02), 0, 1.0) if heads >= 2 else 0.0
    return heads, None, nats, (f"{count(heads, 'account')} signed up after other members "
                               "were banned (new heads)")


# -- mitigations -------------------------------------------------------------------------


# Marks of shared entities (as the coordination features set them), and the
# entity kinds they come from: sharing these marks a member as one of the
# group's own.
MARK_KINDS = {"payment": "payment", "device": "device", "api_key": "api_key",
              "template": "family"}
MARKED_SHARING = tuple(MARK_KINDS.values())


def declared_organisation(group: Group) -> Result:
    """Members that belong to a declared organisation billed to one payment method
    (the organisation's own): an identified, paying customer, which is what a
    farm of throw-away accounts avoids. Several such customers in one group
    count together (two integrators behind one cloud region). When the
    customers are most of the group, their share is taken among the members
    that share the group's own cards, devices, keys and templates: a
    stranger on the team's cloud egress shares none of that and does not
    make the team's sharing a farm's."""
    by_org: dict[str, Counter[str | None]] = defaultdict(Counter)
    for a in group.accounts:
        if a.get("org_id"):
            by_org[a["org_id"]][a.get("payment")] += 1
    paying = set()
    for org, cards in by_org.items():
        card, users = cards.most_common(1)[0]
        if card is not None and users >= 0.8 * sum(cards.values()):
            paying.add(org)
    customers = {m for m, a in zip(group.members, group.accounts, strict=True)
                 if a.get("org_id") in paying}
    declared = sum(sum(cards.values()) for cards in by_org.values())
    share = len(customers) / group.size
    sharers = set().union(*(group.own_sharers(kind) for kind in MARKED_SHARING))
    among = ""
    if share > 0.5 and len(sharers) >= 2 and len(sharers & customers) / len(sharers) > share:
        share = len(sharers & customers) / len(sharers)
        among = " of the accounts that share the group's own entities"
    # Most of the group one paying customer: the group is that customer's (a
    # team beside the household of one of its staff), weighed by its share.
    nats = CAP * share if share > 0.5 else 0.0
    return share, None, nats, (f"{pct(declared / group.size)} of accounts belong to "
                               f"{count(len(by_org), 'declared organisation')}, "
                               f"{pct(share)}{among} under the organisation's one billing")


def one_billing(group: Group) -> Result:
    """A customer that declares no organisation: (nearly) the whole group billed
    to one payment method and using one institutional e-mail domain of its
    own. A farm keeps its heads apart so that one ban does not take them
    all; half the weight of a declaration, and the group's other sharing
    still counts (an undeclared customer is not known to be one)."""
    if group.size < 3:
        return 0.0, None, 0.0, "too few members"
    if sum(1 for a in group.accounts if a.get("org_id")) >= 0.8 * group.size:
        # A declared organisation: declared_organisation weighs its billing.
        return 0.0, None, 0.0, "the accounts declare their organisation"
    billed = _one_billing(group)
    nats = 0.5 * CAP * billed if billed >= 0.8 else 0.0
    return billed, None, nats, (f"{pct(billed)} of accounts are billed to one payment method "
                                "and use one institutional e-mail domain of their own")


def _one_billing(group: Group) -> float:
    """The share of members under the group's one payment method and its one
    institutional e-mail domain (the smaller of the two), when the domain is
    not a public mail service and is the group's own: most of its users are
    members (as for any entity, `Group.own_cliques`). A company may bill its
    teams to a card each: one team is a group of its own, beside the others
    on the company's domain; a throw-away mail domain is most users' own."""
    cards = Counter(a.get("payment") for a in group.accounts if a.get("payment"))
    top = _top_domain(group)
    if not cards or top is None:
        return 0.0
    _card, billed = cards.most_common(1)[0]
    domain, users, own = top
    if domain in PUBLIC_MAIL or own < OWN_ENTITY:
        return 0.0
    return min(billed, users) / group.size


def _top_domain(group: Group) -> tuple[str, int, float] | None:
    """The group's most used e-mail domain, its users in the group, and the
    share of all its users that are in the group (None without domains)."""
    domains = Counter(a["email_domain"] for a in group.accounts if a.get("email_domain"))
    if not domains:
        return None
    domain, users = domains.most_common(1)[0]
    return domain, users, users / max(group.ref.domain_users[domain], 1)


def institutional_domain(group: Group) -> Result:
    """One e-mail domain for (nearly) the whole group, not a public mail service,
    and used (nearly) only by this group: a school's or a company's."""
    top = _top_domain(group)
    if top is None:
        return 0.0, None, 0.0, "no e-mail domains"
    domain, users, own = top
    share = users / group.size
    nats = share if share >= 0.8 and own >= 0.8 and domain not in PUBLIC_MAIL else 0.0
    return share, None, nats, (f"{pct(share)} of accounts use one institutional e-mail domain "
                               f"({pct(own)} of its users are in this group)")


def established_accounts(group: Group) -> Result:
    """Accounts that existed long before they were first seen active, and were
    never banned: customers' accounts age, a farm's are made for the job (and
    aged accounts cost a farm money). The median unbanned member's account age
    at its first session, as a percentile of the population; at most 1.5 nats,
    since accounts can be bought aged."""
    unbanned = [m for m, a in zip(group.members, group.accounts, strict=True)
                if a["status"] != "banned"]
    if len(unbanned) < 0.8 * group.size:
        return 0.0, None, 0.0, "many members banned"
    q = float(np.median(group.ref.ranks["account_age"][unbanned]))
    age = float(np.median(group.ref.measures["account_age"][unbanned]))
    nats = clip(0.5 * logit(q), 0, 1.5)
    return age, group.ref.median("account_age"), nats, (
        f"typical member's account was {age:,.0f} days old when first active "
        f"(population: {group.ref.median('account_age'):,.0f}); none banned"
        if len(unbanned) == group.size else
        f"typical member's account was {age:,.0f} days old when first active "
        f"(population: {group.ref.median('account_age'):,.0f})")


def institutional_network(group: Group) -> Result:
    share = float(group.ref.institutional[group.members].sum()) / group.sessions
    nats = 2.0 * share if share >= 0.3 else 0.0
    return share, None, nats, f"{pct(share)} of sessions come from known campus or company networks"


def few_templates(group: Group) -> Result:
    """Homework and one app reuse a few templates heavily; a harvest sends many.
    The share of the group's templated sessions in its five busiest families,
    counted in full for a group whose typical member is at or below the
    population's median daily volume and not at all near its top."""
    if group.size < 5:
        return 0.0, None, 0.0, "no templated sessions"
    uses = [group.projection.account_families.get(m, {}) for m in group.members]
    families = np.fromiter((f for used in uses for f in used), dtype=np.uint64)
    if families.size == 0:
        return 0.0, None, 0.0, "no templated sessions"
    sessions = np.fromiter((c for used in uses for c in used.values()), dtype=np.int64,
                           count=families.size)
    _distinct, which = np.unique(families, return_inverse=True)
    per_family = np.bincount(which, weights=sessions)
    top = float(np.sort(per_family)[-5:].sum() / per_family.sum())
    # Homework is a few templates at a low daily volume; a harvest at volume
    # through a few templates gets no credit for them.
    volume = group.typical_percentile("daily_volume")
    quiet = clip((1 - volume) / 0.5, 0, 1)
    nats = 2.0 * (top - 0.5) / 0.5 * quiet if top > 0.5 else 0.0
    described = count(per_family.size, "template family", "template families")
    return top, None, nats, (f"{pct(top)} of templated sessions use the same 5 prompt "
                             f"templates ({described} in all)")


@dataclass(frozen=True)
class Spec:
    name: str
    family: str
    compute: Callable[[Group], Any]
    # Shared-entity features also name the members that share (their own evidence).
    marks: str | None = None
    # Whether the feature reads percentiles (which change when the reference is
    # taken again without the networks found); the others are kept per group.
    ranked: bool = False


FEATURES: tuple[Spec, ...] = (
    Spec("extraction_requests", "intent", extraction_requests, ranked=True),
    Spec("harvest", "intent", harvest, ranked=True),
    Spec("daily_volume", "intent", daily_volume, ranked=True),
    Spec("answer_length", "intent", answer_length, ranked=True),
    Spec("task_diversity", "intent", task_diversity, ranked=True),
    Spec("subject_sweep", "intent", subject_sweep, ranked=True),
    Spec("payment_reuse", "coordination", payment_reuse, marks="payment"),
    Spec("device_reuse", "coordination", device_reuse, marks="device"),
    Spec("api_key_reuse", "coordination", key_reuse, marks="api_key"),
    Spec("address_sharing", "coordination", address_sharing),
    Spec("template_reuse", "coordination", template_reuse, marks="template"),
    Spec("signup_wave", "coordination", signup_burst),
    Spec("lockstep_hours", "coordination", lockstep_hours),
    Spec("scripted_clients", "coordination", scripted_clients),
    Spec("proxy_traffic", "coordination", proxy_traffic),
    Spec("enforcement_history", "coordination", enforcement_history),
    Spec("partner_reports", "coordination", partner_reports),
    Spec("regrowth", "coordination", regrowth),
    Spec("declared_organisation", "mitigation", declared_organisation),
    Spec("one_billing", "mitigation", one_billing),
    Spec("institutional_domain", "mitigation", institutional_domain),
    Spec("institutional_network", "mitigation", institutional_network),
    Spec("established_accounts", "mitigation", established_accounts, ranked=True),
    Spec("few_templates", "mitigation", few_templates, ranked=True),
)
