"""A synthetic provider export with planted hydra networks and hard negatives.

The data set mixes benign users of many kinds, several of which look
coordinated without being so, with hydra networks at three camouflage levels:

benign cohorts
    regular      consumer users on home broadband, own devices, varied prompts
    cgnat        mobile users behind carrier-grade NAT (thousands per address)
    vpn          consumer VPN users sharing exit addresses with strangers
    campus       students behind a campus NAT who sign up in a wave at term
                 start and paste the same homework prompt (with "show steps")
    team         company teams sharing billing, an org and an egress address
    integrator   legitimate API integrators: scripted, templated, cloud egress
    evaluator    evaluation teams running benchmark prompts that ask for
                 reasoning, from cloud addresses
    viral        unrelated users pasting the same viral prompt

hydra networks (label ``hydra``)
    low          shared datacenter proxies known to the feed, shared payment
                 tokens and devices, scripted clients, lockstep shifts
    medium       larger proxy pools only partly known to the feed, payment
                 tokens shared in small groups, spoofed browser agents
    high         residential rotating proxies unknown to the feed, unique
                 payment tokens, varied agents and devices, human-like timing
                 and filler traffic

Every network signs up in waves, sends near-duplicate prompt templates (a
SimHash with a few flipped bits) asking for step-by-step reasoning, RL task
batches or sensitive rewrites, and some of its accounts are banned and then
regrow as new accounts on the same infrastructure.

Ids are random and rows are interleaved, so nothing in a name or an order
gives the answer away. Deterministic for a seed.

A detector can learn three levels by heart: ``generate(..., randomize=True)``
writes the randomized scenario of ``app.synth.randomized`` instead, where
every network draws each camouflage knob on its own from a wide range.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.synth.common import (
    BENIGN_CATEGORY_WEIGHTS,
    BROWSER_AGENTS,
    CATEGORIES,
    COUNTRIES,
    FREE_MAIL,
    MODELS,
    SCRIPTED_AGENTS,
    TEMP_MAIL,
    WINDOW_DAYS,
    WINDOW_START,
    Synth,
)

__all__ = ["BENIGN_CATEGORY_WEIGHTS", "BROWSER_AGENTS", "CATEGORIES", "COUNTRIES", "FREE_MAIL",
           "MODELS", "PRESETS", "SCRIPTED_AGENTS", "TEMP_MAIL", "WINDOW_DAYS", "WINDOW_START",
           "Generator", "Preset", "generate"]


@dataclass
class Preset:
    accounts: int
    sessions_per_account: float


PRESETS = {
    "tiny": Preset(600, 6.0),
    "small": Preset(3_000, 8.0),
    "medium": Preset(25_000, 10.0),
    "large": Preset(100_000, 10.0),
    # The seed case (24,000 hydra accounts) divided by ten in sessions, with
    # the hydra accounts among a few hundred thousand real ones.
    "seed10": Preset(250_000, 10.0),
}


@dataclass
class Network:
    """One planted hydra network and the infrastructure it reuses."""

    network_id: str
    size: int
    camouflage: str
    proxies: list[str]
    payments: list[str]
    devices: list[str]
    agents: list[str]
    templates: list[int]
    keys: list[str]
    email_domains: list[str]
    waves: list[datetime]
    shift_start: int
    focus: str  # reasoning | rl_batches | rewrites
    ban_day: float


@dataclass(frozen=True)
class Operator:
    """What one operator's network brings to every provider it harvests: its proxy
    pool and its prompt templates (`--operator-of`: read from another export)."""

    proxies: list[str]
    templates: list[int]


def read_operator(export: Path, network: str = "N01") -> Operator:
    """The addresses and templates a planted network of another export (CSV) used."""
    with open(export / "labels.csv", newline="", encoding="utf-8") as fh:
        accounts = {r["account_id"] for r in csv.DictReader(fh) if r["network"] == network}
    if not accounts:
        raise ValueError(f"{export} has no planted network {network}")
    proxies: dict[str, None] = {}
    templates: dict[int, None] = {}
    with open(export / "sessions.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["account_id"] in accounts:
                proxies[row["ip"]] = None
                if row.get("prompt_fingerprint"):
                    templates[int(row["prompt_fingerprint"], 16)] = None
    return Operator(list(proxies), list(templates))


@dataclass
class Cohort:
    """A benign group that shares something (campus, team, integrator, ...)."""

    kind: str
    ips: list[str]
    payments: list[str] = field(default_factory=list)
    org: str | None = None
    templates: list[int] = field(default_factory=list)
    wave: datetime | None = None
    keys: list[str] = field(default_factory=list)


@dataclass
class AccountPlan:
    label: str  # benign | hydra
    cohort: str
    network: Network | None = None
    group: Cohort | None = None
    regrowth: bool = False


class Generator(Synth):
    """Writes one data set; see the module docstring."""

    def __init__(self, accounts: int, seed: int, sessions_per_account: float = 10.0,
                 hydra_share: float = 0.1, fit_share: bool = False,
                 operator: Operator | None = None):
        super().__init__(seed)
        # One operator harvesting this provider and another: its first network
        # comes through the same proxy pool with the same templates, on accounts,
        # cards and devices of its own.
        self.operator = operator
        self.total = max(accounts, 200)
        self.sessions_per_account = sessions_per_account
        self.hydra_share = hydra_share
        # The default mix keeps its minimum network sizes (more hydra than the
        # share in small sets); a share asked for explicitly is met exactly.
        self.fit_share = fit_share
        self.viral_templates = [self.rng.getrandbits(64) for _ in range(3)]
        # Commercial residential proxy services: big pools of home addresses that
        # several networks rent at once, and that some ordinary users pass through.
        pool_size = max(400, self.total // 40)
        self.resi_pools = [
            [self.note_ip(self.public_ipv4(), "residential", self.rng.random() < 0.3)
             for _ in range(pool_size)] for _ in range(2)]
        self.mobile_ips: list[str] = []

    # -- the plan ----------------------------------------------------------------

    def network_sizes(self) -> list[int]:
        """Sizes of the planted networks for this scale: a few large, many small."""
        budget = int(self.total * self.hydra_share)
        shares = [0.22, 0.15, 0.11, 0.08, 0.07, 0.06, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03,
                  0.025, 0.025, 0.02, 0.02]
        sizes = [max(int(budget * s), 8) for s in shares]
        # A few tiny rings (below the 20-account bar of the targets).
        sizes += [self.rng.randint(6, 15) for _ in range(3)]
        if self.fit_share:
            sizes = fit_sizes(sizes, max(3, round(self.total * self.hydra_share)))
        return sizes

    def make_network(self, number: int, size: int, camouflage: str) -> Network:
        rng = self.rng
        if camouflage == "low":
            pool = [self.note_ip(self.public_ipv4(), rng.choice(("datacenter", "proxy")), True,
                                 proxy_provider=rng.choice((None, "FastProxyNet", "DCProxies")))
                    for _ in range(max(3, size // 12))]
            payments = [self.new_id("pm_", 12) for _ in range(max(1, size // 25))]
            devices = [self.new_id("fp_", 12) for _ in range(max(1, size // 20))]
            agents = [rng.choice(SCRIPTED_AGENTS)]
        elif camouflage == "medium":
            pool = []
            for _ in range(max(6, size // 3)):
                kind = rng.choice(("datacenter", "proxy", "residential"))
                if kind == "residential":
                    pool.append(rng.choice(rng.choice(self.resi_pools)))
                    continue
                pool.append(self.note_ip(self.public_ipv4(), kind, rng.random() < 0.5,
                                         proxy_provider="RotaProxy" if kind == "proxy" else None))
            payments = [self.new_id("pm_", 12) for _ in range(max(2, size // 6))]
            devices = [self.new_id("fp_", 12) for _ in range(max(2, size // 4))]
            agents = [self.browser_agent() for _ in range(3)] + [rng.choice(SCRIPTED_AGENTS)]
        else:
            # Residential rotating proxies: many addresses, each shared by a few
            # accounts, mostly unknown to the feed or listed as residential.
            provider = rng.choice(self.resi_pools)
            pool = rng.sample(provider, min(len(provider), max(10, size * 2)))
            payments = []  # unique per account
            devices = []  # unique per account
            agents = [self.browser_agent() for _ in range(max(5, size // 4))]
        base_count = {"low": 2, "medium": 3, "high": 5}[camouflage]
        templates = [rng.getrandbits(64) for _ in range(base_count)]
        start = WINDOW_START + timedelta(days=rng.uniform(0, WINDOW_DAYS * 0.4))
        waves = [start + timedelta(days=rng.uniform(0, 20)) for _ in range(max(2, size // 60))]
        return Network(
            network_id=f"N{number:02d}", size=size, camouflage=camouflage, proxies=pool,
            payments=payments, devices=devices, agents=agents, templates=templates,
            keys=[self.new_id("key_", 10) for _ in range(max(1, size // 30))],
            email_domains=[rng.choice(TEMP_MAIL)] if camouflage == "low"
            else [rng.choice(TEMP_MAIL), rng.choice(FREE_MAIL)] if camouflage == "medium"
            else list(FREE_MAIL),
            waves=sorted(waves), shift_start=rng.randint(0, 23),
            focus=rng.choice(("reasoning", "reasoning", "rl_batches", "rewrites")),
            ban_day=rng.uniform(WINDOW_DAYS * 0.5, WINDOW_DAYS * 0.8),
        )

    def make_cohorts(self, kind: str, count: int) -> list[Cohort]:
        rng = self.rng
        cohorts = []
        for _ in range(count):
            if kind == "campus":
                ips = [self.note_ip(self.public_ipv4(), "education", True)
                       for _ in range(rng.randint(1, 3))]
                wave = WINDOW_START + timedelta(days=rng.uniform(5, 40))
                cohorts.append(Cohort(kind, ips, templates=[rng.getrandbits(64)
                                                            for _ in range(3)], wave=wave))
            elif kind == "team":
                ips = [self.note_ip(self.public_ipv4(), "corporate", rng.random() < 0.7)]
                cohorts.append(Cohort(kind, ips, payments=[self.new_id("pm_", 12)],
                                      org=self.new_id("org_", 8)))
            elif kind in ("integrator", "evaluator"):
                ips = [self.note_ip(self.public_ipv4(), "datacenter", rng.random() < 0.9)
                       for _ in range(rng.randint(1, 4))]
                cohorts.append(Cohort(kind, ips, payments=[self.new_id("pm_", 12)],
                                      org=self.new_id("org_", 8),
                                      templates=[rng.getrandbits(64) for _ in range(4)],
                                      keys=[self.new_id("key_", 10) for _ in range(3)]))
            elif kind == "cgnat":
                ips = [self.note_ip(self.ipv6() if rng.random() < 0.3 else self.public_ipv4(),
                                    "mobile", True) for _ in range(rng.randint(20, 60))]
                self.mobile_ips.extend(ips)
                cohorts.append(Cohort(kind, ips))
            elif kind == "vpn":
                ips = [self.note_ip(self.public_ipv4(), "vpn", rng.random() < 0.8,
                                    proxy_provider=rng.choice(("NordVPN", "Mullvad", None)))
                       for _ in range(rng.randint(10, 40))]
                cohorts.append(Cohort(kind, ips))
        return cohorts

    def plan(self) -> list[AccountPlan]:
        rng = self.rng
        plans: list[AccountPlan] = []
        self.networks = []
        for number, size in enumerate(self.network_sizes(), start=1):
            camouflage = ("low", "medium", "high")[(number - 1) % 3]
            network = self.make_network(number, size, camouflage)
            if number == 1 and self.operator is not None:
                network.proxies = [self.note_ip(ip, "proxy", True)
                                   for ip in self.operator.proxies]
                network.templates = list(self.operator.templates)
            self.networks.append(network)
            regrown = int(size * 0.15)
            plans += [AccountPlan("hydra", "hydra", network=network, regrowth=i < regrown)
                      for i in range(size)]
        budget = self.total - len(plans)
        scale = budget / 10_000
        groups: list[tuple[str, int, tuple[int, int]]] = [
            ("campus", max(1, round(4 * scale)), (60, 300)),
            ("team", max(2, round(40 * scale)), (5, 40)),
            ("integrator", max(1, round(10 * scale)), (3, 15)),
            ("evaluator", max(1, round(5 * scale)), (3, 12)),
            ("cgnat", max(1, round(3 * scale)), (300, 900)),
            ("vpn", max(1, round(3 * scale)), (100, 300)),
        ]
        benign: list[AccountPlan] = []
        for kind, count, (low, high) in groups:
            for cohort in self.make_cohorts(kind, count):
                # Small data sets get smaller groups, so regular users stay the majority.
                members = max(3, int(rng.randint(low, high) * min(1.0, budget / 10_000)))
                benign += [AccountPlan("benign", kind, group=cohort) for _ in range(members)]
        benign += [AccountPlan("benign", "viral") for _ in range(max(20, int(budget * 0.03)))]
        benign = benign[: int(budget * 0.6)]
        benign += [AccountPlan("benign", "regular") for _ in range(budget - len(benign))]
        plans += benign
        rng.shuffle(plans)
        return plans

    # -- rows ------------------------------------------------------------------

    def account_row(self, plan: AccountPlan) -> tuple[dict[str, Any], list[str]]:
        """The account's row and the addresses its sessions may use."""
        rng = self.rng
        account_id = self.new_id("u", 10)
        net, group = plan.network, plan.group
        row: dict[str, Any] = {"account_id": account_id, "status": "active", "plan": "free",
                               "country": rng.choice(COUNTRIES)}
        if net is not None:
            wave = rng.choice(net.waves)
            if plan.regrowth:
                created = WINDOW_START + timedelta(days=net.ban_day + rng.uniform(0.5, 6))
            else:
                spread = 0.1 if net.camouflage == "low" else 0.5 if net.camouflage == "medium" \
                    else 3.0
                created = wave + timedelta(days=rng.uniform(0, spread))
            row.update(created_at=created, email_domain=rng.choice(net.email_domains),
                       plan=rng.choice(("api", "pro", "free")) if net.camouflage != "low"
                       else "api",
                       payment_fingerprint=rng.choice(net.payments) if net.payments
                       else self.new_id("pm_", 12),
                       signup_ip=rng.choice(net.proxies))
            if not plan.regrowth and rng.random() < 0.3:
                row["status"] = "banned"
                row["status_changed_at"] = WINDOW_START + timedelta(days=net.ban_day)
            ips = net.proxies
        else:
            created = WINDOW_START - timedelta(days=rng.uniform(0, 400))
            row.update(created_at=created, email_domain=rng.choice(FREE_MAIL),
                       plan=rng.choice(("free", "free", "free", "pro")))
            if rng.random() < 0.6:
                row["payment_fingerprint"] = self.new_id("pm_", 12)
            home = self.note_ip(self.public_ipv4(), "residential", rng.random() < 0.6)
            ips = [home]
            if plan.cohort == "campus" and group is not None and group.wave is not None:
                row["created_at"] = group.wave + timedelta(hours=rng.uniform(0, 72))
                row["email_domain"] = "students.example.edu"
                row["signup_ip"] = rng.choice(group.ips)
                ips = group.ips + [home]
            elif plan.cohort == "team" and group is not None:
                row.update(plan=rng.choice(("team", "enterprise")), org_id=group.org,
                           payment_fingerprint=group.payments[0], email_domain="corp.example")
                ips = group.ips + [home]
            elif plan.cohort in ("integrator", "evaluator") and group is not None:
                row.update(plan="api", org_id=group.org, payment_fingerprint=group.payments[0],
                           email_domain="company.example")
                ips = group.ips
            elif plan.cohort in ("cgnat", "vpn") and group is not None:
                ips = [rng.choice(group.ips) for _ in range(3)] + (
                    [home] if plan.cohort == "vpn" else [])
            elif plan.cohort == "regular" and rng.random() < 0.03:
                # Privacy-minded users behind the same residential proxy services.
                ips = [home] + rng.sample(rng.choice(self.resi_pools), 3)
            if "signup_ip" not in row and rng.random() < 0.7:
                row["signup_ip"] = rng.choice(ips)
            if rng.random() < 0.01:
                row["status"] = "suspended"
                row["status_changed_at"] = row["created_at"] + timedelta(days=rng.uniform(1, 30))
        return row, ips

    def sessions_for(self, plan: AccountPlan, account: dict[str, Any],
                     ips: list[str]) -> Iterator[dict[str, Any]]:
        rng = self.rng
        net, group = plan.network, plan.group
        mean = self.sessions_per_account
        if net is not None:
            count = max(3, int(rng.gauss(mean * 2.2, mean * 0.6)))
        elif plan.cohort in ("integrator", "evaluator"):
            count = max(5, int(rng.gauss(mean * 3, mean)))
        else:
            count = max(1, int(rng.expovariate(1 / (mean * 0.75))))
        start = max(account["created_at"], WINDOW_START)
        end = WINDOW_START + timedelta(days=WINDOW_DAYS)
        if account.get("status") == "banned" and account.get("status_changed_at"):
            end = account["status_changed_at"]
        if end <= start:
            end = start + timedelta(days=1)
        span = (end - start).total_seconds()
        device = self.new_id("fp_", 12)
        agent = self.browser_agent()
        key = None
        if net is not None:
            if net.devices:
                device = rng.choice(net.devices)
            agent = rng.choice(net.agents)
            key = rng.choice(net.keys) if net.camouflage == "low" else self.new_id("key_", 10)
        elif group is not None and group.keys:
            key = rng.choice(group.keys)
            agent = rng.choice(SCRIPTED_AGENTS[:2])
        for _ in range(count):
            row = self._session(plan, account["account_id"], start, span, ips, device, agent,
                                key)
            yield row

    def _session(self, plan: AccountPlan, account_id: str, start: datetime, span: float,
                 ips: list[str], device: str, agent: str, key: str | None) -> dict[str, Any]:
        rng = self.rng
        net, group = plan.network, plan.group
        offset = rng.uniform(0, span)
        began = start + timedelta(seconds=offset)
        category = rng.choices(CATEGORIES, BENIGN_CATEGORY_WEIGHTS)[0]
        reasoning = rng.random() < 0.07
        rewrite = rng.random() < 0.003
        template = rng.getrandbits(64)
        requests = max(1, int(rng.expovariate(1 / 6)))
        ip = rng.choice(ips)
        filler = False
        if net is not None:
            filler = rng.random() < {"low": 0.0, "medium": 0.15, "high": 0.45}[net.camouflage]
            if net.camouflage == "low" or (net.camouflage == "medium" and rng.random() < 0.5):
                # Operator shifts: everything inside an 8-hour window, in step.
                day = began.replace(hour=0, minute=0, second=0, microsecond=0)
                began = day + timedelta(hours=net.shift_start + rng.uniform(0, 8))
                if began < start:
                    began += timedelta(days=1)
            if not filler:
                bits = {"low": 2, "medium": 3, "high": 5}[net.camouflage]
                template = self.near(rng.choice(net.templates), bits)
                if net.focus == "rewrites":
                    category, rewrite = "politics", rng.random() < 0.7
                    reasoning = rng.random() < 0.4
                elif net.focus == "rl_batches":
                    category = rng.choice(("math", "coding", "reasoning"))
                    reasoning = rng.random() < 0.8
                else:
                    category = rng.choice(("math", "reasoning", "science", "coding"))
                    reasoning = rng.random() < 0.93
                requests = max(5, int(rng.gauss(60, 25)))
            if net.camouflage != "low" and self.mobile_ips and rng.random() < 0.1:
                ip = rng.choice(self.mobile_ips)  # a phone on a carrier NAT, shared with strangers
        elif plan.cohort == "campus" and group is not None and rng.random() < 0.5:
            template = self.near(rng.choice(group.templates), 2)
            category, reasoning = "math", rng.random() < 0.6
        elif plan.cohort == "integrator" and group is not None:
            template = self.near(rng.choice(group.templates), 1)
            category = rng.choice(("coding", "business", "translation"))
            requests = max(5, int(rng.gauss(80, 30)))
        elif plan.cohort == "evaluator" and group is not None:
            template = self.near(rng.choice(group.templates), 1)
            category, reasoning = rng.choice(("math", "reasoning")), rng.random() < 0.7
            requests = max(5, int(rng.gauss(50, 20)))
        elif plan.cohort == "viral" and rng.random() < 0.4:
            template = self.near(rng.choice(self.viral_templates), 3)
        input_tokens = requests * rng.randint(60, 600)
        output_tokens = requests * rng.randint(100, 1500 if reasoning else 700)
        duration = timedelta(seconds=requests * rng.uniform(5, 60))
        return self.session_row(account_id, began, began + duration, ip, agent, device, key,
                                requests, input_tokens, output_tokens, template, category,
                                reasoning, rewrite)

    # -- writing ---------------------------------------------------------------

    def account(self, plan: AccountPlan) -> tuple[dict[str, Any], list[str],
                                                  Iterator[dict[str, Any]]]:
        """The account's row, its label (after the id) and its sessions."""
        row, ips = self.account_row(plan)
        net = plan.network
        label = [plan.label, net.network_id if net else "", plan.cohort,
                 net.camouflage if net else ""]
        return row, label, self.sessions_for(plan, row, ips)


def fit_sizes(sizes: list[int], budget: int) -> list[int]:
    """Network sizes cut to add up to budget: the smallest shares go first, the largest
    network takes what is left."""
    sizes = list(sizes)
    tiny = sizes[-3:]
    main = sizes[:-3]
    while main and sum(main) + sum(tiny) > budget:
        if len(main) > 1:
            main.pop()
        elif tiny:
            tiny.pop()
        else:
            break
    fitted = main + tiny
    fitted[0] = max(1, fitted[0] + budget - sum(fitted))
    return fitted


def generate(out: Path, accounts: int | None = None, seed: int = 7, fmt: str = "csv",
             preset: str = "small", randomize: bool = False,
             hydra_share: float | None = None,
             operator_of: Path | None = None) -> dict[str, int]:
    """Write a data set; row counts (accounts, sessions, hydra, networks, ip_intel).

    By default the fixed-level scenario of the module docstring, with a hydra
    share of 0.1 unless one is given; with ``randomize`` the randomized one of
    ``app.synth.randomized`` (its share drawn from the seed, log-uniform in
    [0.005, 0.12], unless one is given). The share must lie in [0.005, 0.3].
    With ``operator_of`` (another provider's CSV export), network N01 is that
    export's N01 operator: its proxy pool and templates, new accounts and cards.
    """
    from app.synth.knobs import MAX_SHARE, MIN_SHARE

    if hydra_share is not None and not MIN_SHARE <= hydra_share <= MAX_SHARE:
        raise ValueError(f"hydra share {hydra_share} is outside [{MIN_SHARE}, {MAX_SHARE}]")
    if operator_of is not None and randomize:
        raise ValueError("--operator-of plants into the fixed-level scenario only")
    chosen = PRESETS[preset]
    total = accounts or chosen.accounts
    if randomize:
        from app.synth.randomized import RandomizedGenerator

        return RandomizedGenerator(total, seed, chosen.sessions_per_account,
                                   hydra_share).write(out, fmt)
    generator = Generator(total, seed, chosen.sessions_per_account,
                          0.1 if hydra_share is None else hydra_share,
                          fit_share=hydra_share is not None,
                          operator=read_operator(operator_of) if operator_of else None)
    return generator.write(out, fmt)
