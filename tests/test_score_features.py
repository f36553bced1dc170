"""The scoring features, one by one, on hand-made populations with known answers.

Every test builds an ordinary background population (seeded, varied, modest
behaviour) and a group engineered to show, or not to show, one feature, then
checks the feature's figure, the population's figure, the evidence in nats
and the sentence. The last tests score whole worlds: a many-template
harvesting network, a class doing homework, a declared evaluation team.
No database.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from app.detect import features as F
from app.detect.coactivity import CoactivityParams
from app.detect.evidence import Evidence
from app.detect.features import CAP, FEATURES, Feature, Group, clip, rate_evidence
from app.detect.project import ProjectionParams, project
from app.detect.run import (
    DetectParams,
    analyse,
    second_networks,
    sharing_credentials,
    worth_splitting,
)
from app.detect.score import (
    CREDENTIALS,
    FARM_ONLY,
    HABIT_FLOOR,
    INTENT_WEIGHT,
    MIN_TIE_TO_MARKED,
    PRIOR,
    Habits,
    Likeness,
    ScoreParams,
    ScoringContext,
    alike_members,
    bound_coordination,
    calibrate,
    chance_threshold,
    evaluate_group,
    on_scripts,
    score_all,
    score_community,
    score_groups,
    spreads_credentials,
    ties_to_marked,
)

DAY = 86_400
T0 = 1_700_006_400  # 2023-11-15 00:00 UTC
CATEGORIES = [f"subject{i}" for i in range(20)]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"
SCRIPT = "python-requests/2.31"
NAT = "100.64.0.1"  # a carrier NAT many ordinary phones share
POPULAR = 0x5A5A_1234_9876_F0F0  # a popular prompt (a 'summarise this' button)


def flip(value: int, bits: Iterable[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


@dataclass
class World:
    """An Evidence under construction, with helpers for realistic accounts."""

    seed: int = 0
    span_days: int = 365
    ev: Evidence = field(default_factory=Evidence)
    rng: random.Random = field(init=False)
    groups: dict[str, list[int]] = field(default_factory=dict)
    _addresses: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def address(self) -> str:
        """A fresh residential address."""
        self._addresses += 1
        n = self._addresses
        return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    def account(self, name: str, *, sessions: int, requests: int, reasoning: int = 0,
                rewrites: int = 0, output: int | None = None, days: int | None = None,
                first_day: int | None = None, window_days: int = 60,
                hours: list[int] | None = None, templates: list[int] | None = None,
                categories: dict[str, int] | None = None, created: float | None = None,
                ips: list[tuple[str, int]] | None = None, agent: str = BROWSER,
                device: str | None = None, api_key: str | None = None,
                **facts: Any) -> int:
        """One account with its sessions spread over `days` distinct days between
        `first_day` and `first_day + window_days` (days after T0; by default
        from the day it signed up), at `hours` (by default any)."""
        rng = self.rng
        created = T0 + rng.uniform(0, self.span_days * DAY) if created is None else created
        if first_day is None:
            first_day = int((created - T0) // DAY) + 1
        a = self.ev.add_account(name, sessions=sessions, requests=requests,
                                tokens=requests * 300, reasoning=reasoning,
                                rewrites=rewrites, created=created, **facts)
        days = max(1, min(days or sessions, sessions))
        window = max(window_days, days)
        chosen = sorted(rng.sample(range(window), days))
        starts = []
        for s in range(sessions):
            day = first_day + chosen[s % days]
            hour = rng.choice(hours) if hours else rng.randrange(24)
            starts.append(T0 + day * DAY + hour * 3600 + rng.randrange(3600))
        self.ev.starts[a] = starts
        by_hour = [0] * 24
        for t in starts:
            by_hour[(t % DAY) // 3600] += 1
        self.ev.hours[a] = by_hour
        self.ev.templates[a] = list(templates) if templates is not None else [
            rng.getrandbits(64) for _ in range(sessions)]
        self.ev.categories[a] = dict(categories) if categories is not None else {
            rng.choice(CATEGORIES): sessions}
        self.ev.output_tokens[a] = requests * 250 if output is None else output
        for address, used in ips if ips is not None else [(self.address(), sessions)]:
            self.ev.ip_uses.append((a, address, used))
        self.ev.entity_uses["user_agent"].append((a, agent, sessions))
        self.ev.entity_uses["device"].append((a, device or f"dev-{name}", sessions))
        if api_key:
            self.ev.entity_uses["api_key"].append((a, api_key, sessions))
        return a

    def background(self, n: int = 400) -> list[int]:
        """Ordinary accounts: a few sessions each, rare reasoning requests, short
        answers, one to three subjects, their own home address (some also a
        carrier NAT, some a household's), a popular template now and then."""
        rng = self.rng
        self.ev.ip_intel[NAT] = {"network_type": "mobile", "known": True,
                                 "proxy_provider": None}
        members = []
        household = None
        for i in range(n):
            sessions = rng.randint(3, 15)
            requests = sessions * rng.randint(2, 8)
            picked = rng.sample(CATEGORIES, rng.randint(1, 3))
            categories: dict[str, int] = {}
            for s in range(sessions):
                subject = picked[s % len(picked)]
                categories[subject] = categories.get(subject, 0) + 1
            templates = [rng.getrandbits(64) for _ in range(sessions)]
            if rng.random() < 0.3:
                templates[0] = flip(POPULAR, rng.sample(range(64), rng.randint(0, 2)))
            home = self.address()
            if i % 20 == 1:
                household = home
            elif i % 20 == 2 and household:
                home = household  # two people, one home
            ips = [(home, sessions)]
            if rng.random() < 0.2:
                ips.append((NAT, 2))
            created = T0 + rng.uniform(0, self.span_days * DAY)
            # most start the day they sign up, some weeks or months later
            first_day = int((created - T0) // DAY) + rng.choice([0, 0, 0, 1, 3, 10, 30, 90])
            status = "banned" if rng.random() < 0.02 else "active"
            email = rng.choices(["gmail.com", "outlook.com", f"home{i}.example"],
                                weights=[7, 2, 1])[0]
            members.append(self.account(
                f"bg{i}", sessions=sessions, requests=requests,
                reasoning=sum(rng.random() < 0.05 for _ in range(sessions)),
                rewrites=sum(rng.random() < 0.02 for _ in range(sessions)),
                output=requests * rng.randint(100, 400), days=rng.randint(1, sessions),
                templates=templates, categories=categories, ips=ips, created=created,
                first_day=first_day, agent=SCRIPT if rng.random() < 0.05 else BROWSER,
                payment=f"pm-bg{i}" if rng.random() < 0.5 else None,
                email_domain=email, status=status,
                status_changed=T0 + 200 * DAY if status == "banned" else None))
        self.groups["background"] = members
        return members

    def context(self, params: ScoreParams | None = None) -> ScoringContext:
        # No feature reads co-activity links (they only shape communities).
        projection = project(self.ev, ProjectionParams(coactivity=CoactivityParams(False)))
        return ScoringContext.build(self.ev, projection, params)


def group(ctx: ScoringContext, members: list[int]) -> Group:
    return Group(members, [ctx.evidence.accounts[i] for i in members], ctx.evidence,
                 ctx.projection, ctx.ref, ctx.params.wave_hours)


def features_of(ctx: ScoringContext, members: list[int]) -> dict[str, F.Feature]:
    found, _own = evaluate_group(members, ctx)
    return {f.name: f for f in found}


def heavy(world: World, name: str, n: int = 10, **overrides: Any) -> list[int]:
    """`n` accounts far above the population on one measure (the overrides),
    ordinary on the rest."""
    members = []
    for i in range(n):
        facts: dict[str, Any] = dict(sessions=10, requests=40, output=40 * 250, days=10)
        facts.update(overrides)
        members.append(world.account(f"{name}{i}", **facts))
    world.groups[name] = members
    return members


def test_every_feature_in_the_table_is_tested_here() -> None:
    tested = {"extraction_requests", "harvest", "daily_volume", "answer_length",
              "task_diversity", "subject_sweep", "payment_reuse", "device_reuse",
              "api_key_reuse", "address_sharing", "template_reuse", "signup_wave",
              "lockstep_hours", "scripted_clients", "proxy_traffic", "enforcement_history",
              "partner_reports", "regrowth", "declared_organisation", "one_billing",
              "institutional_domain", "institutional_network", "few_templates",
              "established_accounts"}
    assert {spec.name for spec in FEATURES} == tested


# -- intent ---------------------------------------------------------------------------
# Ten accounts that all share one figure above every ordinary account sit at the
# mid-rank of their tie run: (400 + 410) / (2 * 410) of the population, whose
# logit is log(81).
TOP_RANK = 810 / 820
TOP_NATS = math.log(81)


def test_extraction_requests_of_a_reasoning_harvest() -> None:
    world = World(seed=1)
    world.background(400)
    members = heavy(world, "reason", sessions=30, requests=120, reasoning=27, days=30)
    ctx = world.context()
    g = group(ctx, members)
    value, baseline, nats, sentence = F.extraction_requests(g)
    assert value == pytest.approx(0.9)
    assert baseline == pytest.approx(max(ctx.ref.reasoning_rate, ctx.ref.rewrite_rate))
    assert baseline < 0.05  # ordinary accounts rarely ask for step-by-step reasoning
    # Every member is above every ordinary account.
    assert g.typical_percentile("extraction") == pytest.approx(TOP_RANK)
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith("90% of sessions ask for step-by-step reasoning "
                               f"(population: {F.pct(ctx.ref.reasoning_rate)})")
    assert sentence.endswith("the typical member is above 99% of accounts")


def test_extraction_requests_of_quiet_accounts_is_judged_by_the_members_together() -> None:
    world = World(seed=1)
    background = world.background(400)
    # Forty accounts with four sessions each, every other one asking once for
    # reasoning: one by one, the typical member is shrunk towards the
    # population and looks ordinary; together, forty of them asking at two
    # and a half times the population's rate are a purpose.
    members = heavy(world, "quiet", n=40, sessions=4, requests=12, reasoning=1, days=4)
    for a in members[::2]:
        world.ev.accounts[a]["reasoning"] = 0
    ctx = world.context()
    g = group(ctx, members)
    value, _baseline, nats, sentence = F.extraction_requests(g)
    assert value == pytest.approx(20 / 160)
    assert g.typical_percentile("extraction") < 0.5
    # The lower 95% bound of the members' mean rate, placed among every active
    # account's raw rate of extraction requests.
    rates = np.array([0.25, 0.0] * 20)
    bound = rates.mean() - 1.645 * rates.std(ddof=1) / math.sqrt(40)
    assert bound == pytest.approx(0.125 - 1.645 * 0.12659 / math.sqrt(40), rel=1e-3)
    raw = [min(a["reasoning"] + a["rewrites"], a["sessions"]) / a["sessions"]
           for a in ctx.evidence.accounts if a["sessions"]]
    together = (sum(r < bound for r in raw) + sum(r == bound for r in raw) / 2) / len(raw)
    assert together > 0.6
    assert nats == pytest.approx(clip(math.log(together / (1 - together))))
    assert nats > 0.4
    assert sentence.endswith(f"taken together, the members ask like an account above "
                             f"{F.pct(together)} of accounts")
    assert len(background) == 400


def test_quiet_accounts_at_the_populations_rate_carry_no_purpose() -> None:
    world = World(seed=1)
    world.background(400)
    # Forty quiet accounts, two of them asking once: about the population's rate.
    members = heavy(world, "quiet", n=40, sessions=4, requests=12, days=4)
    for a in members[:2]:
        world.ev.accounts[a]["reasoning"] = 1
    ctx = world.context()
    g = group(ctx, members)
    _value, _baseline, nats, sentence = F.extraction_requests(g)
    assert g.pooled_percentile("extraction", "extraction_rate") < 0.5
    assert nats == 0.0
    assert "the typical member is above" in sentence


def test_asking_a_little_more_often_than_most_is_no_purpose() -> None:
    world = World(seed=3)
    world.background(400)
    # Fifty heavy sessions each, three of them asking for reasoning: above most
    # accounts (which rarely ask), but under twice the population's rate.
    members = heavy(world, "often", sessions=50, requests=200, reasoning=3, days=30)
    ctx = world.context()
    g = group(ctx, members)
    base = ctx.ref.reasoning_rate + ctx.ref.rewrite_rate
    assert base < 0.06 < 2 * base
    q = max(g.typical_percentile("extraction"),
            g.pooled_percentile("extraction", "extraction_rate"))
    assert q > 0.5  # some evidence by percentile alone
    _value, _baseline, nats, _sentence = F.extraction_requests(g)
    share = math.log(0.06 / base) / math.log(2)
    assert 0 < share < 1
    assert nats == pytest.approx(clip(math.log(q / (1 - q))) * share)


def test_extraction_requests_names_rewrites_when_they_lead() -> None:
    world = World(seed=2)
    world.background(400)
    members = heavy(world, "rewrite", sessions=30, requests=120, rewrites=20, reasoning=2,
                    days=30)
    ctx = world.context()
    g = group(ctx, members)
    value, _baseline, nats, sentence = F.extraction_requests(g)
    assert value == pytest.approx(20 / 30)
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith("67% of sessions ask for censorship-safe rewrites "
                               f"(population: {F.pct(ctx.ref.rewrite_rate)})")


def test_three_random_ordinary_accounts_carry_no_intent() -> None:
    world = World(seed=3)
    background = world.background(400)
    ctx = world.context()
    rng = random.Random(7)
    intents = []
    for _ in range(60):
        members = sorted(rng.sample(background, 3))
        found = features_of(ctx, members)
        intents.append(sum(f.contribution for f in found.values() if f.family == "intent"))
        assert score_community(members, ctx).score < 0.1
    intents_ = np.array(intents)
    assert np.median(intents_) == 0.0
    assert intents_.mean() < 0.25  # against the 4.4 nats a flag needs
    assert intents_.max() < 1.5  # a third of what a flag needs (-PRIOR)


def test_harvest_is_the_typical_members_output_against_the_population() -> None:
    world = World(seed=4)
    background = world.background(400)
    members = heavy(world, "harvest", output=2_000_000)
    ctx = world.context()
    value, baseline, nats, sentence = F.harvest(group(ctx, members))
    everyone = [world.ev.output_tokens[a] for a in background + members]
    assert value == 2_000_000
    assert baseline == pytest.approx(float(np.median(everyone)))
    assert 1_000 < baseline < 50_000
    assert nats == pytest.approx(TOP_NATS)
    assert sentence == (f"typical member received 2,000,000 output tokens (population: "
                        f"{baseline:,.0f}); the typical member is above 99% of accounts")


def test_harvest_of_ordinary_members_is_no_evidence() -> None:
    world = World(seed=4)
    background = world.background(400)
    ctx = world.context()
    # the ten smallest harvests of the population
    smallest = sorted(background, key=lambda a: world.ev.output_tokens[a])[:10]
    g = group(ctx, smallest)
    value, baseline, nats, sentence = F.harvest(g)
    assert nats == 0.0
    assert value < baseline
    q = g.typical_percentile("harvest")
    assert q < 0.05
    assert sentence.endswith(f"the typical member is above {F.pct(q)} of accounts")


def test_daily_volume_is_requests_per_active_day() -> None:
    world = World(seed=5)
    world.background(400)
    members = heavy(world, "volume", sessions=20, requests=10_000, days=10)
    ctx = world.context()
    value, baseline, nats, sentence = F.daily_volume(group(ctx, members))
    assert value == pytest.approx(1_000)
    assert baseline == pytest.approx(ctx.ref.median("daily_volume"))
    assert 2 <= baseline <= 40
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith("typical member sends 1,000 requests per active day "
                               f"(population: {baseline:,.0f})")


def test_daily_volume_is_the_typical_active_day_not_one_burst() -> None:
    """A hackathon packs most of its newcomers' sessions into its day; a harvest
    keeps its volume up day after day. Both send as many requests in all."""
    world = World(seed=5)
    world.background(400)
    sustained = heavy(world, "harvest", sessions=24, requests=480, days=12)
    burst = []
    for i in range(10):
        a = world.account(f"event{i}", sessions=24, requests=480, days=5)
        # 20 sessions on the event day, one on each of four later days
        day0 = world.ev.starts[a][0] - world.ev.starts[a][0] % DAY
        world.ev.starts[a] = [day0 + 3600 * (s % 12) for s in range(20)] + [
            day0 + (d + 2) * DAY for d in range(4)]
        burst.append(a)
    ctx = world.context()
    steady, _b, steady_nats, _s = F.daily_volume(group(ctx, sustained))
    event, _b, event_nats, _s = F.daily_volume(group(ctx, burst))
    assert steady == pytest.approx(40)  # two sessions of 20 requests a day
    assert event == pytest.approx(20)  # one session on the typical of its five days
    assert event_nats < steady_nats - 1
    assert group(ctx, burst).typical_percentile("daily_volume") < \
        group(ctx, sustained).typical_percentile("daily_volume")


def test_answer_length_is_output_per_request() -> None:
    world = World(seed=6)
    world.background(400)
    members = heavy(world, "long", requests=40, output=40 * 3_000)
    ctx = world.context()
    value, baseline, nats, sentence = F.answer_length(group(ctx, members))
    assert value == pytest.approx(3_000)
    assert 100 <= baseline <= 400  # ordinary answers: 100-400 tokens per request
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith(f"answers average 3,000 output tokens per request "
                               f"(population: {baseline:,.0f})")


def test_task_diversity_counts_distinct_template_families() -> None:
    world = World(seed=7)
    world.background(400)
    rng = random.Random(70)
    members = [world.account(f"diverse{i}", sessions=80, requests=160, days=40,
                             templates=[rng.getrandbits(64) for _ in range(80)])
               for i in range(10)]
    ctx = world.context()
    value, baseline, nats, sentence = F.task_diversity(group(ctx, members))
    assert value == 80
    assert 3 <= baseline <= 15  # one template per ordinary session
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith(f"typical member sent 80 distinct prompt templates "
                               f"(population: {baseline:,.0f})")


def test_subject_sweep_is_the_entropy_of_categories() -> None:
    world = World(seed=8)
    world.background(400)
    sweep = {subject: 2 for subject in CATEGORIES[:16]}  # 16 subjects evenly: 4 bits
    members = heavy(world, "sweep", sessions=32, requests=64, days=32, categories=sweep)
    ctx = world.context()
    value, baseline, nats, sentence = F.subject_sweep(group(ctx, members))
    assert value == pytest.approx(4.0)
    assert baseline == pytest.approx(ctx.ref.median("subject_sweep"))
    assert 2 ** baseline <= 3  # ordinary accounts stay with one to three subjects
    assert nats == pytest.approx(TOP_NATS)
    assert sentence.startswith("typical member's prompts sweep 16.0 subjects' worth of "
                               f"categories (population: {2 ** baseline:,.1f})")


def test_a_measure_constant_in_the_population_is_no_evidence() -> None:
    world = World(seed=9)
    world.background(400)
    members = heavy(world, "volume", sessions=20, requests=10_000, days=10, reasoning=18)
    world.ev.output_tokens.clear()  # a provider that exports no output tokens
    ctx = world.context()
    assert "harvest" not in ctx.ref.informative
    assert "answer_length" not in ctx.ref.informative
    g = group(ctx, members)
    for compute in (F.harvest, F.answer_length):
        value, baseline, nats, sentence = compute(g)
        assert (value, baseline, nats) == (0.0, 0.0, 0.0)
        assert "the typical member is above 50% of accounts" in sentence
    # ... and the measures that do tell accounts apart still count.
    assert F.daily_volume(g)[2] == pytest.approx(TOP_NATS)
    found = features_of(ctx, members)
    assert found["harvest"].contribution == 0.0
    assert found["daily_volume"].contribution > 0


# -- coordination: sharing against chance --------------------------------------------------


def two_in_group(k: int, size: int, total: int) -> float:
    """The chance that at least two of an entity's k users fall in a random group
    of `size` of `total` accounts, each account in it independently with
    probability f = size / total: 1 - (1-f)^k - k f (1-f)^(k-1)."""
    f = size / total
    return 1 - (1 - f) ** k - k * f * (1 - f) ** (k - 1)


def expected_shared(ctx: ScoringContext, size: int, kind: str,
                    keep: Any = None) -> float:
    """The chance figure of Group.sharing, computed here from the population's
    user counts: how many entities of `kind` a random group of `size` shares,
    summed over the entities with 1 < k <= HUB_USERS users (kept by `keep`)."""
    total = ctx.ref.size
    return sum(two_in_group(k, size, total) for key, k in ctx.ref.users[kind].items()
               if 1 < k <= F.HUB_USERS and (keep is None or keep(key)))


def test_sharing_and_rate_evidence() -> None:
    # the share of members sharing, times the log of observed over expected
    assert F.sharing_evidence(0.5, 10, 1.0) == pytest.approx(0.5 * math.log(10))
    assert F.sharing_evidence(1.0, 686, 40.0) == pytest.approx(math.log(686 / 40))
    assert F.sharing_evidence(1.0, 1, 1e-4) == CAP  # bounded
    assert F.sharing_evidence(1.0, 0, 0.0) == 0.0  # nothing shared, nothing expected
    assert F.sharing_evidence(1.0, 1, 0.0) == CAP  # something shared, nothing expected
    # no more than chance, or no sharers: no evidence
    assert F.sharing_evidence(1.0, 3, 3.0) == 0.0
    assert F.sharing_evidence(1.0, 1, 1.24) == 0.0
    assert F.sharing_evidence(0.0, 5, 1.0) == 0.0
    # a rate against the rate chance gives (waves, bans, regrowth)
    assert F.rate_evidence(0.5, 0.1) == pytest.approx(0.5 * math.log(5))
    assert F.rate_evidence(0.1, 0.2) == 0.0
    assert F.rate_evidence(0.0, 0.1) == 0.0
    assert F.rate_evidence(1.0, 0.0) == CAP


def test_payment_reuse_inside_the_group_is_far_beyond_chance() -> None:
    world = World(seed=10)
    background = world.background(400)
    members = heavy(world, "card", n=6, payment="pm-ring")
    ctx = world.context()
    # Every ordinary token is its owner's own: the ring's is the only one shared,
    # by 6 accounts. A random 6 of 406 holds two of its users with probability
    # 1 - (1-f)^6 - 6 f (1-f)^5, f = 6 / 406: 0.00315.
    assert sorted(k for k in ctx.ref.users["payment"].values() if k > 1) == [6]
    assert ctx.ref.expected_shared("payment", 6) == pytest.approx(0.0031490101555)
    (share, chance, nats, sentence), sharers = F.payment_reuse(group(ctx, members))
    assert share == 1.0
    assert chance == pytest.approx(expected_shared(ctx, 6, "payment"))
    assert chance == pytest.approx(two_in_group(6, 6, 406))
    assert chance == pytest.approx(0.0031490101555)
    assert math.log(1 / chance) > CAP
    assert nats == CAP  # one token where chance gives 0.0031: bounded
    assert sentence == ("6 accounts share 1 payment token "
                        "(chance: 0.0031 in a random group this size)")
    assert sharers == set(members)
    # The ring diluted in a group of 40: a larger group shares more by chance, and
    # only 15% of its members share.
    wide = members + background[:34]
    (share, chance, nats, sentence), sharers = F.payment_reuse(group(ctx, wide))
    assert share == pytest.approx(6 / 40)
    assert chance == pytest.approx(two_in_group(6, 40, 406))
    assert chance == pytest.approx(0.1113682018166)
    assert nats == pytest.approx(6 / 40 * math.log(1 / chance))
    assert nats == pytest.approx(0.3292370150607)
    assert sentence == ("6 accounts share 1 payment token "
                        "(chance: 0.11 in a random group this size)")
    assert sharers == set(members)


def test_own_payment_tokens_are_no_sharing() -> None:
    world = World(seed=10)
    world.background(400)
    members = [world.account(f"solo{i}", sessions=10, requests=40, payment=f"pm-solo{i}")
               for i in range(6)]
    ctx = world.context()
    assert ctx.ref.expected_shared("payment", 6) == 0.0  # no token has two users
    (share, chance, nats, sentence), sharers = F.payment_reuse(group(ctx, members))
    assert (share, chance, nats, sharers) == (0.0, 0.0, 0.0, set())
    assert sentence == "0 accounts share 0 payment tokens (chance: 0 in a random group this size)"


def test_device_reuse_by_half_the_group() -> None:
    world = World(seed=11)
    world.background(400)
    members = [world.account(f"dev{i}", sessions=10, requests=40,
                             device="dev-shared" if i < 4 else None) for i in range(8)]
    ctx = world.context()
    assert sorted(k for k in ctx.ref.users["device"].values() if k > 1) == [4]  # one device
    assert ctx.ref.expected_shared("device", 8) == pytest.approx(0.0022469398914)
    (share, chance, nats, sentence), sharers = F.device_reuse(group(ctx, members))
    assert share == 0.5
    assert chance == pytest.approx(expected_shared(ctx, 8, "device"))
    assert chance == pytest.approx(two_in_group(4, 8, 408))
    assert chance == pytest.approx(0.0022469398914)
    assert nats == pytest.approx(0.5 * CAP)  # half the group, bounded log of 1 / 0.0022
    assert sentence == "4 accounts share 1 device (chance: 0.0022 in a random group this size)"
    assert sharers == set(members[:4])


def test_key_reuse_with_one_outsider_on_the_key() -> None:
    world = World(seed=12)
    background = world.background(400)
    members = [world.account(f"key{i}", sessions=10, requests=40, api_key="sk-ring")
               for i in range(5)]
    world.ev.entity_uses["api_key"].append((background[0], "sk-ring", 3))
    ctx = world.context()
    assert ctx.ref.users["api_key"]["sk-ring"] == 6
    # the outsider counts too: the key has six users
    assert sorted(k for k in ctx.ref.users["api_key"].values() if k > 1) == [6]
    assert ctx.ref.expected_shared("api_key", 5) == pytest.approx(0.0022120083076)
    (share, chance, nats, sentence), sharers = F.key_reuse(group(ctx, members))
    assert share == 1.0
    assert chance == pytest.approx(expected_shared(ctx, 5, "api_key"))
    assert chance == pytest.approx(two_in_group(6, 5, 405))
    assert chance == pytest.approx(0.0022120083076)
    assert nats == CAP
    assert sentence == "5 accounts share 1 API key (chance: 0.0022 in a random group this size)"
    # five of the key's six users are members: it is the group's own key
    assert sharers == set(members)


def test_address_sharing_rare_address_against_a_hub_and_a_carrier_nat() -> None:
    world = World(seed=13)
    background = world.background(400)
    private = [world.account(f"flat{i}", sessions=10, requests=40,
                             ips=[("10.250.0.1", 6), ("10.250.0.2", 4)]) for i in range(6)]
    # an unlabelled hotel Wi-Fi that 300 strangers also use
    hub = "198.18.0.1"
    for a in background[:300]:
        world.ev.ip_uses.append((a, hub, 1))
    hotel = [world.account(f"hotel{i}", sessions=10, requests=40,
                           ips=[(hub, 5), (world.address(), 5)]) for i in range(6)]
    # phones behind the carrier NAT (labelled mobile), with ~80 ordinary ones
    phones = [world.account(f"phone{i}", sessions=10, requests=40,
                            ips=[(NAT, 5), (world.address(), 5)]) for i in range(6)]
    ctx = world.context()
    assert ctx.ref.size == 418
    assert ctx.ref.users["ip"][hub] == 306 > F.HUB_USERS
    assert 60 < ctx.ref.users["ip"][NAT] <= F.HUB_USERS
    assert NAT in ctx.ref.egress

    def private_address(key: str) -> bool:
        return key not in ctx.ref.egress

    # The entities behind chance: the flat's two addresses (6 users each) and the
    # background's 20 two-person households; neither the hub (too many users)
    # nor the carrier NAT (known shared egress).
    kept = sorted(k for key, k in ctx.ref.users["ip"].items()
                  if 1 < k <= F.HUB_USERS and private_address(key))
    assert kept == [2] * 20 + [6, 6]
    six = expected_shared(ctx, 6, "ip", private_address)
    assert six == pytest.approx(2 * two_in_group(6, 6, 418) + 20 * two_in_group(2, 6, 418))
    assert six == pytest.approx(0.0100691534016)
    assert ctx.ref.expected_shared("ip", 6, private_address) == pytest.approx(six)

    (share, chance, nats, sentence), sharers = F.address_sharing(group(ctx, private))
    assert share == 1.0
    assert chance == pytest.approx(six)
    assert math.log(2 / chance) > CAP
    assert nats == CAP
    assert sentence == "6 accounts share 2 addresses (chance: 0.01 in a random group this size)"
    assert sharers == set(private)

    # The hub says nothing: it is left out of what the group shares as of chance.
    (share, chance, nats, sentence), sharers = F.address_sharing(group(ctx, hotel))
    assert (share, nats) == (0.0, 0.0)
    assert chance == pytest.approx(six)
    assert sentence == "0 accounts share 0 addresses (chance: 0.01 in a random group this size)"
    assert sharers == set()  # the hub is not the group's own

    # known shared egress says nothing
    (share, chance, nats, _sentence), _sharers = F.address_sharing(group(ctx, phones))
    assert (share, nats) == (0.0, 0.0)
    assert chance == pytest.approx(six)
    found = features_of(ctx, phones)
    assert found["address_sharing"].contribution == 0.0

    # The whole background shares its 20 households, fewer than the 20.3 a random
    # 400 of these 418 accounts would: no evidence, however many share.
    (share, chance, nats, sentence), _sharers = F.address_sharing(group(ctx, background))
    assert share == pytest.approx(40 / 400)
    assert chance == pytest.approx(2 * two_in_group(6, 400, 418)
                                   + 20 * two_in_group(2, 400, 418))
    assert chance == pytest.approx(20.3145973116)
    assert nats == 0.0
    assert sentence == ("40 accounts share 20 addresses "
                        "(chance: 20 in a random group this size)")


def test_template_reuse_of_a_private_family_and_of_a_popular_one() -> None:
    world = World(seed=14)
    background = world.background(400)
    base = 0x0F0F_1357_2468_ACE0
    rng = random.Random(140)
    ring = [world.account(f"tpl{i}", sessions=10, requests=40,
                          templates=[flip(base, rng.sample(range(64), 2)) for _ in range(10)])
            for i in range(6)]
    ctx = world.context()
    users = ctx.ref.users["family"]
    popular_key = max(users, key=users.get)
    popular = users[popular_key]
    assert 80 < popular <= F.HUB_USERS  # the 'summarise' button, below a hub
    # The only families with two users or more: the ring's and the popular one.
    assert sorted(k for k in users.values() if k > 1) == [6, popular]
    six = expected_shared(ctx, 6, "family")
    assert six == pytest.approx(two_in_group(6, 6, 406) + two_in_group(popular, 6, 406))
    assert ctx.ref.expected_shared("family", 6) == pytest.approx(six)

    (share, chance, nats, sentence), sharers = F.template_reuse(group(ctx, ring))
    assert share == 1.0
    assert chance == pytest.approx(six)
    assert nats == pytest.approx(F.sharing_evidence(1.0, 1, six))
    assert nats == pytest.approx(math.log(1 / six))
    ring_nats = nats
    assert sentence == ("6 accounts share 1 near-duplicate prompt template family "
                        f"(chance: {six:.2g} in a random group this size)")
    assert sharers == set(ring)  # the family is the ring's own

    fans = [a for a in background if popular_key in ctx.ref.keys_of["family"].get(a, [])][:6]
    (share, chance, nats, sentence), sharers = F.template_reuse(group(ctx, fans))
    assert share == 1.0 and chance == pytest.approx(six)
    # a random six shares the popular family about as often as not: one shared
    # family is barely more than chance, the same small evidence as the ring's
    assert 0.5 < six < 1
    assert nats == pytest.approx(ring_nats) and nats < 1
    assert sharers == set()  # but the popular family is not the fans' own
    assert sentence.startswith("6 accounts share 1 near-duplicate prompt template family")


def test_a_ring_sharing_one_private_family_shows_template_reuse() -> None:
    world = World(seed=14)
    world.background(400)
    base = 0x0F0F_1357_2468_ACE0
    rng = random.Random(140)
    ring = [world.account(f"tpl{i}", sessions=10, requests=40,
                          templates=[flip(base, rng.sample(range(64), 2)) for _ in range(10)])
            for i in range(6)]
    ctx = world.context()
    (_share, _chance, nats, _sentence), _sharers = F.template_reuse(group(ctx, ring))
    # A random 6 of these 406 accounts shares the popular family (117 users) with
    # probability 0.517 and the ring's with 0.0031 (binomial, f = 6 / 406): one
    # shared family is more than chance gives, however little.
    assert _chance == pytest.approx(expected_shared(ctx, 6, "family"))
    assert _chance == pytest.approx(two_in_group(117, 6, 406) + two_in_group(6, 6, 406))
    assert nats == pytest.approx(math.log(1 / _chance))
    assert nats > 0


# -- coordination: waves, rhythm, clients, history ------------------------------------------


def test_signup_wave_of_the_whole_group() -> None:
    world = World(seed=15)
    world.background(400)
    day = T0 + 100 * DAY  # 2024-02-23
    members = heavy(world, "wave", n=20)
    for i, a in enumerate(members):
        world.ev.accounts[a]["created"] = day + 3600 + i * 7200  # within 40 hours
    ctx = world.context()
    share, chance, nats, sentence = F.signup_burst(group(ctx, members))
    assert share == 1.0
    assert chance == pytest.approx(0.1)  # a random 20 puts two in its busiest window
    assert nats == 1.5  # bounded
    assert sentence == ("100% of accounts signed up within 72 hours from 2024-02-23 "
                        "(chance: 10%)")


def test_a_one_in_five_cluster_is_barely_a_wave() -> None:
    world = World(seed=15)
    world.background(400)
    members = heavy(world, "spread", n=20)
    for i, a in enumerate(members):
        # four within a day, the others 18 days apart over the year
        world.ev.accounts[a]["created"] = T0 + (50 * DAY + i * 3600 if i < 4 else
                                                i * 18 * DAY + 3600)
    ctx = world.context()
    share, chance, nats, sentence = F.signup_burst(group(ctx, members))
    assert share == pytest.approx(0.2)
    assert chance == pytest.approx(0.1)
    # A tenth of a real wave's evidence, 0.2 * log(0.2 / 0.1), not none:
    # signup_burst has no minimum share (lockstep_hours needs base + 10%).
    assert nats == pytest.approx(0.2 * math.log(2))
    assert nats < 0.15
    assert sentence.startswith("20% of accounts signed up within 72 hours")
    # Two in a window is what chance gives: nothing.
    pair = members[2:12]
    assert F.signup_burst(group(ctx, pair))[2] == 0.0
    # Too few members to speak of a wave.
    assert F.signup_burst(group(ctx, members[:4])) == (
        0.0, None, 0.0, "too few members with a sign-up time for a wave")


def test_lockstep_hours_against_the_populations_rhythm() -> None:
    world = World(seed=16)
    world.background(400)
    night = heavy(world, "night", sessions=30, requests=120, days=30, hours=[2, 3, 4, 5])
    anytime = heavy(world, "anytime", sessions=30, requests=120, days=30)
    ctx = world.context()
    base = ctx.ref.busiest_8h_share
    assert 1 / 3 <= base < 0.45  # ordinary sessions come at every hour
    share, baseline, nats, sentence = F.lockstep_hours(group(ctx, night))
    assert share == 1.0 and baseline == base
    assert nats == 1.5
    assert sentence == (f"100% of sessions fall in the same 8 hours of the day "
                        f"(population: {F.pct(base)})")
    share, _baseline, nats, _sentence = F.lockstep_hours(group(ctx, anytime))
    assert share < base + 0.1
    assert nats == 0.0


def test_scripted_clients() -> None:
    world = World(seed=17)
    background = world.background(400)
    bots = heavy(world, "bot", agent=SCRIPT)
    ctx = world.context()
    share, base, nats, sentence = F.scripted_clients(group(ctx, bots))
    assert share == 1.0
    assert base == 0.0  # the 5% of ordinary scripters are trimmed from the typical rate
    assert nats == 0.5
    assert sentence == "100% of sessions use scripted clients (population: 0%)"
    browsers = [a for a in background
                if world.ev.entity_uses["user_agent"][a][1] == BROWSER][:10]
    assert F.scripted_clients(group(ctx, browsers))[:3] == (0.0, 0.0, 0.0)


def test_proxy_traffic() -> None:
    world = World(seed=18)
    background = world.background(400)
    exits = {"198.51.100.7": "datacenter", "198.51.100.8": "vpn", "198.51.100.9": "tor"}
    for address, kind in exits.items():
        world.ev.ip_intel[address] = {"network_type": kind, "known": True,
                                      "proxy_provider": None}
    proxied = [world.account(f"proxied{i}", sessions=9, requests=40,
                             ips=[(address, 3) for address in exits]) for i in range(10)]
    ctx = world.context()
    share, base, nats, sentence = F.proxy_traffic(group(ctx, proxied))
    assert (share, base, nats) == (1.0, 0.0, 0.5)
    assert sentence == ("100% of sessions come from datacenter, proxy, VPN or Tor addresses "
                        "(population: 0%)")
    assert F.proxy_traffic(group(ctx, background[:10]))[:3] == (0.0, 0.0, 0.0)


def test_enforcement_history() -> None:
    world = World(seed=19)
    world.background(400)
    members = heavy(world, "banned", n=10)
    for a in members[:4]:
        world.ev.accounts[a]["status"] = "banned"
    world.ev.accounts[members[4]]["status"] = "suspended"
    ctx = world.context()
    value, base, nats, sentence = F.enforcement_history(group(ctx, members))
    assert value == 0.5
    assert base == pytest.approx(ctx.ref.enforced_share)
    assert 0 < base < 0.05
    assert nats == 1.0  # at most one nat: bans are weak labels
    assert sentence == f"50% of accounts already banned or suspended (population: {F.pct(base)})"
    # Four banned accounts are too few to speak of a history.
    value, _base, nats, _sentence = F.enforcement_history(group(ctx, members[:4]))
    assert value == 1.0 and nats == 0.0
    # One ban in ten is about what the population gives.
    lightly = members[4:]
    value, _base, nats, _sentence = F.enforcement_history(group(ctx, lightly))
    assert value == pytest.approx(1 / 6)
    assert nats == pytest.approx(clip(rate_evidence(1 / 6, base), 0, 1.0))


def test_partner_reports_are_evidence_and_never_a_verdict() -> None:
    world = World(seed=23)
    background = world.background(400)
    for a in background[:4]:
        world.ev.accounts[a]["reported"] = True
    reported = heavy(world, "reported", n=10)
    for a in reported[:8]:
        world.ev.accounts[a]["reported"] = True
    # Ordinary accounts another provider reported: no extraction of their own.
    ordinary = [world.account(f"plain{i}", sessions=10, requests=40, output=40 * 250,
                              days=10, reported=True) for i in range(10)]
    ctx = world.context()
    base = ctx.ref.reported_share
    assert base == pytest.approx(12 / ctx.evidence.size + 10 / ctx.evidence.size)
    value, base, nats, sentence = F.partner_reports(group(ctx, reported))
    assert value == 0.8 and nats == 1.0  # at most one nat, as our own bans
    assert sentence.startswith("80% of accounts use addresses, devices, cards or templates "
                               "other providers reported (population: ")
    # Too few to speak of, or nobody reported: nothing.
    assert F.partner_reports(group(ctx, reported[:4]))[2] == 0.0
    assert F.partner_reports(group(ctx, background[10:20]))[2] == 0.0
    # A group of ordinary accounts, all reported, still carries no extraction
    # evidence: the report is bounded by it and flags nothing alone.
    found = features_of(ctx, ordinary)
    assert found["partner_reports"].value == 1.0
    assert found["partner_reports"].contribution <= sum(
        f.contribution for f in found.values() if f.family == "intent") + 1e-9
    assert score_community(ordinary, ctx).score < ctx.params.flag_score


def test_regrowth_after_bans() -> None:
    world = World(seed=20)
    world.background(400)
    members = heavy(world, "hydra", n=8)
    ban = T0 + 50 * DAY
    for i, a in enumerate(members):
        facts = world.ev.accounts[a]
        if i < 3:
            facts.update(created=T0 + 10 * DAY, status="banned", status_changed=ban + i * DAY)
        else:
            facts.update(created=ban + (i + 10) * DAY, status="active")
    ctx = world.context()
    heads, baseline, nats, sentence = F.regrowth(group(ctx, members))
    assert heads == 5 and baseline is None
    assert nats == pytest.approx(clip(rate_evidence(5 / 8, 0.02), 0, 1.0))
    assert nats == 1.0
    assert sentence == "5 accounts signed up after other members were banned (new heads)"
    # One new head is no regrowth.
    assert F.regrowth(group(ctx, members[:4]))[:3] == (1, None, 0.0)
    # Members created before the first ban are not heads.
    assert F.regrowth(group(ctx, members[:3]))[:3] == (0, None, 0.0)


# -- mitigations -------------------------------------------------------------------------


def test_declared_organisation_with_one_billing() -> None:
    world = World(seed=21)
    world.background(400)
    acme = heavy(world, "acme", n=6, org_id="org-acme", payment="pm-acme")
    cards = heavy(world, "cards", n=6, org_id="org-cards")
    for i, a in enumerate(cards):
        world.ev.accounts[a]["payment"] = f"pm-own{i}"
    ctx = world.context()
    share, baseline, nats, sentence = F.declared_organisation(group(ctx, acme))
    assert (share, baseline, nats) == (1.0, None, CAP)
    assert sentence == ("100% of accounts belong to 1 declared organisation, 100% under "
                        "the organisation's one billing")
    share, _b, nats, sentence = F.declared_organisation(group(ctx, cards))
    assert (share, nats) == (0.0, 0.0)
    assert sentence.endswith("0% under the organisation's one billing")
    # Half the group from the organisation is not one customer ...
    share, _b, nats, _s = F.declared_organisation(group(ctx, acme[:3] + cards[:3]))
    assert nats == 0.0
    # ... two thirds is mostly one (a team beside a household on its own
    # card): weighed by its share.
    household = heavy(world, "home", n=2, payment="pm-home")
    ctx = world.context()
    share, _b, nats, _s = F.declared_organisation(group(ctx, acme[:4] + household))
    assert share == pytest.approx(4 / 6) and nats == pytest.approx(CAP * 4 / 6)


def test_a_stranger_on_a_declared_teams_egress_does_not_make_it_a_farm() -> None:
    world = World(seed=22)
    world.background(400)
    # An evaluation team of three under one organisation and its card, and a
    # heavy user of its own card who shares only the team's cloud address.
    team = heavy(world, "team", n=3, org_id="org-evals", payment="pm-evals")
    egress = next(address for account, address, _n in world.ev.ip_uses if account == team[0])
    stranger = world.account("stranger", sessions=40, requests=2_000, reasoning=30,
                             ips=[(egress, 40)], payment="pm-stranger")
    ctx = world.context()
    share, _b, nats, sentence = F.declared_organisation(group(ctx, team + [stranger]))
    assert (share, nats) == (1.0, CAP)
    assert sentence == ("75% of accounts belong to 1 declared organisation, 100% of the "
                        "accounts that share the group's own entities under the "
                        "organisation's one billing")
    # A minority under the organisation is not a customer, however it shares.
    crowd = heavy(world, "crowd", n=4)
    ctx = world.context()
    share, _b, nats, _s = F.declared_organisation(group(ctx, team + crowd))
    assert (round(share, 2), nats) == (0.43, 0.0)


def test_one_billing_and_own_domain_without_a_declared_organisation() -> None:
    world = World(seed=23)
    background = world.background(400)
    agency = heavy(world, "agency", n=8, payment="pm-agency", email_domain="words.example",
                   sessions=20, requests=400, reasoning=6, output=400 * 1500, days=20)
    freemail = heavy(world, "free", n=8, payment="pm-free", email_domain="gmail.com")
    cards = heavy(world, "cards", n=8, email_domain="farm.example")
    for i, a in enumerate(cards):
        world.ev.accounts[a]["payment"] = f"pm-farm{i // 4}"  # four heads per card
    shared = heavy(world, "shared", n=8, payment="pm-shared", email_domain="big.example")
    for a in background[:20]:
        world.ev.accounts[a]["email_domain"] = "big.example"
    ctx = world.context()
    share, baseline, nats, sentence = F.one_billing(group(ctx, agency))
    assert (share, baseline, nats) == (1.0, None, 0.5 * CAP)
    assert sentence == ("100% of accounts are billed to one payment method and use one "
                        "institutional e-mail domain of their own")
    # A public mail service is nobody's institution.
    assert F.one_billing(group(ctx, freemail))[2] == 0.0
    # Cards each shared by a few heads are not one billing.
    assert F.one_billing(group(ctx, cards))[:3] == (0.5, None, 0.0)
    # A domain most of whose users are outside the group is not its own.
    assert F.one_billing(group(ctx, shared))[2] == 0.0
    # A company that bills two teams to a card each, on its own domain: the
    # team that is most of the domain's users (8 of 13) is one billing on a
    # domain of its own; the other (5 of 13) is not.
    team_a = heavy(world, "team-a", n=8, payment="pm-team-a", email_domain="media.example")
    team_b = heavy(world, "team-b", n=5, payment="pm-team-b", email_domain="media.example")
    ctx = world.context()
    assert F.one_billing(group(ctx, team_a))[:3] == (1.0, None, 0.5 * CAP)
    assert F.one_billing(group(ctx, team_b))[2] == 0.0
    # The group's other sharing still counts: it is not discounted like a
    # declared organisation's.
    found = features_of(ctx, agency)
    assert found["one_billing"].contribution == -0.5 * CAP
    assert found["payment_reuse"].contribution > 0
    assert "expected of one declared organisation" not in found["payment_reuse"].reason
    # A declared organisation is weighed by declared_organisation alone.
    for a in agency:
        world.ev.accounts[a]["org_id"] = "org-words"
    declared = world.context()
    assert F.one_billing(group(declared, agency))[2:] == (
        0.0, "the accounts declare their organisation")
    assert F.declared_organisation(group(declared, agency))[2] == CAP


def test_institutional_domain_used_only_by_the_group() -> None:
    world = World(seed=22)
    background = world.background(400)
    lab = heavy(world, "lab", email_domain="physics.uni.example")
    mail = heavy(world, "mail", email_domain="gmail.com")
    big = heavy(world, "big", email_domain="bigcorp.example")
    for a in background[:40]:
        world.ev.accounts[a]["email_domain"] = "bigcorp.example"
    ctx = world.context()
    share, baseline, nats, sentence = F.institutional_domain(group(ctx, lab))
    assert (share, baseline, nats) == (1.0, None, 1.0)
    assert sentence == ("100% of accounts use one institutional e-mail domain "
                        "(100% of its users are in this group)")
    assert F.institutional_domain(group(ctx, mail))[2] == 0.0  # anyone's mail
    share, _b, nats, sentence = F.institutional_domain(group(ctx, big))
    assert share == 1.0 and nats == 0.0  # most of the domain's users are elsewhere
    assert "(20% of its users are in this group)" in sentence


def test_institutional_network() -> None:
    world = World(seed=23)
    world.background(400)
    campus = "192.0.2.10"
    world.ev.ip_intel[campus] = {"network_type": "education", "known": True,
                                 "proxy_provider": None}
    students = heavy(world, "student", ips=[(campus, 10)])
    visitors = heavy(world, "visitor", ips=[(campus, 2), ("10.251.0.1", 8)])
    ctx = world.context()
    share, baseline, nats, sentence = F.institutional_network(group(ctx, students))
    assert (share, baseline, nats) == (1.0, None, 2.0)
    assert sentence == "100% of sessions come from known campus or company networks"
    share, _b, nats, _s = F.institutional_network(group(ctx, visitors))
    assert share == pytest.approx(0.2) and nats == 0.0
    # ... and a campus address is known shared egress: no address evidence.
    assert F.address_sharing(group(ctx, students))[0][2] == 0.0


def test_established_accounts_aged_long_before_use() -> None:
    world = World(seed=25)
    world.background(400)
    # signed up on day 1, first active on day 301: old customers' accounts
    aged = heavy(world, "aged", created=T0 + DAY, first_day=301, window_days=10)
    fresh = heavy(world, "fresh", created=T0 + 100 * DAY, first_day=100)
    ctx = world.context()
    g = group(ctx, aged)
    age, baseline, nats, sentence = F.established_accounts(g)
    assert 300 <= age < 302
    assert baseline == pytest.approx(ctx.ref.median("account_age"))
    assert baseline < 60  # ordinary accounts start within weeks of signing up
    assert nats == 1.5  # 0.5 * log(81) bounded: accounts can be bought aged
    assert sentence == (f"typical member's account was {age:,.0f} days old when first "
                        f"active (population: {baseline:,.0f}); none banned")
    assert F.established_accounts(group(ctx, fresh))[2] == 0.0
    # A group with a fifth of its members banned gets no credit for its age.
    for a in aged[:3]:
        world.ev.accounts[a]["status"] = "banned"
    assert F.established_accounts(group(ctx, aged))[2:] == (0.0, "many members banned")
    found = features_of(ctx, fresh[:2] + aged[3:])
    assert found["established_accounts"].contribution < 0  # a mitigation


def homework(world: World, name: str, n: int, bases: list[int], sessions: int = 12,
             requests: int = 24, **facts: Any) -> list[int]:
    rng = world.rng
    members = [world.account(
        f"{name}{i}", sessions=sessions, requests=requests, days=sessions,
        templates=[flip(rng.choice(bases), rng.sample(range(64), rng.randint(0, 2)))
                   for _ in range(sessions)], **facts) for i in range(n)]
    world.groups[name] = members
    return members


def test_few_templates_reused_at_low_volume() -> None:
    world = World(seed=24)
    world.background(400)
    rng = random.Random(240)
    bases = [rng.getrandbits(64) for _ in range(3)]
    quiet = homework(world, "class", 10, bases)
    loud = homework(world, "farm", 10, [rng.getrandbits(64) for _ in range(3)],
                    requests=3_000)
    many = heavy(world, "many", sessions=12, requests=24, days=12)
    ctx = world.context()
    top, baseline, nats, sentence = F.few_templates(group(ctx, quiet))
    assert (top, baseline) == (1.0, None)
    assert group(ctx, quiet).typical_percentile("daily_volume") < 0.5
    assert nats == 2.0
    assert sentence == ("100% of templated sessions use the same 5 prompt templates "
                        "(3 template families in all)")
    # The same few templates at volume get (almost) no credit.
    g = group(ctx, loud)
    top, _b, nats, _s = F.few_templates(g)
    assert top == 1.0
    quietness = clip((1 - g.typical_percentile("daily_volume")) / 0.5, 0, 1)
    assert nats == pytest.approx(2.0 * quietness)
    assert nats < 0.1
    # A fresh prompt every session: the top five are 5 of 120.
    top, _b, nats, sentence = F.few_templates(group(ctx, many))
    assert top == pytest.approx(5 / 120) and nats == 0.0
    assert sentence.endswith("(120 template families in all)")
    assert F.few_templates(group(ctx, quiet[:4]))[2:] == (0.0, "no templated sessions")


# -- whole groups ------------------------------------------------------------------------


def many_template_network(world: World, n: int = 30) -> list[int]:
    """A harvesting network spread over hundreds of template families (each used
    by two or three heads, some as near-duplicates with flipped bits), 40%
    reasoning, many requests per session, long answers, a dozen subjects,
    residential addresses each shared by three heads; no card, device or key in
    common, sign-ups spread out."""
    rng = random.Random(world.seed + 1000)
    templates: list[list[int]] = [[] for _ in range(n)]
    for _family in range(700):
        base = rng.getrandbits(64)
        for head in rng.sample(range(n), rng.choice([2, 3])):
            bits = rng.sample(range(64), rng.randint(1, 3)) if rng.random() < 0.4 else []
            templates[head].append(flip(base, bits))
    homes = [world.address() for _ in range(n // 3)]
    for home in homes:
        world.ev.ip_intel[home] = {"network_type": "residential", "known": True,
                                   "proxy_provider": None}
    members = []
    for i in range(n):
        sessions = len(templates[i])
        assert sessions >= 40
        subjects = CATEGORIES[:12]
        requests = sessions * 60
        members.append(world.account(
            f"hydra{i}", sessions=sessions, requests=requests,
            reasoning=round(0.4 * sessions), output=requests * 1_500, days=20,
            created=T0 + rng.uniform(40, 99) * DAY, first_day=100, window_days=40,
            templates=templates[i],
            categories={s: sessions // 12 + (k < sessions % 12)
                        for k, s in enumerate(subjects)},
            ips=[(homes[i // 3], sessions)], payment=f"pm-hydra{i}",
            email_domain="gmail.com"))
    world.groups["network"] = members
    return members


def homework_class(world: World, n: int = 40) -> list[int]:
    """A class: sign-ups in one 72-hour wave, two lab addresses, one school mail
    domain used only by them, a dozen short sessions each through 3-5 of the
    teacher's five templates, 40% reasoning, one or two subjects, class hours."""
    rng = random.Random(world.seed + 2000)
    bases = [rng.getrandbits(64) for _ in range(5)]
    labs = ["10.200.0.1", "10.200.0.2"]
    wave = T0 + 200 * DAY
    members = []
    for i in range(n):
        sessions = 12
        mine = rng.sample(bases, rng.randint(3, 5))
        subjects = rng.sample(["physics", "maths"], rng.randint(1, 2))
        members.append(world.account(
            f"student{i}", sessions=sessions, requests=sessions * 2, reasoning=5,
            output=sessions * 2 * 200, days=sessions, first_day=201, window_days=60,
            hours=list(range(9, 16)),
            templates=[flip(rng.choice(mine), rng.sample(range(64), rng.randint(0, 2)))
                       for _ in range(sessions)],
            categories={s: sessions // len(subjects) for s in subjects},
            created=wave + rng.uniform(0, 70 * 3600), ips=[(labs[i % 2], sessions)],
            email_domain="students.school.example"))
    world.groups["class"] = members
    return members


def evaluation_team(world: World, declared: bool = True, n: int = 8) -> list[int]:
    """An evaluation team: one organisation on one billing, one office address,
    one API key, sign-ups in one week, office hours, reasoning at volume through
    an evaluation suite; one member once suspended for a rate limit."""
    rng = random.Random(world.seed + 3000)
    suite = [rng.getrandbits(64) for _ in range(12)]
    members = []
    for i in range(n):
        sessions = 60
        requests = sessions * 50
        members.append(world.account(
            f"eval{i}", sessions=sessions, requests=requests, reasoning=50,
            output=requests * 350, days=20, first_day=150, window_days=30,
            hours=list(range(9, 17)), templates=[rng.choice(suite) for _ in range(sessions)],
            categories={"maths": 30, "code": 30}, created=T0 + 140 * DAY + i * 20 * 3600,
            ips=[("10.210.0.1", sessions)], api_key="sk-eval",
            org_id="org-eval" if declared else None, payment="pm-eval",
            email_domain="gmail.com", status="suspended" if i == 0 else "active"))
    world.groups["team"] = members
    return members


def scored(world: World, members: list[int]) -> tuple[ScoringContext, Any]:
    ctx = world.context()
    calibrate(ctx, [members])
    return ctx, score_community(members, ctx)


def contributions(community: Any) -> dict[str, float]:
    return {f.name: f.contribution for f in community.features}


def check_probability(community: Any) -> None:
    log_odds = community.facts["log_odds"]
    assert 0.0 <= community.score <= 1.0
    assert community.score == pytest.approx(1 / (1 + math.exp(-log_odds)), abs=1e-4)
    assert PRIOR + sum(f.contribution for f in community.features) == \
        pytest.approx(log_odds, abs=1e-4)
    assert community.facts["prior"] == pytest.approx(PRIOR, abs=1e-4)


def test_a_many_template_network_is_flagged() -> None:
    world = World(seed=30)
    world.background(500)
    network = many_template_network(world)
    ctx, community = scored(world, network)
    check_probability(community)
    got = contributions(community)
    assert community.flagged, community.top_reasons(10)
    assert community.score > 0.8
    assert got["few_templates"] == 0.0  # hundreds of families: no homework credit
    assert got["payment_reuse"] == got["device_reuse"] == 0.0
    assert got["address_sharing"] > 0  # homes shared by three heads each
    for name in ("extraction_requests", "harvest", "daily_volume", "answer_length",
                 "task_diversity", "subject_sweep"):
        assert got[name] > 0, name
    assert any("step-by-step reasoning" in r for r in community.top_reasons())
    # ... and a whole run finds it among 500 ordinary accounts.
    analysis = analyse(world.ev, DetectParams())
    flagged = {m for m, (_s, is_flagged) in analysis.per_account.items() if is_flagged}
    assert len(flagged & set(network)) >= 0.9 * len(network)
    assert len(flagged - set(network)) <= 2


def test_a_few_template_class_is_not_flagged() -> None:
    world = World(seed=31)
    world.background(400)
    students = homework_class(world)
    ctx, community = scored(world, students)
    check_probability(community)
    got = contributions(community)
    assert not community.flagged, community.top_reasons(10)
    assert community.score < 0.1
    by_name = {f.name: f for f in community.features}
    assert by_name["few_templates"].contribution < 0  # a mitigation: taken away
    assert by_name["few_templates"].value == 1.0
    assert by_name["institutional_domain"].contribution < 0
    assert by_name["institutional_domain"].value == 1.0
    assert got["extraction_requests"] >= 0
    # The class is a wave in class hours: real coordination ...
    assert by_name["signup_wave"].value == 1.0
    assert by_name["lockstep_hours"].value == 1.0
    # ... counted no more than its extraction evidence.
    intent = sum(f.contribution for f in community.features if f.family == "intent")
    coordination = sum(f.contribution for f in community.features
                       if f.family == "coordination" and f.contribution > 0)
    assert coordination <= intent + 1e-9
    assert coordination < 1.0
    assert "no more than the extraction evidence" in by_name["signup_wave"].reason
    # A whole run flags none of the students.
    analysis = analyse(world.ev, DetectParams())
    assert not any(analysis.per_account.get(m, (0, False))[1] for m in students)


def test_shared_credentials_count_beside_the_place_and_time_a_group_shares() -> None:
    """Each of the two kinds of coordination counts up to the intent: what a
    class or an event shares (addresses, templates, a wave) and what a farm
    spreads over its heads to save money (cards, devices, keys)."""
    def features(**coordination: float) -> list[Feature]:
        return [Feature("extraction_requests", "intent", 0.3, 0.1, 1.0, ""),
                Feature("answer_length", "intent", 900, 450, 0.5, "")] + [
            Feature(name, "coordination", 1.0, 0.0, nats, "")
            for name, nats in coordination.items()]

    def total(found: list[Feature], names: Iterable[str]) -> float:
        return sum(f.contribution for f in found if f.name in names)

    soft = ("address_sharing", "signup_wave", "template_reuse")
    event = features(address_sharing=1.0, signup_wave=1.5, template_reuse=0.5)
    bound_coordination(event)
    assert total(event, soft) == pytest.approx(1.5)
    assert "no more than the extraction evidence" in event[3].reason
    farm = features(address_sharing=1.0, signup_wave=1.5, api_key_reuse=2.0,
                    payment_reuse=0.4)
    bound_coordination(farm)
    assert total(farm, soft) == pytest.approx(1.5)
    assert total(farm, CREDENTIALS) == pytest.approx(1.5)
    # Under the intent, nothing is scaled.
    small = features(device_reuse=0.5, address_sharing=0.5)
    bound_coordination(small)
    assert [f.contribution for f in small[2:]] == [0.5, 0.5]
    assert not any("counted at" in f.reason for f in small)


def test_a_declared_evaluation_team_is_not_flagged() -> None:
    world = World(seed=32)
    world.background(400)
    team = evaluation_team(world)
    ctx, community = scored(world, team)
    check_probability(community)
    assert not community.flagged, community.top_reasons(10)
    by_name = {f.name: f for f in community.features}
    assert by_name["declared_organisation"].contribution == -CAP
    assert sum(f.contribution for f in community.features if f.family == "intent") > 2.0
    for f in community.features:
        if f.family == "coordination" and f.name not in FARM_ONLY:
            assert f.contribution == 0.0, f.name
    # Its own billing, key, wave and office hours would count without the declaration ...
    for name in ("payment_reuse", "api_key_reuse", "signup_wave", "lockstep_hours"):
        assert by_name[name].reason.endswith("(expected of one declared organisation)"), name
    # ... and bans still say what they say.
    assert by_name["enforcement_history"].contribution > 0
    assert "expected of one declared organisation" not in by_name["enforcement_history"].reason

    undeclared = World(seed=32)
    undeclared.background(400)
    same = evaluation_team(undeclared, declared=False)
    _ctx, plain = scored(undeclared, same)
    check_probability(plain)
    plain_by_name = {f.name: f for f in plain.features}
    for name in ("payment_reuse", "api_key_reuse", "signup_wave", "lockstep_hours"):
        assert plain_by_name[name].contribution > 0, name
    assert plain.facts["log_odds"] > community.facts["log_odds"] + CAP


def test_rerank_without_a_heavy_block_raises_a_heavy_groups_percentile() -> None:
    world = World(seed=33)
    world.background(300)
    block = heavy(world, "block", n=150, sessions=20, requests=20 * 400, days=20)
    busy = heavy(world, "busy", n=10, sessions=20, requests=20 * 100, days=20)
    ctx = world.context()
    g = group(ctx, busy)
    before = g.typical_percentile("daily_volume")
    nats_before = F.daily_volume(g)[2]
    assert before < 0.7  # below the whole block

    exclude = np.zeros(ctx.ref.size, dtype=bool)
    exclude[block] = True
    ctx.ref.rerank(exclude)
    after = group(ctx, busy).typical_percentile("daily_volume")
    assert after > 0.95
    assert after > before
    assert F.daily_volume(group(ctx, busy))[2] > nats_before + 2
    assert ctx.ref.median("daily_volume") < 40  # the yardstick is ordinary again

    # More than half of the active accounts is never taken away as the yardstick.
    everyone = np.ones(ctx.ref.size, dtype=bool)
    everyone[busy] = False
    ranks = ctx.ref.ranks["daily_volume"].copy()
    ctx.ref.rerank(everyone)
    assert np.array_equal(ctx.ref.ranks["daily_volume"], ranks)


def test_chance_groups_of_ordinary_accounts_stay_under_the_budget() -> None:
    world = World(seed=34)
    world.background(500)
    ctx = world.context()
    sizes = [3] * 40 + [4] * 20 + [6] * 10 + [12] * 5 + [30] * 2 + [100]
    threshold, expected = chance_threshold(ctx, sizes)
    assert expected < ScoreParams().fp_budget
    assert threshold == 0.0  # chance is nowhere near a score of one half here
    # the same on the other kinds of groups a run sees
    assert chance_threshold(ctx, []) == (0.0, 0.0)


def test_scores_are_probabilities_of_the_summed_log_odds() -> None:
    world = World(seed=35)
    background = world.background(500)
    network = many_template_network(world)
    students = homework_class(world)
    team = evaluation_team(world)
    # Five strangers attached to the network: scored on its core.
    attached = network + background[3:8]  # strangers: no shared home among them
    ctx = world.context()
    groups = [network, students, team, attached] + [
        sorted(random.Random(k).sample(background, 3 + k)) for k in range(10)]
    calibrate(ctx, groups)
    results = [score_community(g, ctx) for g in groups]
    for community in results:
        check_probability(community)
    assert results[3].facts["core"] == len(network)
    assert results[3].facts["attached"] == 5
    assert results[3].members == attached
    assert results[0].flagged and results[3].flagged
    assert not any(c.flagged for c in results[1:3] + results[4:])
    assert min(c.score for c in results) < 0.05 < 0.9 < max(c.score for c in results)


def test_a_network_sharing_hundreds_of_families_only_inside_shows_template_reuse() -> None:
    world = World(seed=30)
    world.background(500)
    network = many_template_network(world)
    ctx = world.context()
    # The families two or more heads share, every one used by heads only.
    users_of: dict[str, set[int]] = {}
    for account, keys in ctx.ref.keys_of["family"].items():
        for key in keys:
            users_of.setdefault(key, set()).add(account)
    inside = [key for key, users in users_of.items() if users <= set(network)]
    assert len(inside) > 600
    (share, chance, nats, sentence), sharers = F.template_reuse(group(ctx, network))
    assert share == 1.0 and sharers == set(network)  # every family is the group's own
    # A random 30 of these 530 accounts shares some 5 families (the popular one
    # and the network's own families, each with a few of the population's users) ...
    assert chance == pytest.approx(expected_shared(ctx, 30, "family"))
    assert chance == pytest.approx(ctx.ref.expected_shared("family", 30))
    assert 1 < chance < 10
    # ... the network shares all of its own.
    assert math.log(len(inside) / chance) > CAP
    assert nats == CAP
    assert sentence == (f"30 accounts share {len(inside)} near-duplicate prompt template "
                        f"families (chance: {chance:.2g} in a random group this size)")


def unlabelled_network() -> tuple[World, list[int]]:
    """The many-template network on data without reasoning or rewrite labels."""
    world = World(seed=40)
    background = world.background(400)
    network = many_template_network(world)
    for a in background + network:
        world.ev.accounts[a].update(reasoning=0, rewrites=0)
        if a in network:
            world.ev.accounts[a]["payment"] = "pm-shared"
    return world, network


def test_a_harvest_is_still_seen_on_data_without_reasoning_labels() -> None:
    world, network = unlabelled_network()
    ctx, community = scored(world, network)
    assert "extraction" not in ctx.ref.informative
    assert ctx.ref.informative == tuple(n for n in F.INTENT_MEASURES if n != "extraction")
    # The intent is the means alone: the harmonic mean of the means with itself,
    # times INTENT_WEIGHT.
    g = group(ctx, network)
    assert F.extraction_requests(g)[2] == 0.0
    means = [compute(g)[2] for compute in (F.harvest, F.daily_volume, F.answer_length,
                                           F.task_diversity, F.subject_sweep)]
    assert min(means) > 2.0
    assert community.intent == pytest.approx(INTENT_WEIGHT * sum(means) / len(means))
    check_probability(community)
    assert community.flagged, community.top_reasons(10)


def test_without_reasoning_labels_extraction_requests_is_not_credited() -> None:
    world, network = unlabelled_network()
    _ctx, community = scored(world, network)
    by_name = {f.name: f for f in community.features}
    assert by_name["extraction_requests"].contribution == 0.0
    assert not any("step-by-step reasoning" in r for r in community.top_reasons())


def test_thirty_accounts_on_one_card_show_payment_reuse() -> None:
    world = World(seed=41)
    world.background(400)
    farm = heavy(world, "farm", n=30, payment="pm-farm")
    ctx = world.context()
    (share, chance, nats, _sentence), sharers = F.payment_reuse(group(ctx, farm))
    assert share == 1.0 and sharers == set(farm)
    # One card with 30 users: a random 30 of 430 holds two of them with
    # probability 1 - (1-f)^30 - 30 f (1-f)^29, f = 30 / 430: 0.629, so one shared
    # token is more than chance gives (the chance counts entities, not pairs).
    assert chance == pytest.approx(two_in_group(30, 30, 430))
    assert chance == pytest.approx(0.6287816522356)
    assert nats == pytest.approx(math.log(1 / chance))
    assert nats > 0


# -- scoring the core ----------------------------------------------------------------------


def test_a_core_is_scored_alone_only_when_it_holds_a_fifth_of_the_group() -> None:
    world = World(seed=42)
    background = world.background(400)
    ring = heavy(world, "core", n=4, payment="pm-core")
    ctx = world.context()
    # Ordinary accounts with nothing of the ring's signature: no shared card,
    # device, key or family, no extraction profile of their own.
    plain = [a for a in background if ctx.ref.own_intent[a] < ctx.params.own_intent][:40]
    assert ctx.params.min_core == 0.2

    at_a_fifth = ring + plain[:16]  # 4 of 20
    community = score_community(at_a_fifth, ctx)
    whole = evaluate_group(at_a_fifth, ctx)[1]
    assert {m for m, own in whole.items() if own} == set(ring)
    assert whole[ring[0]] == {"payment"}
    assert community.facts["core"] == 4 and community.facts["attached"] == 16
    assert community.facts["size"] == 20
    assert community.members == at_a_fifth
    # its features are the core's: one card shared by every member scored
    by_name = {f.name: f for f in community.features}
    assert by_name["payment_reuse"].value == 1.0
    assert community.facts["log_odds"] == pytest.approx(
        score_community(ring, ctx).facts["log_odds"])

    below = ring + plain[:17]  # 4 of 21: a few outstanding members, not the group
    community = score_community(below, ctx)
    assert "core" not in community.facts and "attached" not in community.facts
    assert community.facts["size"] == 21
    by_name = {f.name: f for f in community.features}
    assert by_name["payment_reuse"].value == pytest.approx(4 / 21)
    assert {m for m, own in community.member_evidence.items() if own} == set(ring)

    # ... and the share is the parameter's.
    lax = world.context(ScoreParams(min_core=0.1))
    assert score_community(below, lax).facts["core"] == 4
    # A core below min_size is never scored alone, whatever its share.
    assert "core" not in score_community(ring[:2] + plain[:3], lax).facts


def test_a_household_card_inside_a_networks_community_ties_no_one_to_it() -> None:
    world = World(seed=43)
    background = world.background(500)
    network = many_template_network(world)
    # Three ordinary people on one family card, and three heavy heads on one
    # card of their own, both inside the network's community.
    ctx0 = world.context()
    family = [a for a in background if ctx0.ref.own_intent[a] < 0.6][:3]
    for a in family:
        world.ev.accounts[a]["payment"] = "pm-family"
    ring = heavy(world, "ring", n=3, payment="pm-ring", sessions=40, requests=2_000,
                 reasoning=30, output=2_000 * 1_500, days=30,
                 categories={s: 4 for s in CATEGORIES[:10]})
    ctx = world.context()
    assert all(ctx.ref.own_intent[a] < 0.675 for a in family)
    assert all(ctx.ref.own_intent[a] >= 0.675 for a in ring)
    members = network + family + ring
    _features, own = evaluate_group(members, ctx)
    # The network's body keeps the families it shares ...
    assert all("template" in own[m] for m in network)
    # ... a small component keeps its card when its members harvest themselves ...
    assert all("payment" in own[m] for m in ring)
    # ... and the family's card says they belong together, not to the network.
    assert all(own[m] == set() for m in family)
    # On their own, the family's card is their evidence of belonging together.
    alone = evaluate_group(family, ctx)[1]
    assert all(alone[m] == {"payment"} for m in family)


def test_a_busy_household_inside_a_networks_community_keeps_no_tie_to_it() -> None:
    """Three busy people on one card (heavy volume, a sweep of subjects) but no
    reasoning or rewrite requests: their card ties them together, not to the
    network whose community they sit in; three heads that ask for reasoning keep theirs."""
    world = World(seed=45)
    world.background(500)
    network = many_template_network(world)
    spread = {s: 4 for s in CATEGORIES[:10]}
    busy = heavy(world, "busy", n=3, payment="pm-home", sessions=40, requests=2_000,
                 reasoning=0, output=2_000 * 1_500, days=30, categories=spread)
    ring = heavy(world, "ring", n=3, payment="pm-ring", sessions=40, requests=2_000,
                 reasoning=30, output=2_000 * 1_500, days=30, categories=spread)
    ctx = world.context()
    # Both are well above ordinary on their own profile (halfway to the mark) ...
    bar = (0.5 + ctx.params.own_intent) / 2
    assert all(ctx.ref.own_intent[a] >= bar for a in busy + ring)
    _features, own = evaluate_group(network + busy + ring, ctx)
    # ... but only the one that asks for a harvest keeps its card as a tie.
    assert all("payment" in own[m] for m in ring)
    assert all(own[m] == set() for m in busy)


@pytest.mark.parametrize("on_the_rings_exits", [False, True])
def test_a_club_bigger_than_each_of_a_networks_key_rings_is_not_its_body(
        on_the_rings_exits: bool) -> None:
    """A network whose heads share three API keys, a ring of five on each, and
    a hobby club of nine on its own few prompt templates, in one community.
    The club is the biggest set of members tied by the group's own entities,
    but it does not harvest: the rings that do, together bigger, are the body,
    and the club's templates tie it to no one but itself. Heads that harvest
    little on the network's own templates, linked to the rings by their exits
    more than to anyone else, are the network's all the same."""
    world = World(seed=46)
    background = world.background(500)
    exits = [world.address() for _ in range(5)]
    rings = [heavy(world, f"ring{k}", n=5, api_key=f"key-{k}", sessions=30, requests=1_200,
                   reasoning=20, output=1_200 * 1_500, days=20,
                   categories={s: 3 for s in CATEGORIES[:10]},
                   ips=[(exits[k], 15), (exits[k + 2], 15)]) for k in range(3)]
    heads = [m for ring in rings for m in ring]
    rng = random.Random(7)
    club_templates = [rng.getrandbits(64) for _ in range(3)]
    club = [world.account(f"club{i}", sessions=8, requests=40, reasoning=1,
                          templates=[rng.choice(club_templates) for _ in range(8)],
                          categories={"writing": 6, "chat": 2},
                          ips=[(exits[i % 5], 8)] if on_the_rings_exits else None)
            for i in range(9)]
    ctx = world.context()
    bar = (0.5 + ctx.params.own_intent) / 2
    assert all(ctx.ref.own_intent[a] >= bar for a in heads)
    assert all(ctx.ref.own_intent[a] < bar for a in club)
    members = heads + club + background[:6]
    components = [c for c in group(ctx, members).marked_components() if len(c) > 1]
    assert max(len(c) for c in components) == len(club)
    _features, own = evaluate_group(members, ctx)
    assert all("api_key" in own[m] for m in heads)
    if on_the_rings_exits:
        assert all("template" in own[m] for m in club)
        return
    assert all(own[m] == set() for m in club)
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [members], ctx=ctx)
    assert scored_groups[0].flagged
    assert {m for m in members if per_account[m][1]} == set(heads)


@pytest.mark.parametrize("declared", [True, False])
def test_a_declared_team_inside_a_networks_community_keeps_no_tie_to_it(declared: bool) -> None:
    """An evaluation team on one card and key, its own suite of prompts and
    reasoning at volume, in a network's community (the same cloud, say): as a
    declared customer its sharing says it is one team, not the network's,
    unless it would be flagged on its own; undeclared, it is a ring that
    harvests itself and keeps its ties."""
    world = World(seed=50)
    world.background(500)
    network = many_template_network(world)
    team = evaluation_team(world, declared=declared)
    ctx = world.context()
    bar = (0.5 + ctx.params.own_intent) / 2
    assert all(ctx.ref.own_intent[a] >= bar for a in team)
    _features, own = evaluate_group(network + team, ctx)
    assert all("template" in own[m] for m in network)
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [network + team], ctx=ctx)
    assert scored_groups[0].flagged and all(per_account[m][1] for m in network)
    if declared:
        assert all(not own[m] & {"payment", "api_key", "template"} for m in team)
        assert not any(per_account[m][1] for m in team)
        # On its own it is not flagged either: what the rule asks of it.
        assert not score_community(team, ctx).flagged
    else:
        assert all({"payment", "api_key", "template"} <= own[m] for m in team)


def test_a_heavy_user_linked_to_strangers_is_not_flagged_on_its_profile_alone() -> None:
    world = World(seed=44)
    background = world.background(500)
    network = many_template_network(world)
    # A heavy user on a home address it shares with three ordinary neighbours
    # (strangers to the network), and a heavy head on one of the network's homes.
    neighbours = background[:3]
    street = world.address()
    for a in neighbours:
        world.ev.ip_uses.append((a, street, 3))
    spread = {s: 5 for s in CATEGORIES[:12]}
    loner = world.account("loner", sessions=60, requests=3_000, reasoning=40,
                          output=3_000 * 1_500, days=30, ips=[(street, 60)],
                          categories=spread)
    home = next(address for account, address, _n in world.ev.ip_uses
                if account == network[0])
    head = world.account("head", sessions=60, requests=3_000, reasoning=40,
                         output=3_000 * 1_500, days=30, ips=[(home, 60)],
                         categories=spread)
    ctx = world.context()
    assert ctx.ref.own_intent[loner] >= ctx.params.own_intent
    assert ctx.ref.own_intent[head] >= ctx.params.own_intent
    community = network + neighbours + [loner, head]
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [community], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert result.member_evidence[loner] == {"intent"}
    ties = ties_to_marked(ctx.projection, scored_groups)
    assert ties[loner] < MIN_TIE_TO_MARKED <= ties[head]
    assert per_account[head][1] and not per_account[loner][1]
    assert sum(per_account[m][1] for m in network) >= 0.9 * len(network)
    assert not any(per_account[m][1] for m in neighbours)


def test_a_heavy_user_on_a_networks_home_asking_his_own_subjects_is_not_flagged() -> None:
    """A power user behind one of a network's homes, his own profile at the mark
    and his links to its marked members, who asks about subjects of his own and
    signed up months before it: not alike to the network, not flagged with it.
    A head alike to it on another of its homes is."""
    world = World(seed=46)
    world.background(500)
    network = many_template_network(world)
    homes = [address for account, address, _n in world.ev.ip_uses if account in network]
    n = world.ev.accounts[network[0]]["sessions"]

    def heavy_on(name: str, home: str, subjects: list[str], created: float) -> int:
        return world.account(name, sessions=n, requests=n * 60, reasoning=round(0.4 * n),
                             output=n * 60 * 1_500, days=20, ips=[(home, n)],
                             categories={s: n // len(subjects) for s in subjects},
                             created=created, first_day=100, window_days=40)

    power = heavy_on("power", homes[0], CATEGORIES[12:18], T0 + 2 * DAY)
    head = heavy_on("head", homes[-1], CATEGORIES[:12], T0 + 70 * DAY)
    ctx = world.context()
    assert min(ctx.ref.own_intent[power], ctx.ref.own_intent[head]) >= ctx.params.own_intent
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [network + [power, head]], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert result.member_evidence[power] == result.member_evidence[head] == {"intent"}
    ties = ties_to_marked(ctx.projection, scored_groups)
    assert min(ties[power], ties[head]) >= MIN_TIE_TO_MARKED
    assert per_account[head][1] and not per_account[power][1]


def quieter_half(world: World, network: list[int]) -> list[int]:
    """Half the heads harvest more quietly: the network's profiles spread out."""
    for a in network[::2]:
        facts = world.ev.accounts[a]
        facts["reasoning"] = round(0.1 * facts["sessions"])
        facts["requests"] = facts["sessions"] * 3
        world.ev.output_tokens[a] = facts["requests"] * 300
        world.ev.categories[a] = {s: facts["sessions"] // 3 for s in CATEGORIES[:3]}
    return network


def test_unmarked_heads_alike_to_their_network_are_flagged_with_it() -> None:
    world = World(seed=45)
    world.background(500)
    network = quieter_half(world, many_template_network(world))
    homes = [address for account, address, _n in world.ev.ip_uses if account in network]
    quiet = world.ev.accounts[network[0]]

    def head(name: str, home: str, topics: list[str], created: float) -> int:
        # A quiet head's behaviour, but templates of its own: no family shared.
        sessions = quiet["sessions"]
        return world.account(
            name, sessions=sessions, requests=quiet["requests"],
            reasoning=quiet["reasoning"], output=quiet["requests"] * 300, days=20,
            created=created, first_day=100, window_days=40,
            categories={s: max(sessions // len(topics), 1) for s in topics},
            ips=[(home, sessions)], email_domain="gmail.com")

    rng = random.Random(7)
    alike = [head(f"alike{i}", homes[i * 3], CATEGORIES[:3], T0 + rng.uniform(45, 95) * DAY)
             for i in range(2)]
    # The same profile on one of the network's exits, but other subjects and an
    # account made long before: a stranger.
    other = head("other", homes[6], CATEGORIES[14:17], T0 + 5 * DAY)
    ctx = world.context()
    bar = (0.5 + ctx.params.own_intent) / 2
    for m in alike + [other]:
        assert bar <= ctx.ref.own_intent[m] < ctx.params.own_intent
    community = network + alike + [other]
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [community], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert all(per_account[m][1] for m in network)
    assert all(per_account[m][1] and result.member_evidence[m] == {"profile"} for m in alike)
    assert not per_account[other][1] and result.member_evidence[other] == set()
    # A body too small to have a spread takes no one in by likeness.
    ties = ties_to_marked(ctx.projection, scored_groups)
    result.member_evidence[alike[0]] = set()
    assert alike_members(result, network[:4], ties, ctx) == []
    assert alike_members(result, network, ties, ctx) == [alike[0]]


def test_a_heavy_head_linked_through_a_head_that_joins_by_likeness_is_flagged() -> None:
    """A heavy head whose one link goes to a quiet head: before the quiet head
    joins the network by likeness, the heavy one is linked to no marked member
    (a heavy user next to strangers); once it has joined, it is."""
    world = World(seed=45)
    world.background(500)
    network = quieter_half(world, many_template_network(world))
    homes = [address for account, address, _n in world.ev.ip_uses if account in network]
    quiet = world.ev.accounts[network[0]]
    sessions = quiet["sessions"]
    alike = world.account(
        "alike", sessions=sessions, requests=quiet["requests"], reasoning=quiet["reasoning"],
        output=quiet["requests"] * 300, days=20, created=T0 + 60 * DAY, first_day=100,
        window_days=40, categories={s: max(sessions // 3, 1) for s in CATEGORIES[:3]},
        ips=[(homes[0], sessions)], email_domain="gmail.com")
    flat = world.address()
    world.ev.ip_uses.append((alike, flat, 2))
    spread = {s: 5 for s in CATEGORIES[:12]}
    heavy_head = world.account("heavy", sessions=60, requests=3_000, reasoning=40,
                               output=3_000 * 1_500, days=30, ips=[(flat, 60)],
                               categories=spread)
    ctx = world.context()
    assert ctx.ref.own_intent[heavy_head] >= ctx.params.own_intent
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [network + [alike, heavy_head]], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert per_account[alike][1] and result.member_evidence[alike] == {"profile"}
    assert result.member_evidence[heavy_head] == {"intent"}
    assert per_account[heavy_head][1]
    # Before the quiet head joined, the heavy one was linked to no marked member.
    result.member_evidence[alike] = set()
    assert ties_to_marked(ctx.projection, scored_groups)[heavy_head] == 0.0


def joined_alike(ctx: ScoringContext, network: list[int], heads: list[int],
                 strangers: list[int]) -> None:
    """Score the network with heads and strangers in its community: it is
    flagged, the heads join it by likeness and the strangers do not."""
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [network + heads + strangers], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert all(per_account[m][1] and result.member_evidence[m] == {"profile"} for m in heads)
    assert not any(per_account[m][1] for m in strangers)


def test_a_quiet_head_housed_on_its_networks_addresses_is_flagged_with_it() -> None:
    world = World(seed=46)
    world.background(500)
    network = many_template_network(world)
    homes = sorted({address for account, address, _n in world.ev.ip_uses
                    if account in network})
    rng = random.Random(8)

    def quiet(name: str, ips: list[tuple[str, int]]) -> int:
        # Two sessions: too few for a profile of its own.
        return world.account(name, sessions=2, requests=60, reasoning=1, output=60 * 1_500,
                             days=2, created=T0 + rng.uniform(45, 95) * DAY, first_day=100,
                             window_days=40, categories={CATEGORIES[0]: 1, CATEGORIES[1]: 1},
                             ips=ips, email_domain="gmail.com")

    housed = quiet("housed", [(homes[0], 1), (homes[1], 1)])
    # One of the network's exits and an address of its own: a neighbour.
    neighbour = quiet("neighbour", [(homes[2], 1), (world.address(), 1)])
    # A single session on one exit proves nothing either.
    passer = quiet("passer", [(homes[3], 1)])
    joined_alike(world.context(), network, [housed], [neighbour, passer])


def on_shift(world: World, accounts: list[int], hours: list[int], agent: str) -> None:
    """Move the accounts' sessions into `hours` of the day and onto `agent`."""
    rng = random.Random(world.seed + 3000)
    chosen = set(accounts)
    for a in accounts:
        starts = [t - t % DAY + rng.choice(hours) * 3600 + rng.randrange(3600)
                  for t in world.ev.starts[a]]
        world.ev.starts[a] = starts
        by_hour = [0] * 24
        for t in starts:
            by_hour[(t % DAY) // 3600] += 1
        world.ev.hours[a] = by_hour
    world.ev.entity_uses["user_agent"] = [
        (a, agent if a in chosen else used, n)
        for a, used, n in world.ev.entity_uses["user_agent"]]


def test_a_quiet_head_working_its_networks_shift_with_its_script_is_flagged_with_it() -> None:
    world = World(seed=49)
    world.background(500)
    network = many_template_network(world)
    shift = list(range(1, 9))
    on_shift(world, network, shift, SCRIPT)
    homes = sorted({address for account, address, _n in world.ev.ip_uses
                    if account in network})
    rng = random.Random(10)

    def quiet(name: str, exit_: str, hours: list[int] | None, agent: str) -> int:
        # Three sessions, one through the network's exit and two through
        # addresses nobody else used: neither half its addresses nor all of
        # them from the network's pool.
        return world.account(name, sessions=3, requests=90, reasoning=1, output=90 * 1_500,
                             days=3, created=T0 + rng.uniform(45, 95) * DAY, first_day=100,
                             window_days=40, hours=hours,
                             categories={CATEGORIES[0]: 2, CATEGORIES[1]: 1},
                             ips=[(exit_, 1), (world.address(), 1), (world.address(), 1)],
                             agent=agent, email_domain="gmail.com")

    head = quiet("head", homes[0], shift, SCRIPT)
    # The same exits and profile, but a browser at its own hours: a privacy
    # user behind the pool the network rents.
    private = quiet("private", homes[1], list(range(12, 20)), BROWSER)
    # The network's hours, but a browser: one session in three by chance is
    # not the network's client.
    night_owl = quiet("night_owl", homes[2], shift, BROWSER)
    ctx = world.context()
    joined_alike(ctx, network, [head], [private, night_owl])
    # Why: the head's habits are strong evidence and above what the
    # population's accounts with three sessions reach by chance; the privacy
    # user's are evidence against, and the night owl's shift and sign-up do
    # not make up for its browser.
    likeness = Likeness.of(network, ctx)
    assert likeness is not None
    habits = likeness.habits_of()
    assert habits is not None

    def value(m: int) -> float:
        return float(habits.score(ctx.hours[m:m + 1], on_scripts(ctx, np.array([m])),
                                  ctx.ref.created[m:m + 1])[0])

    assert value(head) >= max(habits.bars[2], HABIT_FLOOR)
    assert value(private) < 0 and value(night_owl) < HABIT_FLOOR
    # The population's own accounts of three sessions reach the bar at most
    # one time in a hundred (no background account here works the shift
    # with a script).
    background = [m for m in world.groups["background"] if world.ev.accounts[m]["sessions"] == 3]
    assert background and all(value(m) < HABIT_FLOOR for m in background)
    # Kept with the network and read back (an incremental run's judge); a
    # likeness kept before habits were has none and judges as before.
    kept = Likeness.from_dict(likeness.as_dict())
    assert kept.habits == habits
    old = likeness.as_dict()
    del old["habits"]
    assert Likeness.from_dict(old).habits is None
    assert Habits.from_dict(habits.as_dict()) == habits


def test_heads_linked_to_one_another_join_their_network_a_pass_at_a_time() -> None:
    world = World(seed=47)
    world.background(500)
    network = quieter_half(world, many_template_network(world))
    homes = sorted({address for account, address, _n in world.ev.ip_uses
                    if account in network})
    quiet = world.ev.accounts[network[0]]
    rng = random.Random(9)

    def head(name: str, ips: list[tuple[str, int]]) -> int:
        sessions = quiet["sessions"]
        return world.account(
            name, sessions=sessions, requests=quiet["requests"],
            reasoning=quiet["reasoning"], output=quiet["requests"] * 300, days=20,
            created=T0 + rng.uniform(45, 95) * DAY, first_day=100, window_days=40,
            categories={s: max(sessions // 3, 1) for s in CATEGORIES[:3]},
            ips=ips, email_domain="gmail.com")

    # The first head shares an exit with the network and one with the second
    # head; the second is linked to the first head only.
    relay = world.address()
    first = head("first", [(homes[0], 4), (relay, 1)])
    second = head("second", [(relay, 4)])
    # The same profile, on one of the network's exits and three of its own
    # (a privacy user whose VPN exit the network also used): not a head.
    private = [world.address() for _ in range(3)]
    stranger = head("stranger", [(homes[1], 1)] + [(a, 2) for a in private])
    ctx = world.context()
    bar = (0.5 + ctx.params.own_intent) / 2
    for m in (first, second, stranger):
        assert bar <= ctx.ref.own_intent[m] < ctx.params.own_intent
    community = network + [first, second, stranger]
    scored_groups, per_account, _population = score_all(
        ctx.evidence, ctx.projection, [community], ctx=ctx)
    (result,) = scored_groups
    assert result.flagged
    assert per_account[first][1] and per_account[second][1]
    assert result.member_evidence[second] == {"profile"}
    assert not per_account[stranger][1]
    # In one pass the second head is not reached: its only link is to a head
    # that was not marked yet.
    result.member_evidence[first] = set()
    result.member_evidence[second] = set()
    ties = ties_to_marked(ctx.projection, scored_groups)
    body = [m for m in network if per_account[m][1]]
    assert alike_members(result, body, ties, ctx) == [first]


def test_a_ring_cut_in_two_takes_back_the_accounts_on_its_own_cards() -> None:
    from app.detect.run import _close_over_marks

    world = World(seed=48)
    background = world.background(400)
    facts = dict(sessions=40, requests=2_000, reasoning=30, output=2_000 * 1_500, days=30,
                 categories={s: 4 for s in CATEGORIES[:10]})
    ring = heavy(world, "ringa", n=5, payment="pm-ring-a", **facts) + \
        heavy(world, "ringb", n=3, payment="pm-ring-b", **facts)
    # Neighbours in the ring's group; one of them shares a household tablet
    # with a ring member and three people outside the group.
    neighbours = background[:3]
    for a in [ring[0], neighbours[1]] + background[3:6]:
        world.ev.entity_uses["device"].append((a, "dev-household", 2))
    ctx = world.context()
    # A finer cut found three of the ring (on both cards) and left the rest.
    part = ring[:2] + ring[5:6]
    rest = sorted(ring[2:5] + ring[6:] + neighbours)
    (found,), left = _close_over_marks(ctx, [part], rest)
    assert found == sorted(ring)
    assert left == sorted(neighbours)
    # The tablet is mostly used outside the group: it takes no one along.
    assert neighbours[1] in left
    # Had its other users been in the group, it would have.
    (found,), left = _close_over_marks(ctx, [part], sorted(rest + background[3:6]))
    assert set(neighbours[1:2] + background[3:6]) <= set(found)
    # Nothing to take back, or a grown group that would not score: unchanged.
    assert _close_over_marks(ctx, [part], []) == ([part], [])
    ordinary = heavy(world, "team", n=8, payment="pm-team")
    ctx = world.context()
    (found,), left = _close_over_marks(ctx, [ordinary[:3]], ordinary[3:])
    assert found == ordinary[:3] and left == ordinary[3:]


def test_a_ring_inside_a_big_group_is_drawn_by_its_own_cards() -> None:
    from app.detect.run import DetectParams, _cores_that_stand_out

    world = World(seed=49)
    background = world.background(400)
    facts = dict(sessions=40, requests=2_000, reasoning=30, output=2_000 * 1_500, days=30,
                 categories={s: 4 for s in CATEGORIES[:10]})
    # Eight heads on two cards, one head holding both: one connected ring.
    ring = heavy(world, "ringa", n=5, payment="pm-ring-a", **facts) + \
        heavy(world, "ringb", n=3, payment="pm-ring-b", **facts)
    world.ev.entity_uses["device"] += [(ring[0], "dev-ring", 3), (ring[5], "dev-ring", 3)]
    # An ordinary team on one card of its own, in the same big group.
    team = heavy(world, "team", n=8, payment="pm-team")
    ctx = world.context()
    group = sorted(background[:60] + ring + team)
    found, rest = _cores_that_stand_out(ctx, group, DetectParams())
    assert found == [sorted(ring)]
    assert rest == sorted(set(group) - set(ring))
    # Without the device, the two cards are two cores; each is scored alone.
    world.ev.entity_uses["device"] = [u for u in world.ev.entity_uses["device"]
                                      if u[1] != "dev-ring"]
    ctx = world.context()
    found, _rest = _cores_that_stand_out(ctx, group, DetectParams())
    assert sorted(ring[:5]) in found and sorted(team) not in found
    # A group with no core of its own entities stays whole.
    plain = sorted(background[:60])
    assert _cores_that_stand_out(ctx, plain, DetectParams()) == ([], plain)


def test_flagged_pieces_that_share_their_own_card_are_one_operators() -> None:
    """Two pieces a finer cut made of one sparse ring are joined by a card of
    theirs; a card they share with strangers joins nothing."""
    world = World(seed=60)
    background = world.background(300)
    first = heavy(world, "first", n=5, reasoning=8)
    second = heavy(world, "second", n=5, reasoning=8)
    third = heavy(world, "third", n=5, reasoning=8)
    for a in (first[0], second[0]):
        world.ev.accounts[a]["payment"] = "pm-operator"
    for a in [first[1], third[1]] + background[:4]:
        world.ev.accounts[a]["payment"] = "pm-popular"
    ctx = world.context()
    pieces = [first, second, third]
    label = np.full(world.ev.size, -1, dtype=np.int64)
    for g, members in enumerate(pieces):
        label[members] = g
    assert sharing_credentials(ctx, pieces, label) == [(0, 1)]



def test_credentials_count_apart_only_when_spread_as_a_farms() -> None:
    """A key shared by eight heads that ask for reasoning is a farm's; one card
    in a family, one customer's billing, or a key shared by eight accounts
    that ask for nothing, is not."""
    world = World(seed=62)
    world.background(300)
    ring = heavy(world, "ring", n=8, reasoning=8, api_key="key-ring")
    family = heavy(world, "family", n=3, reasoning=8, payment="pm-family")
    agency = heavy(world, "agency", n=8, reasoning=8, payment="pm-agency",
                   email_domain="agency.example")
    quiet = heavy(world, "quiet", n=8, api_key="key-quiet")
    ctx = world.context()

    def spread(members: list[int]) -> bool:
        found, _own = evaluate_group(members, ctx)
        return spreads_credentials(group(ctx, members), found, ctx)

    assert spread(ring)
    assert not spread(family)
    assert not spread(agency)
    assert not spread(quiet)


def test_a_group_hiding_a_ring_of_quiet_heads_on_its_own_cards_is_split_again() -> None:
    """Heads that each harvest a little do not ask for extraction one by one,
    but together, on the cards and device they share, they ask for reasoning at
    many times the population's rate: once measured without the networks
    found, their community is worth a finer cut. The same ring asking for
    nothing is not, nor is it before the networks found are set aside."""
    for reasoning, worth in ((3, True), (0, False)):
        world = World(seed=61)
        background = world.background(300)
        ring = heavy(world, "ring", n=5, sessions=4, requests=20, output=20 * 250,
                     reasoning=reasoning, days=4)
        for i, a in enumerate(ring):
            world.ev.accounts[a]["payment"] = f"pm-ring{i // 2}"
            world.ev.entity_uses["device"].append((a, "fp-ring", 4))
        ctx = world.context()
        community = score_groups(ctx, [sorted(ring + background[:12])])[0]
        assert not community.flagged
        assert not any("intent" in tags for tags in community.member_evidence.values())
        assert worth_splitting(ctx, community, DetectParams(), cores=True) is worth
        assert not worth_splitting(ctx, community, DetectParams())


def test_power_users_that_share_nothing_are_no_core_of_their_exits_group() -> None:
    """Three heavy reasoning users on a home exit with nine ordinary neighbours:
    alone they would score as a harvest, but they share no card, device, key
    or template, so the group is scored whole and is not flagged."""
    world = World(seed=63)
    background = world.background(400)
    street = world.address()
    neighbours = background[:9]
    for a in neighbours:
        world.ev.ip_uses.append((a, street, 3))
    spread = {s: 5 for s in CATEGORIES[:12]}
    power = [world.account(f"power{i}", sessions=60, requests=3_000, reasoning=40,
                           output=3_000 * 1_500, days=30, ips=[(street, 60)],
                           categories=spread) for i in range(3)]
    ctx = world.context()
    assert score_community(power, ctx).flagged  # a core of them alone would be
    community = score_community(sorted(power + neighbours), ctx)
    assert {frozenset(community.member_evidence[m]) for m in power} == {frozenset({"intent"})}
    assert "core" not in community.facts
    assert not community.flagged


def test_heads_halfway_to_the_mark_on_their_rings_own_exits_are_flagged_with_it() -> None:
    """A ring behind its own proxy exits shares no card, device, key or template,
    and its heads ask a little less than the mark of their own: those sharing
    the ring's own exits are flagged with it. A household sharing its home and
    two heavy users on one commercial VPN exit, in the same community, are not."""
    world = World(seed=71)
    world.background(400)
    exits = [world.address() for _ in range(4)]
    for address in exits:
        world.ev.ip_intel[address] = {"network_type": "datacenter", "known": True,
                                      "proxy_provider": None}
    rng = random.Random(7)
    ring = [world.account(f"ring{i}", sessions=20, requests=300, reasoning=9,
                          output=300 * 1_500, days=12, created=T0 + rng.uniform(40, 60) * DAY,
                          ips=[(exits[i % 4], 10), (exits[(i + 1) % 4], 10)],
                          categories={CATEGORIES[0]: 10, CATEGORIES[1]: 10})
            for i in range(12)]
    home = world.address()
    household = [world.account(f"home{i}", sessions=6, requests=20, ips=[(home, 6)])
                 for i in range(2)]
    vpn = world.address()
    world.ev.ip_intel[vpn] = {"network_type": "vpn", "known": True, "proxy_provider": None}
    private = [world.account(f"private{i}", sessions=20, requests=300, reasoning=9,
                             output=300 * 1_500, days=12, ips=[(vpn, 20)],
                             categories={CATEGORIES[0]: 10, CATEGORIES[1]: 10})
               for i in range(2)]
    for a in household + private:
        world.ev.ip_uses.append((a, exits[0], 1))
    # The mark of their own is set beyond the heads' profile; halfway to it is not.
    params = ScoreParams(own_intent=0.99)
    ctx = world.context(params)
    bar = (0.5 + params.own_intent) / 2
    assert all(bar <= ctx.ref.own_intent[m] < params.own_intent for m in ring + private)
    community = sorted(ring + household + private)
    scored, per_account, _population = score_all(ctx.evidence, ctx.projection, [community],
                                                 ctx=ctx)
    (result,) = scored
    assert result.flagged
    assert all(per_account[m][1] and "address" in result.member_evidence[m] for m in ring)
    assert not any(per_account[m][1] for m in household + private)


def test_heads_of_a_network_with_few_marked_members_join_it_on_its_habits() -> None:
    """A flagged network of quiet heads on its scripts and shift, only three of
    which share a template family (too few to say what its heads look like):
    the others join it on the habits of the whole community, measured without
    them; a heavy stranger on the same carrier exits at his own hours does not."""
    world = World(seed=72)
    world.background(500)
    nats = [f"100.64.9.{i}" for i in range(4)]
    for address in nats:
        world.ev.ip_intel[address] = {"network_type": "mobile", "known": True,
                                      "proxy_provider": None}
    rng = random.Random(8)
    family = rng.getrandbits(64)
    heads = []
    for i in range(16):
        templates = [rng.getrandbits(64) for _ in range(4)]
        if i < 3:
            templates[0] = family
        heads.append(world.account(
            f"head{i}", sessions=4, requests=60, reasoning=2, output=60 * 1_500, days=4,
            created=T0 + rng.uniform(40, 45) * DAY, first_day=50, window_days=30,
            templates=templates, categories={CATEGORIES[0]: 4},
            ips=[(nats[i % 4], 2), (nats[(i + 1) % 4], 2)], email_domain="gmail.com"))
    on_shift(world, heads, list(range(1, 9)), SCRIPT)
    stranger = world.account("stranger", sessions=20, requests=300, reasoning=8,
                             output=300 * 1_500, days=20, hours=list(range(12, 20)),
                             categories={CATEGORIES[0]: 20}, ips=[(nats[0], 20)])
    ctx = world.context(ScoreParams(own_intent=0.99))
    scored, per_account, _population = score_all(ctx.evidence, ctx.projection,
                                                 [sorted(heads + [stranger])], ctx=ctx)
    (result,) = scored
    assert result.flagged
    assert {m for m in heads if result.member_evidence[m] == {"template"}} == set(heads[:3])
    assert all(per_account[m][1] for m in heads)
    assert {m for m in heads[3:] if result.member_evidence[m] == {"profile"}} == set(heads[3:])
    assert not per_account[stranger][1]


def test_a_second_operators_heads_gated_out_of_a_flagged_group_are_a_network_of_their_own(
) -> None:
    """Two operators on one pool of exits make one community: the first shares
    template families, the second (heavy heads asking about other subjects,
    signed up months later, on exits of their own besides the pool) shares
    nothing the first's likeness knows. The gate leaves the second out; what it
    leaves out scores as networks by itself and is taken out."""
    world = World(seed=73)
    world.background(400)
    first = many_template_network(world)
    homes = sorted({address for account, address, _n in world.ev.ip_uses if account in first})
    exits = [world.address() for _ in range(4)]
    rng = random.Random(9)
    second = [world.account(f"second{i}", sessions=30, requests=30 * 60, reasoning=15,
                            output=30 * 60 * 1_500, days=15,
                            created=T0 + rng.uniform(200, 210) * DAY,
                            ips=[(exits[i % 4], 12), (exits[(i + 1) % 4], 12),
                                 (homes[i % len(homes)], 6)],
                            categories={CATEGORIES[15]: 15, CATEGORIES[16]: 15})
              for i in range(12)]
    ctx = world.context()
    params = DetectParams()
    groups = [sorted(first + second)]
    scored, per_account, _population = score_all(ctx.evidence, ctx.projection, groups, ctx=ctx)
    assert scored[0].flagged
    assert not any(per_account[m][1] for m in second)
    apart = second_networks(ctx, groups, scored, per_account, params)
    assert sorted(first) in apart
    assert {m for g in apart if set(g) <= set(second) for m in g} == set(second)
    scored, per_account, _population = score_all(ctx.evidence, ctx.projection, apart, ctx=ctx)
    assert all(per_account[m][1] for m in first + second)
