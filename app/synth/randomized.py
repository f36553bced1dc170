"""A randomized provider export: no two planted networks hide the same way.

The fixed-level generator plants networks at three camouflage levels, which
a detector can learn by heart. Here every camouflage knob of every network
is drawn on its own from a wide range (see ``app.synth.knobs``: templates,
flipped bits, rewording, intent, volume, filler, sign-up waves or spread,
bans and regrowth, shared or unique cards, devices, keys and agents, proxy
type and how much of it the intel feed knows, lockstep or human timing,
sizes from tiny rings to 700 accounts), and the benign population holds
twenty kinds of look-alikes with randomized parameters beside the regular
users, who stay the majority:

    cgnat vpn campus team integrator evaluator viral cloud_lab bootcamp hobby
    newcomer research household power_user privacy office hackathon cafe
    agency tor (and regular)

Besides the contract's tables it writes ``labels.csv`` (``account_id, label,
network, cohort, camouflage``; camouflage ``rand`` for hydra accounts) and
``knobs.json``: the seed, the hydra share, every network's knobs and each
cohort's size. Deterministic for a seed: the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.synth.common import (
    BENIGN_CATEGORY_WEIGHTS,
    CATEGORIES,
    COUNTRIES,
    FREE_MAIL,
    MOBILE_AGENTS,
    SCRIPTED_AGENTS,
    TEMP_MAIL,
    UTC_OFFSET,
    WINDOW_DAYS,
    WINDOW_END,
    WINDOW_START,
    Synth,
)
from app.synth.knobs import (
    NetworkKnobs,
    default_hydra_share,
    draw_cohort_sizes,
    draw_knobs,
    log_uniform,
    stream,
)

DAY = 86_400.0
START = WINDOW_START.timestamp()
END = WINDOW_END.timestamp()
# Relative activity of people by local hour: quiet nights, a late-evening peak.
HUMAN_HOURS = (2, 1, 0.7, 0.4, 0.3, 0.4, 0.8, 1.6, 3, 4.5, 5.5, 6, 5.5, 5.5, 6, 6, 6, 5.5,
               5.5, 6, 6.5, 6.5, 5, 3.5)
HUMAN_CUM = tuple(sum(HUMAN_HOURS[: i + 1]) for i in range(24))
TOR_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
SYLLABLES = ("ka", "lo", "ve", "ri", "tan", "mor", "sel", "qu", "dia", "bren", "ost", "pha",
             "nu", "zel", "cor", "vin", "ath", "mi", "lux", "ber", "gra", "tho", "ne", "sa")
CLOUDS = ("Hyperscale Cloud", "NimbusCompute", "Stratus Hosting", "BlueRack Cloud",
          "Orbit VPS", "Cumulus Networks")
RESI_PROVIDERS = ("ResiNet", "HomeRoute", "PeerExit", "StreamProxy", "UrbanIP")
DC_PROVIDERS = (None, "FastProxyNet", "DCProxies", "RackProxy", "SwiftExit")
CHEAP_TLDS = ("top", "xyz", "shop", "site", "online", "click")


def stamp(ts: float) -> datetime:
    """A timestamp (whole seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(int(ts), UTC)


@dataclass
class Style:
    """How a group's sessions look: topics, intent, templates, volume."""

    categories: tuple[str, ...]
    weights: tuple[float, ...]
    reasoning: float
    rewrite: float = 0.0
    templates: tuple[int, ...] = ()
    template_share: float = 0.0  # sessions whose first prompt comes from a template
    flip_bits: int = 2
    requests: float = 6.0  # mean requests per session
    requests_min: int = 1
    input_per_request: float = 250.0
    output_per_request: float = 450.0
    reasoner_share: float = 0.15
    refusal_rate: float = 0.01
    pace: tuple[float, float] = (5.0, 60.0)  # seconds per request
    sigma: float = 0.7
    cum: tuple[float, ...] = field(init=False)
    mu: float = field(init=False)

    def __post_init__(self) -> None:
        total = 0.0
        cum = []
        for w in self.weights:
            total += w
            cum.append(total)
        self.cum = tuple(cum)
        self.mu = math.log(max(self.requests, 1.0)) - self.sigma ** 2 / 2


@dataclass
class Account:
    """One account to write: its row and everything its sessions draw from."""

    row: dict[str, Any]
    label: list[str]  # label, network, cohort, camouflage
    created: float
    style: Style
    sessions: int
    ips: list[str]
    agents: list[str]
    devices: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    key_share: float = 0.0  # sessions run through an API key
    home_share: float = 0.0  # sessions from ips[0] rather than any of ips
    timing: str = "human"  # human | business | lockstep | uniform
    tz: float = 0.0  # hours from UTC of the account's clock
    shift: tuple[float, float] = (0.0, 24.0)  # lockstep: start hour (UTC), hours
    weekdays: bool = False
    bursts: list[float] = field(default_factory=list)
    burst_days: float = 1.0
    burst_share: float = 0.0
    filler: Style | None = None
    filler_share: float = 0.0


@dataclass
class Group:
    """A benign cohort (or the shared context of individuals) and what its members share."""

    kind: str
    size: int
    style: Style
    params: dict[str, Any] = field(default_factory=dict)
    ips: list[str] = field(default_factory=list)
    payment: str | None = None
    org: str | None = None
    domain: str | None = None
    country: str | None = None
    wave: float | None = None
    keys: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)


@dataclass
class Network:
    """A planted network: its knobs and the infrastructure they produced."""

    knobs: NetworkKnobs
    style: Style
    filler: Style
    pool: list[str]
    cards: list[str]
    devices: list[str]
    keys: list[str]
    scripted: list[str]
    browsers: list[str]
    domains: list[str]
    countries: list[str]
    waves: list[float]
    ban_at: float
    bursts: list[float]
    burst_days: float


@dataclass(slots=True)
class Seat:
    """One planned account: who it belongs to and its part in the story."""

    kind: str
    group: Group | Network
    role: str = "member"  # hydra: head | banned | regrown


@dataclass
class ResiProvider:
    """A commercial residential proxy service: a big pool of home addresses.

    What the feed knows of an address is settled when it is first used: by a
    network (its ``feed_known`` knob) or by an ordinary user (``known_share``).
    """

    name: str
    known_share: float  # of the addresses ordinary users pass through, listed (residential)
    flag_share: float  # of listed addresses, listed with the provider's name
    pool: list[str] = field(default_factory=list)
    settled: set[str] = field(default_factory=set)


class RandomizedGenerator(Synth):
    """Writes one randomized data set; see the module docstring."""

    def __init__(self, accounts: int, seed: int, sessions_per_account: float = 8.0,
                 hydra_share: float | None = None):
        super().__init__(seed)
        self.total = max(accounts, 200)
        self.hydra_share = default_hydra_share(seed) if hydra_share is None else hydra_share
        self.knobs = draw_knobs(seed, self.total, self.hydra_share)
        hydra = sum(k.size for k in self.knobs)
        self.cohort_sizes = draw_cohort_sizes(seed, self.total - hydra)
        pop = stream(seed, "population")
        self.population = {
            # regular users' mean; with the heavier cohorts the population averages ~10
            "sessions_per_account": round(sessions_per_account * pop.uniform(1.0, 1.35), 3),
            "reasoning_rate": round(pop.uniform(0.04, 0.1), 4),
            "rewrite_rate": round(pop.uniform(0.001, 0.005), 4),
            "mobile_share": round(pop.uniform(0.2, 0.4), 4),
            "payment_share": round(pop.uniform(0.4, 0.7), 4),
            "pro_share": round(pop.uniform(0.1, 0.3), 4),
            "home_known": round(pop.uniform(0.4, 0.8), 4),
        }
        self.networks: list[Network] = []
        self.groups: list[Group] = []

    # -- drawing helpers ---------------------------------------------------------

    def word(self, parts: int = 2) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(parts))

    def count(self, mean: float, minimum: int = 1) -> int:
        """A session count: most accounts light, a few heavy (exponential)."""
        return max(minimum, int(self.rng.expovariate(1 / mean)))

    def steady(self, mean: float, minimum: int = 1) -> int:
        """A session count close to a mean (scripted or scheduled use)."""
        return max(minimum, round(self.rng.gauss(mean, mean * 0.3)))

    def templates(self, count: int) -> tuple[int, ...]:
        return tuple(self.rng.getrandbits(64) for _ in range(count))

    def style(self, categories: tuple[str, ...], weights: tuple[float, ...] | None = None,
              **kw: Any) -> Style:
        return Style(categories, weights or (1.0,) * len(categories), **kw)

    def benign_style(self, **kw: Any) -> Style:
        """The regular users' sessions, with overrides."""
        kw.setdefault("reasoning", self.population["reasoning_rate"])
        kw.setdefault("rewrite", self.population["rewrite_rate"])
        return Style(CATEGORIES, BENIGN_CATEGORY_WEIGHTS, **kw)

    def home_ip(self, country: str) -> str:
        return self.note_ip(self.public_ipv4(), "residential",
                            self.rng.random() < self.population["home_known"], country=country)

    def prefix24(self) -> str:
        return self.public_ipv4().rsplit(".", 1)[0]

    def cloud_ip(self) -> str:
        """An address in one of the big clouds (integrators, labs and proxies alike)."""
        block = self.rng.choice(self.cloud_blocks)
        ip = f"{block}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        return self.note_ip(ip, "datacenter", True)

    def institution_ip(self, network_type: str, country: str | None,
                       known: float = 0.8) -> str:
        return self.note_ip(self.public_ipv4(), network_type, self.rng.random() < known,
                            country=country)

    def resi_take(self, provider: ResiProvider, n: int, known_share: float) -> list[str]:
        """n distinct addresses of a residential pool (grown when asked for many); those
        used for the first time are listed by the feed with chance known_share."""
        rng = self.rng
        while len(provider.pool) < 2 * n:
            provider.pool.append(self.public_ipv4())
        ips = rng.sample(provider.pool, n)
        for ip in ips:
            if ip not in provider.settled:
                provider.settled.add(ip)
                name = provider.name if rng.random() < provider.flag_share else None
                self.note_ip(ip, "residential", rng.random() < known_share,
                             proxy_provider=name)
        return ips

    # -- infrastructure shared across the population -----------------------------

    def infrastructure(self) -> None:
        rng = self.rng
        self.cloud_blocks = []
        for name in CLOUDS:
            asn = rng.randint(10_000, 99_999)
            for _ in range(rng.randint(2, 4)):
                block = ".".join(self.public_ipv4().split(".")[:2])
                self._asn_of_block[block] = (asn, f"AS{asn} {name}")
                self.cloud_blocks.append(block)
        pool_size = max(1_500, min(self.total // 8, 200_000))
        self.providers = []
        for name in rng.sample(RESI_PROVIDERS, rng.randint(2, len(RESI_PROVIDERS))):
            provider = ResiProvider(name, rng.uniform(0.03, 0.8), rng.uniform(0.0, 0.5))
            provider.pool = [self.public_ipv4() for _ in range(pool_size)]
            self.providers.append(provider)
        carriers = max(3, len(self.cohort_sizes.get("cgnat", ())))
        self.carriers: list[tuple[str, list[str]]] = []  # (country, NAT addresses)
        for _ in range(carriers):
            country = rng.choice(COUNTRIES)
            self.carriers.append((country, [
                self.note_ip(self.ipv6() if rng.random() < 0.3 else self.public_ipv4(),
                             "mobile", True, country=country)
                for _ in range(rng.randint(20, 80))]))
        self.carrier_ips = [ip for _, carrier in self.carriers for ip in carrier]
        self.carrier_of: dict[str, list[str]] = {}
        for country, carrier in self.carriers:
            self.carrier_of.setdefault(country, []).extend(carrier)
        self.viral = self.templates(rng.randint(2, 6))
        self.tor_exits = [self.note_ip(self.public_ipv4(), "tor", rng.random() < 0.9)
                          for _ in range(rng.randint(20, 80))]

    # -- planted networks --------------------------------------------------------

    def exits(self, k: NetworkKnobs, proxy: str, n: int) -> list[str]:
        """n exit addresses of one proxy type for a network."""
        rng = self.rng
        if n <= 0:
            return []
        if proxy == "datacenter":
            prefixes = [(f"{rng.choice(self.cloud_blocks)}.{rng.randint(0, 255)}"
                         if rng.random() < 0.5 else self.prefix24())
                        for _ in range(max(1, round(n / rng.uniform(4, 60))))]
            service = rng.choice(DC_PROVIDERS)
            ips = list(dict.fromkeys(f"{rng.choice(prefixes)}.{rng.randint(1, 254)}"
                                     for _ in range(n)))
            for ip in ips:
                self.note_ip(ip, rng.choice(("datacenter", "proxy")), rng.random() < k.feed_known,
                             proxy_provider=service if rng.random() < 0.5 else None)
            return ips
        if proxy == "residential":
            return self.resi_take(rng.choice(self.providers), n, k.feed_known)
        # mobile proxies: own modems, and some carrier NAT addresses shared with strangers
        carrier_share = rng.uniform(0.0, 0.5)
        ips = []
        for _ in range(n):
            if rng.random() < carrier_share:
                ips.append(rng.choice(self.carrier_ips))
            else:
                ip = self.ipv6() if rng.random() < 0.2 else self.public_ipv4()
                ips.append(self.note_ip(ip, "mobile", rng.random() < k.feed_known))
        return list(dict.fromkeys(ips))

    def make_network(self, k: NetworkKnobs) -> Network:
        rng = self.rng
        size = k.size
        pool: list[str] = []
        if k.proxy != "own_exit":
            assert k.accounts_per_exit is not None
            n = max(1, math.ceil(size * k.exits_per_account / k.accounts_per_exit))
            if k.proxy == "mixed":
                shares = [rng.random() for _ in range(3)]
                for proxy, share in zip(("datacenter", "residential", "mobile"), shares,
                                        strict=True):
                    pool += self.exits(k, proxy, max(1, round(n * share / sum(shares))))
            else:
                pool = self.exits(k, k.proxy, n)
        ceil = math.ceil
        cards = ([self.new_id("pm_", 12) for _ in range(ceil(size / k.accounts_per_card))]
                 if k.accounts_per_card else [])
        devices = ([self.new_id("fp_", 12) for _ in range(ceil(size / k.accounts_per_device))]
                   if k.accounts_per_device else [])
        keys = ([self.new_id("key_", 10) for _ in range(ceil(size / k.accounts_per_key))]
                if k.accounts_per_key else [])
        scripted = rng.sample(SCRIPTED_AGENTS, rng.randint(1, 3))
        browsers = [self.browser_agent() for _ in range(k.browser_agents or 0)]
        domains = [f"{self.word()}{rng.randint(1, 99)}.{rng.choice(CHEAP_TLDS)}"
                   for _ in range(rng.randint(1, 3))]
        if k.signup == "waves":
            assert k.waves is not None
            waves = sorted(START + rng.uniform(-20, WINDOW_DAYS * 0.75) * DAY
                           for _ in range(k.waves))
        else:
            waves = []
        weights = tuple(rng.uniform(0.5, 2.0) for _ in k.categories)
        style = self.style(
            tuple(k.categories), weights, reasoning=k.reasoning_rate, rewrite=k.rewrite_rate,
            templates=self.templates(k.templates), template_share=1 - k.reworded_share,
            flip_bits=k.flip_bits, requests=k.requests_per_session, requests_min=2,
            output_per_request=k.output_tokens_per_request,
            input_per_request=rng.uniform(200, 900), reasoner_share=k.reasoner_share,
            refusal_rate=0.02 + k.rewrite_rate * 0.1,
            pace=(1.0, 8.0) if k.agents == "scripted" else (3.0, 30.0), sigma=0.45)
        return Network(
            knobs=k, style=style, filler=self.benign_style(requests=rng.uniform(2, 8)),
            pool=pool, cards=cards, devices=devices, keys=keys, scripted=scripted,
            browsers=browsers, domains=domains,
            countries=rng.sample(COUNTRIES, k.countries), waves=waves,
            ban_at=START + (k.ban_day if k.ban_day is not None else WINDOW_DAYS * 2) * DAY,
            bursts=sorted(START + rng.uniform(0, WINDOW_DAYS - 3) * DAY
                          for _ in range(k.bursts or 0)),
            burst_days=rng.uniform(0.5, 4.0))

    def network_seats(self, net: Network) -> list[Seat]:
        k = net.knobs
        regrown = round(k.size * k.regrowth_share)
        banned = round((k.size - regrown) * k.ban_share)
        roles = ["regrown"] * regrown + ["banned"] * banned
        roles += ["head"] * (k.size - len(roles))
        return [Seat("hydra", net, role) for role in roles]

    def hydra_signup(self, net: Network, role: str) -> float:
        rng = self.rng
        k = net.knobs
        if role == "regrown":
            return min(net.ban_at + rng.uniform(0.5, 10) * DAY, END - 2 * DAY)
        latest = net.ban_at - DAY if role == "banned" else END - 2 * DAY
        if k.signup == "waves":
            assert k.wave_hours is not None
            waves = [w for w in net.waves if w < latest] or [latest - 10 * DAY]
            created = rng.choice(waves) + rng.uniform(0, k.wave_hours * 3600)
        else:
            assert k.spread_days_before is not None and k.spread_days_during is not None
            created = rng.uniform(START - k.spread_days_before * DAY,
                                  START + k.spread_days_during * DAY)
        return min(created, latest)

    def hydra_account(self, net: Network, role: str) -> Account:
        rng = self.rng
        k = net.knobs
        country = rng.choice(net.countries)
        created = self.hydra_signup(net, role)
        email = k.email if k.email != "mixed" else rng.choice(("temp", "free", "own_domain"))
        domain = rng.choice(TEMP_MAIL if email == "temp" else FREE_MAIL if email == "free"
                            else net.domains)
        if k.proxy == "own_exit":
            ips = [self.note_ip(self.public_ipv4(), "residential", rng.random() < k.feed_known,
                                country=country) for _ in range(k.exits_per_account)]
        else:
            ips = rng.sample(net.pool, min(len(net.pool), k.exits_per_account))
        scripted = rng.random() < k.scripted_share
        agents = [rng.choice(net.scripted)] if scripted else [rng.choice(net.browsers)]
        devices = ([rng.choice(net.devices)] if k.devices == "shared"
                   else [self.new_id("fp_", 12)] if k.devices == "unique" else [])
        keys = ([rng.choice(net.keys)] if k.api_keys == "shared"
                else [self.new_id("key_", 10)] if k.api_keys == "unique" else [])
        payment = (rng.choice(net.cards) if k.payment == "shared"
                   else self.new_id("pm_", 12) if k.payment == "unique" else None)
        row: dict[str, Any] = {
            "account_id": self.new_id("u", 10), "created_at": stamp(created),
            "email_domain": domain, "signup_ip": rng.choice(ips), "country": country,
            "payment_fingerprint": payment,
            "plan": "api" if rng.random() < k.api_plan_share else rng.choice(("pro", "free")),
            "status": "active"}
        if role == "banned":
            row["status"] = "banned"
            row["status_changed_at"] = stamp(net.ban_at + rng.uniform(0, 2 * DAY))
        lockstep = k.timing == "lockstep"
        return Account(
            row, ["hydra", k.network, "hydra", "rand"], created, net.style,
            self.steady(k.sessions_per_account), ips, agents, devices, keys,
            key_share=k.api_session_share or 0.0,
            timing="lockstep" if lockstep else "human",
            tz=0.0 if lockstep else UTC_OFFSET[country],
            shift=(float(k.shift_start or 0), k.shift_hours or 24.0),
            weekdays=bool(k.weekdays_only), bursts=net.bursts, burst_days=net.burst_days,
            burst_share=0.85 if net.bursts else 0.0, filler=net.filler,
            filler_share=k.filler_share)

    # -- benign cohorts ----------------------------------------------------------

    def make_group(self, kind: str, size: int) -> Group:
        """A cohort's shared context, its parameters drawn here."""
        rng = self.rng
        country = rng.choice(COUNTRIES)
        uni = self.word(rng.randint(2, 3))
        g = Group(kind, size, self.benign_style(), country=country)
        if kind == "cgnat":
            g.country, g.ips = self.carriers[
                sum(x.kind == "cgnat" for x in self.groups) % len(self.carriers)]
        elif kind == "vpn":
            provider = rng.choice(("NordVPN", "Mullvad", "ProtonVPN", "Surfshark", None))
            g.ips = [self.note_ip(self.public_ipv4(), "vpn", rng.random() < 0.8,
                                  proxy_provider=provider)
                     for _ in range(rng.randint(10, 40))]
        elif kind == "campus":
            g.ips = [self.institution_ip("education", country) for _ in range(rng.randint(1, 3))]
            g.wave = START + rng.uniform(-10, 40) * DAY
            g.domain = f"students.{uni}.edu"
            g.style = self.style(("math", "science", "coding", "writing"), (4, 2, 3, 1),
                                 reasoning=rng.uniform(0.3, 0.6),
                                 templates=self.templates(rng.randint(3, 10)),
                                 template_share=rng.uniform(0.3, 0.6), flip_bits=2,
                                 requests=rng.uniform(3, 8))
        elif kind == "team":
            g.ips = [self.institution_ip("corporate", country, 0.7)]
            g.payment, g.org = self.new_id("pm_", 12), self.new_id("org_", 8)
            g.domain = f"{self.word()}.{rng.choice(('com', 'io', 'co', 'de'))}"
            g.style = self.style(("coding", "business", "writing", "chat"), (4, 3, 2, 1),
                                 reasoning=self.population["reasoning_rate"],
                                 requests=rng.uniform(4, 12))
        elif kind in ("integrator", "evaluator", "research", "agency"):
            g.payment, g.org = self.new_id("pm_", 12), self.new_id("org_", 8)
            g.keys = [self.new_id("key_", 10) for _ in range(rng.randint(1, 4))]
            g.agents = rng.sample(SCRIPTED_AGENTS, rng.randint(1, 2))
            if kind == "integrator":
                g.ips = [self.cloud_ip() for _ in range(rng.randint(1, 4))]
                g.domain = f"{self.word()}.com"
                g.style = self.style(("coding", "business", "translation"), (3, 2, 2),
                                     reasoning=rng.uniform(0.0, 0.15),
                                     templates=self.templates(rng.randint(2, 8)),
                                     template_share=rng.uniform(0.8, 1.0),
                                     flip_bits=rng.randint(0, 1),
                                     requests=log_uniform(rng, 30, 150), requests_min=3,
                                     pace=(0.5, 4.0), sigma=0.4)
            elif kind == "evaluator":
                g.ips = [self.cloud_ip() for _ in range(rng.randint(1, 4))]
                g.domain = f"{self.word()}.ai"
                g.style = self.style(("math", "reasoning", "coding"), (3, 3, 2),
                                     reasoning=rng.uniform(0.5, 0.85),
                                     templates=self.templates(rng.randint(20, 200)),
                                     template_share=0.9, flip_bits=rng.randint(0, 1),
                                     requests=log_uniform(rng, 20, 100), requests_min=3,
                                     output_per_request=rng.uniform(1000, 3000),
                                     reasoner_share=rng.uniform(0.5, 1.0), pace=(0.5, 5.0),
                                     sigma=0.4)
            elif kind == "research":
                g.ips = ([self.institution_ip("education", country)
                          for _ in range(rng.randint(1, 3))]
                         + [self.cloud_ip() for _ in range(rng.randint(0, 2))])
                g.domain = f"{self.word()}.{uni}.{rng.choice(('edu', 'ac.uk', 'edu.sg'))}"
                g.style = self.style(("math", "reasoning", "science", "coding"), (3, 3, 2, 2),
                                     reasoning=rng.uniform(0.6, 0.9),
                                     templates=self.templates(rng.randint(10, 100)),
                                     template_share=rng.uniform(0.4, 0.8), flip_bits=2,
                                     requests=log_uniform(rng, 20, 120), requests_min=3,
                                     output_per_request=rng.uniform(2000, 5000),
                                     reasoner_share=rng.uniform(0.7, 1.0), pace=(1.0, 20.0),
                                     sigma=0.5)
            else:
                g.ips = [self.institution_ip(rng.choice(("corporate", "residential")), country,
                                             0.6)]
                g.domain = f"{self.word()}media.com"
                if rng.random() < 0.5:
                    g.org = None
                if rng.random() < 0.7:
                    g.keys = []
                g.style = self.style(("writing", "translation", "business"), (4, 2, 2),
                                     reasoning=rng.uniform(0.0, 0.1),
                                     templates=self.templates(rng.randint(5, 20)),
                                     template_share=rng.uniform(0.5, 0.9), flip_bits=1,
                                     requests=log_uniform(rng, 10, 50),
                                     output_per_request=rng.uniform(600, 1500))
        elif kind == "cloud_lab":
            g.ips = [self.cloud_ip() for _ in range(rng.randint(2, 6))]
            g.wave = START + rng.uniform(-5, 60) * DAY
            g.domain = f"{rng.choice(('cs', 'lab', 'eng'))}.{uni}." \
                       f"{rng.choice(('edu', 'ac.uk', 'edu.au'))}"
            g.agents = [self.browser_agent() for _ in range(rng.randint(1, 2))]
            g.devices = ([self.new_id("fp_", 12) for _ in range(rng.randint(1, 3))]
                         if rng.random() < 0.5 else [])  # a cloned lab image
            g.style = self.style(("coding",), reasoning=rng.uniform(0.3, 0.5),
                                 templates=self.templates(rng.randint(5, 12)),
                                 template_share=rng.uniform(0.5, 0.8), flip_bits=2,
                                 requests=rng.uniform(3, 6))
            g.params["slot"] = rng.choice((9, 10, 13, 14, 16))
        elif kind == "bootcamp":
            g.ips = [self.institution_ip(rng.choice(("corporate", "education")), country)]
            g.wave = START + rng.uniform(-10, 50) * DAY
            if rng.random() < 0.5:
                g.payment, g.org = self.new_id("pm_", 12), self.new_id("org_", 8)
            g.domain = f"{self.word()}code.io" if rng.random() < 0.5 else None
            g.style = self.style(("coding",), reasoning=rng.uniform(0.15, 0.35),
                                 templates=self.templates(rng.randint(10, 30)),
                                 template_share=rng.uniform(0.3, 0.6), flip_bits=2,
                                 requests=rng.uniform(4, 10))
        elif kind == "hobby":
            topics = tuple(rng.sample(("writing", "chat", "science", "math", "coding",
                                       "translation"), rng.randint(1, 3)))
            interest = self.templates(rng.randint(2, 6))
            discord = self.templates(1) * len(interest)  # one prompt everybody pastes
            g.style = self.style(topics, reasoning=self.population["reasoning_rate"] * 2,
                                 templates=interest + discord,
                                 template_share=rng.uniform(0.15, 0.4), flip_bits=2,
                                 requests=rng.uniform(5, 15))
        elif kind == "household":
            g.ips = [self.home_ip(country)]
            g.payment = self.new_id("pm_", 12) if rng.random() < 0.5 else None
            g.devices = [self.new_id("fp_", 12)] if rng.random() < 0.3 else []
        elif kind == "office":
            g.ips = [self.institution_ip("corporate", country, 0.7)
                     for _ in range(rng.randint(1, 2))]
            g.domain = f"{self.word()}.{rng.choice(('com', 'de', 'co.uk', 'fr', 'jp'))}"
            g.agents = [self.browser_agent() for _ in range(rng.randint(1, 3))]
            g.wave = START + rng.uniform(-30, 60) * DAY if rng.random() < 0.3 else None
            g.style = self.style(("business", "coding", "writing", "translation", "chat"),
                                 (4, 3, 3, 1, 1), reasoning=self.population["reasoning_rate"],
                                 requests=rng.uniform(4, 10))
        elif kind == "hackathon":
            g.ips = [self.institution_ip(rng.choice(("corporate", "education", "residential")),
                                         country, 0.6) for _ in range(rng.randint(1, 2))]
            g.wave = START + rng.uniform(0, WINDOW_DAYS - 10) * DAY
            g.style = self.style(("coding",), reasoning=rng.uniform(0.05, 0.25),
                                 templates=self.templates(rng.randint(1, 3)),
                                 template_share=rng.uniform(0.2, 0.5), flip_bits=2,
                                 requests=rng.uniform(4, 12))
            g.params["days"] = rng.uniform(1, 3)
        elif kind == "cafe":
            g.ips = [self.institution_ip(rng.choice(("residential", "corporate", "education")),
                                         country, 0.5)]
            g.devices = [self.new_id("fp_", 12) for _ in range(rng.randint(1, 4))]
            g.agents = [self.browser_agent() for _ in range(rng.randint(1, 2))]
        elif kind == "tor":
            g.ips = self.tor_exits
            g.agents = [TOR_AGENT]
            g.devices = [self.new_id("fp_", 12)] if rng.random() < 0.5 else []
            g.style = self.benign_style(rewrite=rng.uniform(0.02, 0.1),
                                        reasoning=rng.uniform(0.05, 0.15))
        elif kind == "viral":
            g.style = self.benign_style(templates=self.viral,
                                        template_share=rng.uniform(0.2, 0.5), flip_bits=3)
        elif kind == "newcomer":
            g.params["temp_mail"] = rng.uniform(0.05, 0.2)
            g.params["sessions"] = rng.uniform(1.5, 3)
        g.params.update(size=size)
        for name in ("reasoning", "template_share", "requests"):
            g.params.setdefault(name, round(getattr(g.style, name), 4))
        g.params.setdefault("templates", len(set(g.style.templates)))
        return g

    def person(self, g: Group, created: float | None = None, country: str | None = None,
               local: bool = False) -> Account:
        """An ordinary user; cohorts adjust what they share."""
        rng = self.rng
        pop = self.population
        if country is None:
            country = g.country if local and g.country and rng.random() < 0.9 \
                else rng.choice(COUNTRIES)
        if created is None:
            created = (START + rng.uniform(0, WINDOW_DAYS - 2) * DAY if rng.random() < 0.2
                       else START - min(rng.expovariate(1 / 200), 1000) * DAY)
        row: dict[str, Any] = {
            "account_id": self.new_id("u", 10), "created_at": stamp(created),
            "email_domain": rng.choice(FREE_MAIL), "country": country,
            "plan": "pro" if rng.random() < pop["pro_share"] else "free", "status": "active",
            "payment_fingerprint": self.new_id("pm_", 12) if rng.random() < pop["payment_share"]
            else None}
        ips = [self.home_ip(country)]
        agents = [self.browser_agent()]
        devices = [self.new_id("fp_", 12)]
        if rng.random() < pop["mobile_share"]:
            ips.append(rng.choice(self.carrier_of.get(country, self.carrier_ips)))
            agents.append(self.browser_agent(MOBILE_AGENTS))
            devices.append(self.new_id("fp_", 12))
        if rng.random() < 0.01:
            row["status"] = "suspended"
            row["status_changed_at"] = stamp(max(created, START) + rng.uniform(1, 30) * DAY)
        return Account(row, ["benign", "", g.kind, ""], created, g.style,
                       self.count(pop["sessions_per_account"]), ips, agents, devices,
                       home_share=0.8, tz=UTC_OFFSET[country])

    def benign_account(self, g: Group) -> Account:
        """A member of a benign cohort."""
        rng = self.rng
        kind = g.kind
        wave_hours = {"cloud_lab": 24, "hackathon": 12}.get(kind, 72)
        wave = None if g.wave is None else g.wave + rng.uniform(0, wave_hours) * 3600
        local = kind not in ("cgnat", "vpn", "viral", "hobby", "newcomer", "power_user",
                             "privacy", "tor", "regular")
        if kind == "cgnat":
            acc = self.person(g, country=g.country)
        elif kind == "newcomer":
            acc = self.person(g, created=START + rng.uniform(0, WINDOW_DAYS - 1) * DAY)
        else:
            acc = self.person(g, created=wave, local=local)
        row = acc.row
        if g.domain:
            row["email_domain"] = g.domain
        if g.payment:
            row["payment_fingerprint"] = g.payment
        if g.org:
            row["org_id"] = g.org
        if g.agents:
            acc.agents = [rng.choice(g.agents)]
        if g.devices:
            acc.devices = g.devices + acc.devices[:1]
        pop = self.population
        if kind == "cgnat":
            acc.ips = rng.sample(g.ips, min(len(g.ips), rng.randint(1, 3))) + acc.ips[:1]
            acc.agents = [self.browser_agent(MOBILE_AGENTS)]
            acc.home_share = 0.0
        elif kind == "vpn":
            acc.ips = acc.ips[:1] + rng.sample(g.ips, min(len(g.ips), rng.randint(1, 4)))
            acc.home_share = rng.uniform(0.2, 0.6)
        elif kind in ("campus", "team", "office", "bootcamp", "hackathon", "cafe"):
            acc.ips = [rng.choice(g.ips), acc.ips[0]]
            acc.home_share = {"campus": 0.6, "team": 0.7, "office": 0.85, "bootcamp": 0.5,
                              "hackathon": 0.7, "cafe": 0.7}[kind]
            if wave is not None:
                row["signup_ip"] = acc.ips[0]
            if kind in ("team", "office", "bootcamp"):
                acc.timing = "business"
            if kind == "team":
                row["plan"] = rng.choice(("team", "enterprise"))
            if kind == "office":
                row["payment_fingerprint"] = row["payment_fingerprint"] \
                    if rng.random() < 0.5 else None
            if kind == "hackathon" and g.wave is not None:
                acc.bursts, acc.burst_days = [g.wave], g.params["days"]
                acc.burst_share = rng.uniform(0.6, 0.9)
            if kind == "cafe":
                acc.sessions = self.count(rng.uniform(2, 8))
            if kind in ("campus", "bootcamp"):
                acc.sessions = self.count(pop["sessions_per_account"] * 1.3)
        elif kind == "cloud_lab":
            acc.ips = g.ips
            acc.home_share = 0.0
            row["signup_ip"] = rng.choice(g.ips)
            acc.sessions = self.steady(rng.uniform(8, 16), 3)
            # Lab slots: the class works at the same local hours, in step.
            acc.timing, acc.weekdays = "lockstep", True
            tz = UTC_OFFSET[g.country or "US"]
            acc.shift = ((g.params["slot"] - tz) % 24, rng.uniform(2, 3))
        elif kind in ("integrator", "evaluator", "research", "agency"):
            acc.ips = g.ips + ([acc.ips[0]] if kind in ("research", "agency") else [])
            acc.home_share = 0.0
            acc.keys = g.keys
            acc.key_share = 1.0 if kind in ("integrator", "evaluator") else 0.7
            row["plan"] = ("api" if kind != "agency" else rng.choice(("team", "pro"))) \
                if kind != "research" else rng.choice(("api", "enterprise"))
            row["signup_ip"] = rng.choice(g.ips)
            if kind == "integrator":
                acc.timing = "uniform"
                acc.sessions = self.count(log_uniform(rng, 30, 120), 5)
            elif kind == "evaluator":
                acc.timing = "uniform"
                acc.bursts = sorted(START + rng.uniform(0, WINDOW_DAYS - 3) * DAY
                                    for _ in range(rng.randint(2, 6)))
                acc.burst_days, acc.burst_share = rng.uniform(0.2, 2), 0.9
                acc.sessions = self.count(log_uniform(rng, 15, 60), 5)
            elif kind == "research":
                acc.timing = "uniform" if rng.random() < 0.5 else "business"
                acc.sessions = self.steady(log_uniform(rng, 20, 60), 5)
                if rng.random() < 0.5:
                    acc.agents.append(self.browser_agent())
            else:
                acc.timing = "business"
                acc.sessions = self.steady(log_uniform(rng, 20, 60), 5)
                if not g.keys:
                    acc.agents = [self.browser_agent()]
        elif kind == "household":
            acc.ips = g.ips + acc.ips[1:]
        elif kind == "newcomer":
            if rng.random() < g.params["temp_mail"]:
                row["email_domain"] = rng.choice(TEMP_MAIL)
            row["plan"], row["payment_fingerprint"] = "free", None
            row["signup_ip"] = acc.ips[0]
            acc.sessions = self.count(g.params["sessions"])
        elif kind == "power_user":
            acc.style = self.benign_style(
                reasoning=rng.uniform(0.45, 0.9),
                templates=self.templates(rng.randint(1, 8)),
                template_share=rng.uniform(0.3, 0.8), flip_bits=rng.randint(1, 3),
                requests=log_uniform(rng, 10, 80), output_per_request=rng.uniform(1000, 3000),
                reasoner_share=rng.uniform(0.5, 0.9), pace=(1.0, 15.0))
            acc.keys = [self.new_id("key_", 10) for _ in range(rng.randint(1, 2))]
            acc.key_share = rng.uniform(0.5, 1.0)
            acc.agents = [rng.choice(SCRIPTED_AGENTS), acc.agents[0]]
            if rng.random() < 0.5:
                acc.ips.append(self.cloud_ip())  # a personal VPS running the scripts
            acc.timing = "uniform" if rng.random() < 0.3 else "human"
            acc.sessions = self.steady(log_uniform(rng, 15, 70), 3)
            row["plan"] = rng.choice(("api", "pro"))
            row["payment_fingerprint"] = self.new_id("pm_", 12)
        elif kind == "privacy":
            provider = rng.choice(self.providers)
            acc.ips = acc.ips[:1] + self.resi_take(provider, rng.randint(2, 8),
                                                   provider.known_share)
            acc.home_share = rng.uniform(0.1, 0.5)
            if rng.random() < 0.5:
                row["email_domain"] = "proton.me"
        elif kind == "tor":
            acc.ips = rng.sample(g.ips, min(len(g.ips), rng.randint(3, 10)))
            acc.home_share = 0.0
            row["email_domain"] = rng.choice(("proton.me", "tutanota.com", "gmail.com"))
        if "signup_ip" not in row and rng.random() < 0.7:
            row["signup_ip"] = rng.choice(acc.ips)
        return acc

    # -- the plan ------------------------------------------------------------------

    def plan(self) -> list[Seat]:
        """Networks and cohorts with their infrastructure; one seat per account, shuffled."""
        self.infrastructure()
        seats: list[Seat] = []
        for knobs in self.knobs:
            net = self.make_network(knobs)
            self.networks.append(net)
            seats += self.network_seats(net)
        for kind, sizes in self.cohort_sizes.items():
            for size in sizes:
                if size <= 0:
                    continue
                group = self.make_group(kind, size)
                self.groups.append(group)
                seats += [Seat(kind, group) for _ in range(size)]
        self.rng.shuffle(seats)
        return seats

    def account(self, plan: Seat) -> tuple[dict[str, Any], list[str],
                                           Iterator[dict[str, Any]]]:
        """The account's row, its label (after the id) and its sessions."""
        if isinstance(plan.group, Network):
            acc = self.hydra_account(plan.group, plan.role)
        elif plan.kind == "regular":
            acc = self.person(plan.group)
        else:
            acc = self.benign_account(plan.group)
        return acc.row, acc.label, self.sessions(acc)

    # -- sessions --------------------------------------------------------------------

    def moment(self, acc: Account, lo: float, hi: float) -> float:
        """When a session starts: a day of the account's activity, an hour of its clock."""
        rng = self.rng
        if acc.bursts and rng.random() < acc.burst_share:
            t = rng.choice(acc.bursts) + rng.uniform(0, acc.burst_days * DAY)
        else:
            t = rng.uniform(lo, hi)
        if acc.timing != "uniform":
            tz = acc.tz * 3600
            local = t + tz
            day = local - local % DAY
            if acc.timing == "lockstep":
                hour = acc.shift[0] + rng.uniform(0, acc.shift[1])
            elif acc.timing == "business":
                hour = rng.uniform(8.5, 18.5)
            else:
                hour = rng.choices(range(24), cum_weights=HUMAN_CUM)[0] + rng.random()
            if acc.weekdays or acc.timing == "business":
                weekday = int(day // DAY + 3) % 7  # 1970-01-01 was a Thursday
                if weekday >= 5:
                    day -= (weekday - 4) * DAY
            t = day + hour * 3600 - tz
        if t < lo:
            t += DAY
        elif t >= hi:
            t -= DAY
        if not lo <= t < hi:
            t = rng.uniform(lo, hi)
        return t

    def sessions(self, acc: Account) -> Iterator[dict[str, Any]]:
        rng = self.rng
        lo = max(acc.created, START)
        hi = END
        changed = acc.row.get("status_changed_at")
        if changed is not None:
            hi = changed.timestamp()
        hi = max(hi, lo + 3600)
        account_id = acc.row["account_id"]
        ips, home_share = acc.ips, acc.home_share
        for _ in range(acc.sessions):
            style = acc.filler if acc.filler is not None and \
                rng.random() < acc.filler_share else acc.style
            began = self.moment(acc, lo, hi)
            if style.templates and rng.random() < style.template_share:
                template = self.near(rng.choice(style.templates), style.flip_bits)
            else:
                template = rng.getrandbits(64)
            rewrite = style.rewrite > 0 and rng.random() < style.rewrite
            category = "politics" if rewrite else \
                rng.choices(style.categories, cum_weights=style.cum)[0]
            reasoning = rng.random() < style.reasoning
            requests = max(style.requests_min, int(rng.lognormvariate(style.mu, style.sigma)))
            input_tokens = int(requests * style.input_per_request * rng.uniform(0.5, 1.5))
            output_tokens = int(requests * style.output_per_request * rng.uniform(0.5, 1.5)
                                * (1.5 if reasoning else 1.0))
            ended = began + requests * rng.uniform(*style.pace)
            ip = ips[0] if home_share and rng.random() < home_share else rng.choice(ips)
            key = rng.choice(acc.keys) if acc.keys and rng.random() < acc.key_share else None
            model = "reasoner-xl" if rng.random() < style.reasoner_share \
                else rng.choice(("chat-large", "chat-small"))
            yield self.session_row(
                account_id, stamp(began), stamp(ended), ip, rng.choice(acc.agents),
                rng.choice(acc.devices) if acc.devices else None, key, requests,
                input_tokens, output_tokens, template, category, reasoning, rewrite,
                model=model, refusal_rate=style.refusal_rate)

    # -- knobs.json --------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Everything that was drawn: the seed, the share, each network's knobs, cohorts."""
        cohorts: dict[str, int] = {}
        groups: dict[str, int] = {}
        params: dict[str, list[dict[str, Any]]] = {}
        for g in self.groups:
            cohorts[g.kind] = cohorts.get(g.kind, 0) + g.size
            groups[g.kind] = groups.get(g.kind, 0) + 1
            listed = params.setdefault(g.kind, [])
            if len(listed) < 20:
                listed.append({k: round(v, 4) if isinstance(v, float) else v
                               for k, v in g.params.items()})
        networks = []
        for net in self.networks:
            entry = net.knobs.as_dict()
            entry["exit_pool"] = len(net.pool)
            entry["claimed_countries"] = net.countries
            networks.append(entry)
        return {
            "generator": "randomized", "seed": self.seed,
            "hydra_share": round(self.hydra_share, 6), "accounts": self.total,
            "hydra_accounts": sum(k.size for k in self.knobs),
            "networks": networks, "cohorts": cohorts, "cohort_groups": groups,
            "cohort_params": params, "population": self.population,
            "residential_providers": [
                {"name": p.name, "known_share": round(p.known_share, 4),
                 "flag_share": round(p.flag_share, 4), "addresses": len(p.pool),
                 "used": len(p.settled)}
                for p in self.providers],
        }

    def finish(self, out: Path, counts: dict[str, int]) -> None:
        with open(out / "knobs.json", "w", encoding="utf-8") as fh:
            json.dump(self.summary(), fh, indent=1, sort_keys=True)
            fh.write("\n")
