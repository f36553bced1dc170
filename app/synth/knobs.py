"""The randomized scenario's dials, drawn from a seed without generating any data.

Every planted network gets its own camouflage knobs, each drawn independently
from a wide range (``draw_network_knobs``); network sizes fill the hydra
budget with tiny, small, medium and large networks (``network_sizes``); the
benign population is split into look-alike cohorts whose shares are drawn per
seed (``draw_cohort_sizes``). Each draw has its own random stream named after
the seed, so drawing knobs is cheap, and the same seed gives the same knobs
whatever else the data set holds.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from app.synth.common import CATEGORIES

MIN_SHARE, MAX_SHARE = 0.005, 0.3
DEFAULT_SHARE_RANGE = (0.005, 0.12)
FOCUSES = ("reasoning", "rl_batches", "rewrites", "mixed")
PROXIES = ("datacenter", "residential", "mobile", "mixed", "own_exit")
# Topics each extraction focus mostly sweeps.
FOCUS_TOPICS = {
    "reasoning": ("math", "reasoning", "science", "coding"),
    "rl_batches": ("math", "coding", "reasoning"),
    "rewrites": ("politics",),
    "mixed": CATEGORIES,
}


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream for one part of a seed's scenario."""
    return random.Random(f"hydrascope-randomized:{seed}:{name}")


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), list(weighted.values()))[0]


def default_hydra_share(seed: int) -> float:
    """The hydra share of a seed when none is given: log-uniform in [0.005, 0.12]."""
    return round(log_uniform(stream(seed, "share"), *DEFAULT_SHARE_RANGE), 6)


def hydra_budget(accounts: int, share: float) -> int:
    """Hydra accounts for a population and share (at least a ring of three)."""
    if not MIN_SHARE <= share <= MAX_SHARE:
        raise ValueError(f"hydra share {share} is outside [{MIN_SHARE}, {MAX_SHARE}]")
    return max(3, round(accounts * share))


@dataclass
class NetworkKnobs:
    """Every camouflage dial of one planted network (None: the dial does not apply)."""

    network: str
    size: int
    # prompts
    templates: int  # base task templates the operator rotates through
    flip_bits: int  # at most this many SimHash bits flipped per sent prompt
    reworded_share: float  # prompts reworded beyond SimHash reach (a fresh fingerprint)
    focus: str  # reasoning | rl_batches | rewrites | mixed
    reasoning_rate: float
    rewrite_rate: float  # share of prompts that are sensitive rewrites
    requests_per_session: float
    output_tokens_per_request: float
    reasoner_share: float  # sessions served by the reasoning model
    filler_share: float  # ordinary chat sessions mixed in
    subject_mix: str  # focused | sweep
    categories: list[str]
    # sign-ups and enforcement
    signup: str  # waves | spread
    waves: int | None
    wave_hours: float | None
    spread_days_before: float | None  # sign-ups from this long before the window...
    spread_days_during: float | None  # ...to this far into it
    ban_share: float  # share of the original heads the provider bans
    regrowth_share: float  # share of the network created after the ban
    ban_day: float | None  # day of the window of the ban sweep
    countries: int  # claimed countries
    email: str  # temp | free | own_domain | mixed
    api_plan_share: float
    # shared instruments
    payment: str  # shared | unique | none
    accounts_per_card: int | None
    devices: str  # shared | unique | none
    accounts_per_device: int | None
    api_keys: str  # shared | unique | none
    accounts_per_key: int | None
    api_session_share: float | None
    agents: str  # scripted | browser | mixed
    scripted_share: float
    browser_agents: int | None  # spoofed browser strings in the network's rotation
    # addresses
    proxy: str  # datacenter | residential | mobile | mixed | own_exit
    exits_per_account: int
    accounts_per_exit: float | None
    feed_known: float  # share of the network's exits the intel feed lists
    # timing
    timing: str  # lockstep | human
    shift_start: int | None  # UTC hour an operator shift starts
    shift_hours: float | None
    weekdays_only: bool | None
    sessions_per_account: float
    activity: str  # sustained | bursts
    bursts: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The knobs as JSON values (floats rounded)."""
        out = {}
        for key, value in asdict(self).items():
            if key == "extra":
                continue
            out[key] = round(value, 4) if isinstance(value, float) else value
        out.update(self.extra)
        return out


# Numeric knobs and the range each is drawn from (for tests and documentation).
KNOB_RANGES: dict[str, tuple[float, float]] = {
    "templates": (3, 500),
    "flip_bits": (0, 8),
    "reworded_share": (0.0, 0.8),
    "reasoning_rate": (0.25, 0.95),
    "rewrite_rate": (0.0, 0.85),
    "requests_per_session": (5, 80),
    "output_tokens_per_request": (800, 4000),
    "reasoner_share": (0.1, 0.9),
    "filler_share": (0.0, 0.45),
    "waves": (1, 8),
    "wave_hours": (2, 96),
    "spread_days_before": (0, 180),
    "spread_days_during": (15, 80),
    "ban_share": (0.0, 0.5),
    "regrowth_share": (0.0, 0.4),
    "ban_day": (31.5, 76.5),
    "countries": (1, 6),
    "api_plan_share": (0.0, 1.0),
    "accounts_per_card": (2, 8),
    "accounts_per_device": (2, 20),
    "accounts_per_key": (2, 30),
    "api_session_share": (0.3, 1.0),
    "scripted_share": (0.0, 1.0),
    "browser_agents": (1, 40),
    "exits_per_account": (1, 12),
    "accounts_per_exit": (1, 30),
    "feed_known": (0.0, 1.0),
    "shift_start": (0, 23),
    "shift_hours": (4, 12),
    "sessions_per_account": (3, 60),
    "bursts": (1, 5),
}
LOG_KNOBS = frozenset(("templates", "requests_per_session", "output_tokens_per_request",
                       "wave_hours", "accounts_per_exit", "sessions_per_account"))
CHOICES: dict[str, tuple[str, ...]] = {
    "focus": FOCUSES, "subject_mix": ("focused", "sweep"), "signup": ("waves", "spread"),
    "email": ("temp", "free", "own_domain", "mixed"),
    "payment": ("shared", "unique", "none"), "devices": ("shared", "unique", "none"),
    "api_keys": ("shared", "unique", "none"), "agents": ("scripted", "browser", "mixed"),
    "proxy": PROXIES, "timing": ("lockstep", "human"), "activity": ("sustained", "bursts"),
}


def _draw(rng: random.Random, name: str) -> float:
    low, high = KNOB_RANGES[name]
    return log_uniform(rng, low, high) if name in LOG_KNOBS else rng.uniform(low, high)


def _draw_int(rng: random.Random, name: str) -> int:
    low, high = KNOB_RANGES[name]
    if name in LOG_KNOBS:
        return min(int(high), max(int(low), round(log_uniform(rng, low, high))))
    return rng.randint(int(low), int(high))


def draw_network_knobs(rng: random.Random, number: int, size: int) -> NetworkKnobs:
    """One network's knobs, each drawn on its own from its range."""
    focus = pick(rng, {"reasoning": 0.4, "rl_batches": 0.25, "rewrites": 0.2, "mixed": 0.15})
    rewrite_rate = (rng.uniform(0.2, 0.85) if focus == "rewrites"
                    else rng.uniform(0.0, 0.3) if focus == "mixed" else 0.0)
    subject_mix = rng.choice(("focused", "sweep"))
    topics = list(FOCUS_TOPICS[focus])
    if subject_mix == "focused":
        categories = rng.sample(topics, min(len(topics), rng.randint(1, 2)))
    else:
        others = [c for c in CATEGORIES if c not in topics]
        rng.shuffle(others)
        count = rng.randint(4, 9)
        categories = (rng.sample(topics, len(topics)) + others)[:count]
    signup = pick(rng, {"waves": 0.6, "spread": 0.4})
    banned = rng.random() >= 0.25  # a quarter of the networks were never caught
    ban_share = rng.uniform(0.02, KNOB_RANGES["ban_share"][1]) if banned else 0.0
    payment = pick(rng, {"shared": 0.35, "unique": 0.35, "none": 0.3})
    devices = pick(rng, {"shared": 0.35, "unique": 0.45, "none": 0.2})
    api_keys = pick(rng, {"shared": 0.3, "unique": 0.4, "none": 0.3})
    agents = pick(rng, {"scripted": 0.35, "browser": 0.35, "mixed": 0.3})
    proxy = pick(rng, {"datacenter": 0.25, "residential": 0.35, "mobile": 0.1, "mixed": 0.2,
                       "own_exit": 0.1})
    timing = pick(rng, {"lockstep": 0.45, "human": 0.55})
    activity = pick(rng, {"sustained": 0.6, "bursts": 0.4})
    return NetworkKnobs(
        network=f"N{number:02d}", size=size,
        templates=_draw_int(rng, "templates"), flip_bits=_draw_int(rng, "flip_bits"),
        reworded_share=_draw(rng, "reworded_share"), focus=focus,
        reasoning_rate=_draw(rng, "reasoning_rate"), rewrite_rate=rewrite_rate,
        requests_per_session=_draw(rng, "requests_per_session"),
        output_tokens_per_request=_draw(rng, "output_tokens_per_request"),
        reasoner_share=_draw(rng, "reasoner_share"), filler_share=_draw(rng, "filler_share"),
        subject_mix=subject_mix, categories=categories,
        signup=signup,
        waves=_draw_int(rng, "waves") if signup == "waves" else None,
        wave_hours=_draw(rng, "wave_hours") if signup == "waves" else None,
        spread_days_before=_draw(rng, "spread_days_before") if signup == "spread" else None,
        spread_days_during=_draw(rng, "spread_days_during") if signup == "spread" else None,
        ban_share=ban_share,
        regrowth_share=_draw(rng, "regrowth_share") if banned else 0.0,
        ban_day=_draw(rng, "ban_day") if banned else None,
        countries=_draw_int(rng, "countries"),
        email=pick(rng, {"temp": 0.3, "free": 0.35, "own_domain": 0.15, "mixed": 0.2}),
        api_plan_share=_draw(rng, "api_plan_share"),
        payment=payment,
        accounts_per_card=_draw_int(rng, "accounts_per_card") if payment == "shared" else None,
        devices=devices,
        accounts_per_device=_draw_int(rng, "accounts_per_device") if devices == "shared"
        else None,
        api_keys=api_keys,
        accounts_per_key=_draw_int(rng, "accounts_per_key") if api_keys == "shared" else None,
        api_session_share=_draw(rng, "api_session_share") if api_keys != "none" else None,
        agents=agents,
        scripted_share=1.0 if agents == "scripted" else 0.0 if agents == "browser"
        else rng.uniform(0.1, 0.9),
        browser_agents=_draw_int(rng, "browser_agents") if agents != "scripted" else None,
        proxy=proxy, exits_per_account=_draw_int(rng, "exits_per_account"),
        accounts_per_exit=_draw(rng, "accounts_per_exit") if proxy != "own_exit" else None,
        feed_known=_draw(rng, "feed_known"),
        timing=timing,
        shift_start=_draw_int(rng, "shift_start") if timing == "lockstep" else None,
        shift_hours=_draw(rng, "shift_hours") if timing == "lockstep" else None,
        weekdays_only=rng.random() < 0.3 if timing == "lockstep" else None,
        sessions_per_account=_draw(rng, "sessions_per_account"),
        activity=activity,
        bursts=_draw_int(rng, "bursts") if activity == "bursts" else None,
    )


def network_sizes(rng: random.Random, budget: int) -> list[int]:
    """Sizes that add up to the hydra budget: tiny and small rings, medium, a few large.

    The smallest candidates are kept first, so a small budget still plants
    several rings; a big budget gets more medium and large networks.
    """
    candidates = ([rng.randint(4, 19) for _ in range(rng.randint(2, 4))]
                  + [rng.randint(8, 40) for _ in range(rng.randint(3, 8))]
                  + [round(log_uniform(rng, 40, 100)) for _ in range(rng.randint(2, 6))]
                  + [round(log_uniform(rng, 100, 700)) for _ in range(rng.randint(1, 4))])
    sizes: list[int] = []
    left = budget
    for size in sorted(candidates):
        if size <= left:
            sizes.append(size)
            left -= size
    while left >= 8:
        size = min(left, round(log_uniform(rng, 40, 700)))
        if left - size < 8:
            size = left if left <= 700 else left // 2
        sizes.append(size)
        left -= size
    if left:  # the last few accounts join a ring that stays below 700
        room = [i for i, size in enumerate(sizes) if size + left <= 700]
        if room:
            sizes[rng.choice(room)] += left
        else:
            sizes.append(left)
    rng.shuffle(sizes)
    return sizes


def draw_knobs(seed: int, accounts: int, hydra_share: float) -> list[NetworkKnobs]:
    """The planted networks of a seed: sizes filling the budget, knobs per network."""
    rng = stream(seed, "knobs")
    sizes = network_sizes(rng, hydra_budget(accounts, hydra_share))
    return [draw_network_knobs(rng, number, size)
            for number, size in enumerate(sizes, start=1)]


# -- the benign population ----------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A benign cohort kind: its share of benign accounts and its group sizes."""

    share: tuple[float, float]
    group: tuple[int, int] | None  # None: individuals (one shared context, no group)
    about: str


BENIGN_KINDS: dict[str, Kind] = {
    "cgnat": Kind((0.04, 0.08), (150, 900), "mobile users behind a carrier-grade NAT"),
    "vpn": Kind((0.02, 0.05), (60, 300), "consumer VPN users sharing exits with strangers"),
    "campus": Kind((0.015, 0.04), (40, 300),
                   "students behind a campus NAT, a term-start wave, shared homework"),
    "team": Kind((0.02, 0.05), (3, 40), "company teams: one billing, an org, office egress"),
    "integrator": Kind((0.004, 0.01), (2, 15),
                       "API integrators: scripted, templated, cloud egress, shared keys"),
    "evaluator": Kind((0.003, 0.008), (2, 12),
                      "evaluation teams running reasoning benchmarks in bursts from clouds"),
    "viral": Kind((0.02, 0.04), None, "unrelated users pasting the same viral prompts"),
    "cloud_lab": Kind((0.005, 0.015), (15, 60),
                      "a class on cloud lab machines: wave, homework templates, coding only"),
    "bootcamp": Kind((0.005, 0.015), (15, 50),
                     "a coding bootcamp cohort: wave, curriculum prompts, sponsored seats"),
    "hobby": Kind((0.01, 0.025), (8, 80),
                  "a hobby community sharing interest templates and a Discord prompt"),
    "newcomer": Kind((0.03, 0.06), None,
                     "fresh sign-ups every day of the window, a few sessions each"),
    "research": Kind((0.003, 0.008), (4, 25),
                     "a research group asking for reasoning at volume: org, one billing"),
    "household": Kind((0.03, 0.06), (2, 6), "families sharing a home address and a card"),
    "power_user": Kind((0.005, 0.015), None,
                       "individual heavy reasoning users with scripted clients"),
    "privacy": Kind((0.01, 0.03), None,
                    "privacy users behind the residential proxy pools networks rent"),
    "office": Kind((0.02, 0.05), (10, 120),
                   "office staff on corporate egress with their own accounts"),
    "hackathon": Kind((0.004, 0.012), (20, 150),
                      "a hackathon: a one-day wave on venue wifi, a starter prompt, a burst"),
    "cafe": Kind((0.005, 0.015), (5, 40),
                 "an internet cafe or library: public machines shared by patrons"),
    "agency": Kind((0.003, 0.01), (3, 15),
                   "a content agency: one card, templated writing at volume"),
    "tor": Kind((0.002, 0.006), None,
                "Tor users: shared exits, one browser string, sensitive topics"),
}
LOOKALIKE_SHARE = (0.30, 0.42)  # of benign accounts; regular users are the rest
MIN_COHORT = 3


def draw_cohort_sizes(seed: int, benign: int) -> dict[str, list[int]]:
    """Group sizes of every benign kind (``regular`` last, one group), from the seed."""
    rng = stream(seed, "cohorts")
    shares = {kind: rng.uniform(*spec.share) for kind, spec in BENIGN_KINDS.items()}
    scale = rng.uniform(*LOOKALIKE_SHARE) / sum(shares.values())
    budgets = {kind: max(MIN_COHORT, round(benign * share * scale))
               for kind, share in shares.items()}
    lookalikes = sum(budgets.values())
    if lookalikes > benign // 2:  # tiny populations: regular users stay the majority
        budgets = {kind: max(1, budget * (benign // 2) // lookalikes)
                   for kind, budget in budgets.items()}
    sizes: dict[str, list[int]] = {}
    for kind, budget in budgets.items():
        spec = BENIGN_KINDS[kind]
        if spec.group is None:
            sizes[kind] = [budget]
            continue
        low, high = spec.group
        groups: list[int] = []
        left = budget
        while left > 0:
            size = min(left, round(log_uniform(rng, low, high)))
            if left - size < low:
                size = left
            groups.append(size)
            left -= size
        sizes[kind] = groups
    sizes["regular"] = [benign - sum(sum(g) for g in sizes.values())]
    return sizes
