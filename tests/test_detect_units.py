"""Pure detection functions on small hand-made data (no database)."""

from __future__ import annotations

import ipaddress
import math
import random

import numpy as np
import pytest

from app.addresses import address_facts
from app.detect.coactivity import CoactivityParams, coactive_pairs, poisson_tail, quiet_cap
from app.detect.communities import communities
from app.detect.evidence import Evidence, _read
from app.detect.features import busiest_window_share, typical_rate
from app.detect.lineage import match_networks
from app.detect.project import Projection, ProjectionParams, entity_members, project
from app.detect.run import DetectParams, analyse
from app.detect.templates import bands, template_families
from app.evaluation.metrics import adjusted_rand_index


def flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


# -- SimHash families ---------------------------------------------------------


def test_near_duplicates_join_one_family_and_strangers_do_not() -> None:
    rng = random.Random(1)
    base = rng.getrandbits(64)
    variants = [flip(base, rng.sample(range(64), rng.randint(0, 4))) for _ in range(300)]
    strangers = [rng.getrandbits(64) for _ in range(2000)]
    families = template_families(variants + strangers)
    assert len({families[v] for v in variants}) == 1
    assert len({families[s] for s in strangers}) == len(set(strangers))


def test_families_do_not_depend_on_the_order_fingerprints_arrive_in() -> None:
    # Nine strangers and a pair of variants share only their lowest band: the
    # bucket holds more strangers than it keeps representatives, so what is
    # compared with what must not follow the order of arrival.
    rng = random.Random(5)
    low = rng.getrandbits(21)
    strangers = [(rng.getrandbits(43) << 21) | low for _ in range(9)]
    variant = (rng.getrandbits(43) << 21) | low
    # bits 21-23 and 42: both upper contiguous bands and all three interleaved
    # ones differ, so the pair meets in the lowest band only
    pair = [variant, flip(variant, [21, 22, 23, 42])]
    first = template_families(strangers + pair)
    assert template_families(pair + strangers) == first
    assert template_families(list(reversed(strangers)) + pair[::-1]) == first


def test_a_family_and_strangers_in_one_bucket_stay_apart() -> None:
    rng = random.Random(6)
    low = rng.getrandbits(21)
    base = (rng.getrandbits(43) << 21) | low
    variants = [flip(base, rng.sample(range(21, 64), 3)) for _ in range(40)]
    strangers = [(rng.getrandbits(43) << 21) | low for _ in range(5)]
    families = template_families(strangers + variants + [base])
    assert len({families[v] for v in [*variants, base]}) == 1
    assert families[base] == min([*variants, base])
    assert len({families[s] for s in strangers}) == len(strangers)


def band_keys(fingerprint: int) -> list[tuple[int, int]]:
    return [(number, int(band[0]))
            for number, band in enumerate(bands(np.array([fingerprint], dtype=np.uint64)))]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def test_band_keys_agree_for_identical_bands() -> None:
    a = 0x0123456789ABCDEF
    b = flip(a, [63])  # the last contiguous band differs, the first two do not
    shared = set(band_keys(a)) & set(band_keys(b))
    assert (0, a & ((1 << 21) - 1)) in shared
    assert hamming(a, b) == 1
    assert len(band_keys(a)) == 6


# -- reading ----------------------------------------------------------------------


def test_a_read_numbers_accounts_in_order_and_leaves_out_sessions_of_unseen_ones() -> None:
    facts = [0, None, None, None, None, None, None, None, 2, 2, 10, 1, 0, 0]
    rows = {
        "accounts": [([["a1", *facts, [["1.2.3.4", 2]], [["dev", 2]], [], []],
                       ["a2", *facts, [], [], [], [["curl/8", 1]]]],)],
        # a3 was loaded after the accounts were read: left to the next run
        "account_sessions": [([["a2", ["00000000000000ff"], [7200 + 5, 86400 + 60],
                                ["coding"], 7],
                               ["a3", [], [0], [], 1]],)],
        "address_intel": [([["1.2.3.4", "residential", False, None, 64500, "AS"]],)],
        "reported": [("a1",)],
    }
    evidence = _read(lambda name: rows[name])
    assert evidence.account_ids == ["a1", "a2"]
    assert evidence.ip_uses == [(0, "1.2.3.4", 2)]
    assert evidence.entity_uses["device"] == [(0, "dev", 2)]
    assert evidence.entity_uses["user_agent"] == [(1, "curl/8", 1)]
    assert evidence.ip_intel["1.2.3.4"]["asn"] == 64500
    assert evidence.accounts[0]["reported"] and not evidence.accounts[1]["reported"]
    assert evidence.accounts[0]["status"] == "active"
    assert evidence.templates == {1: [255]}
    assert evidence.starts == {1: [7205, 86460]}
    # the UTC hour of each start: 02:00 and 00:01
    assert evidence.hours[1][2] == 1 and evidence.hours[1][0] == 1 and sum(evidence.hours[1]) == 2
    assert evidence.categories == {1: {"coding": 1}} and evidence.output_tokens == {1: 7}


# -- projection -----------------------------------------------------------------


def small_world() -> Evidence:
    """A ring of 6 accounts on 2 proxies with one payment token, a carrier NAT
    shared with 300 strangers, and 20 loners."""
    ev = Evidence()
    ring = [ev.add_account(f"ring{i}", sessions=20, requests=1000, reasoning=18,
                           payment="pm_ring") for i in range(6)]
    strangers = [ev.add_account(f"mobile{i}", sessions=5, requests=20, reasoning=0)
                 for i in range(300)]
    loners = [ev.add_account(f"loner{i}", sessions=5, requests=25, reasoning=0)
              for i in range(20)]
    for a in ring:  # a rotating pool: every head uses every exit
        for exit_ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
            ev.ip_uses.append((a, exit_ip, 7))
    for a in strangers + ring[:1]:
        ev.ip_uses.append((a, "203.0.113.7", 5))
    for i, a in enumerate(loners):
        ev.ip_uses.append((a, f"192.0.2.{i + 1}", 5))
    ev.ip_intel.update({
        "198.51.100.1": {"network_type": "datacenter", "known": True, "proxy_provider": None},
        "198.51.100.2": {"network_type": "datacenter", "known": True, "proxy_provider": None},
        "203.0.113.7": {"network_type": "mobile", "known": True, "proxy_provider": None},
    })
    base = 0xDEADBEEF12345678
    for a in ring:
        ev.templates[a] = [flip(base, [a % 64]) for _ in range(20)]
    for a in strangers + loners:
        ev.templates[a] = [random.Random(a).getrandbits(64) for _ in range(5)]
    return ev


def edge_weight(projection: Projection, a: int, b: int) -> float:
    lo, hi = min(a, b), max(a, b)
    mask = (projection.sources == lo) & (projection.targets == hi)
    return float(projection.weights[mask].sum())


@pytest.mark.parametrize("address", ["0.0.0.0", "9.8.7.6", "10.20.30.40", "199.250.255.255",
                                     "2001:db8:1:2::1", "::ffff:1.2.3.4"])
def test_address_prefixes_agree_with_the_standard_library(address: str) -> None:
    ip = ipaddress.ip_address(address)
    bits = 24 if ip.version == 4 else 48
    assert address_facts(address) == (
        ip.version, str(ipaddress.ip_network(f"{address}/{bits}", strict=False)))


@pytest.mark.parametrize("address", ["01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.\u0664",
                                     " 1.2.3.4", "1.2.3.4.5"])
def test_addresses_the_standard_library_refuses_are_refused(address: str) -> None:
    with pytest.raises(ValueError):
        address_facts(address)


def test_rare_shared_entities_weigh_more_than_hubs() -> None:
    ev = small_world()
    projection = project(ev, ProjectionParams(hub_size=100, hub_degree=4))
    ring_pair = edge_weight(projection, 0, 2)  # same proxies, payment, template family
    assert ring_pair > 1.0
    # Two strangers on the carrier NAT: a hub, so at most a sampled, tiny link.
    assert edge_weight(projection, 6, 7) == 0.0
    assert projection.stats["hubs"] >= 1
    # Hubs are not cliques: edges stay linear in the accounts.
    assert projection.edge_count < 6 * 5 / 2 + 300 * 4


def test_projection_weights_follow_rarity() -> None:
    ev = Evidence()
    for i in range(12):
        ev.add_account(f"a{i}")
    for a in range(3):
        ev.ip_uses.append((a, "10.0.0.1", 1))  # shared by 3
    for a in range(3, 12):
        ev.ip_uses.append((a, "10.0.0.2", 1))  # shared by 9
    projection = project(ev, ProjectionParams(min_edge_weight=0.0))
    assert edge_weight(projection, 0, 1) == pytest.approx(1.0 / 2 + 0.25 / 11)
    assert edge_weight(projection, 3, 4) == pytest.approx(1.0 / 8 + 0.25 / 11)


# -- co-activity ------------------------------------------------------------------

DAY_S = 86_400


def background(rng: random.Random, count: int, first: int = 0, sessions: int = 10,
               days: int = 30) -> dict[int, list[int]]:
    """Accounts starting sessions at random times over `days` days."""
    return {a: [rng.randrange(days * DAY_S) for _ in range(sessions)]
            for a in range(first, first + count)}


def test_lockstep_accounts_are_linked_and_strangers_are_not() -> None:
    rng = random.Random(3)
    starts = background(rng, 400)
    ring = list(range(400, 406))
    # One scheduler starts every ring account within a minute, 12 times.
    batches = [rng.randrange(30 * DAY_S) for _ in range(12)]
    for a in ring:
        starts[a] = [t + rng.randrange(60) for t in batches]
    co = coactive_pairs(starts, 406)
    pairs = set(zip(co.sources.tolist(), co.targets.tolist(), strict=True))
    ring_pairs = {(a, b) for a in ring for b in ring if a < b}
    assert ring_pairs <= pairs
    assert len(pairs - ring_pairs) <= 1  # chance is bounded at about alpha pairs
    assert co.shared.min() >= 10  # both grids see most of the 12 meetings
    # The evidence windows name the ring's meetings.
    assert sum(1 for members in co.windows.values() if set(ring) <= set(members)) >= 10


def test_weight_grows_with_repetition_and_one_shared_window_means_nothing() -> None:
    rng = random.Random(5)
    starts = background(rng, 300, first=10)
    times = [rng.randrange(30 * DAY_S) // 600 * 600 + 60 for _ in range(8)]
    starts[0], starts[1] = times[:4], times[:4]  # four meetings
    starts[2], starts[3] = times[:8], times[:8]  # eight
    starts[4], starts[5] = times[:1], times[:1]  # one: nothing
    co = coactive_pairs(starts, 310, CoactivityParams(alpha=0.05))
    weight = {(a, b): w for a, b, w in zip(co.sources.tolist(), co.targets.tolist(),
                                           co.weights.tolist(), strict=True)}
    assert (4, 5) not in weight
    assert weight[(2, 3)] > weight[(0, 1)] > 0


def test_busy_windows_are_dropped_so_the_work_stays_linear() -> None:
    rng = random.Random(7)
    # 2,000 accounts all active in the same two busy windows (a rush hour)
    # plus quiet traffic: the busy windows must neither link them nor be expanded.
    starts = background(rng, 2000, sessions=5)
    for a in starts:
        starts[a] += [10 * DAY_S + 5, 11 * DAY_S + 5]
    co = coactive_pairs(starts, 2000)
    assert co.stats["coactivity_cap_0"] < 2000
    links = 2000 * 7
    assert co.stats["coactivity_candidates"] <= 2 * CoactivityParams().pair_budget * links
    assert co.stats["coactivity_pairs"] <= 1


def test_quiet_cap_keeps_expansion_within_budget() -> None:
    populations = np.array([2] * 1000 + [5] * 100 + [300] * 3)
    cap = quiet_cap(populations, pair_budget=1.0, hub_size=200)
    assert cap == 5  # 1000 + 1000 pairs fit in 1.0 * 3,400 links; 300-account windows do not
    assert quiet_cap(populations, pair_budget=0.5, hub_size=200) == 2
    assert quiet_cap(populations, pair_budget=0.1, hub_size=200) == 1  # nothing is quiet
    assert quiet_cap(np.array([2, 2, 3]), pair_budget=4.0, hub_size=2) == 2


def test_poisson_tail_matches_the_closed_form() -> None:
    mean = np.array([0.1, 0.5, 2.0])
    count = np.array([2, 3, 1])
    expected = [1 - math.exp(-m) * sum(m ** k / math.factorial(k) for k in range(c))
                for m, c in zip(mean.tolist(), count.tolist(), strict=True)]
    assert poisson_tail(mean, count) == pytest.approx(expected, rel=1e-9)


def test_projection_links_a_lockstep_ring_only_with_coactivity_enabled() -> None:
    rng = random.Random(11)
    ev = Evidence()
    for i in range(206):
        ev.add_account(f"a{i}")
    ev.starts = background(rng, 200)
    batches = [rng.randrange(30 * DAY_S) for _ in range(10)]
    for a in range(200, 206):
        ev.starts[a] = [t + rng.randrange(30) for t in batches]
    on = project(ev)
    off = project(ev, ProjectionParams(coactivity=CoactivityParams(enabled=False)))
    assert edge_weight(on, 200, 205) > 0.5
    assert edge_weight(off, 200, 205) == 0.0
    assert "coactivity" in on.entities


# -- communities ----------------------------------------------------------------


def two_cliques() -> Projection:
    src, dst = [], []
    for group in (range(0, 5), range(5, 10)):
        for a in group:
            for b in group:
                if a < b:
                    src.append(a)
                    dst.append(b)
    src.append(4)
    dst.append(5)  # one weak bridge
    weights = [1.0] * (len(src) - 1) + [0.1]
    return Projection(12, np.array(src), np.array(dst), np.array(weights))


@pytest.mark.parametrize("algorithm", ["leiden", "louvain"])
def test_communities_split_two_cliques_deterministically(algorithm: str) -> None:
    first = communities(two_cliques(), algorithm)
    again = communities(two_cliques(), algorithm)
    assert first == again == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        communities(two_cliques(), "magic")


# -- scoring ----------------------------------------------------------------------


def test_the_ring_is_flagged_with_reasons_and_strangers_are_not() -> None:
    ev = small_world()
    analysis = analyse(ev, DetectParams())
    flagged = [c for c in analysis.scored if c.flagged]
    assert len(flagged) == 1
    ring = flagged[0]
    assert {ev.account_ids[m] for m in ring.members} >= {f"ring{i}" for i in range(6)}
    names = {f.name for f in ring.features if f.contribution > 0}
    assert {"extraction_requests", "payment_reuse", "template_reuse"} <= names
    assert any("step-by-step reasoning" in r for r in ring.top_reasons())
    flagged_accounts = {ev.account_ids[m] for m, (_s, f) in analysis.per_account.items() if f}
    assert flagged_accounts == {f"ring{i}" for i in range(6)}


def test_a_declared_organisation_is_not_flagged_for_teamwork() -> None:
    ev = Evidence()
    team = [ev.add_account(f"t{i}", sessions=30, requests=3000, reasoning=25, payment="pm_co",
                           org_id="org_co", created=86400 * i * 30) for i in range(6)]
    for a in team:
        ev.ip_uses.append((a, "198.51.100.9", 30))
    ev.ip_intel["198.51.100.9"] = {"network_type": "datacenter", "known": True,
                                   "proxy_provider": None}
    for i in range(30):
        ev.add_account(f"x{i}", sessions=4, requests=20)
    analysis = analyse(ev, DetectParams())
    assert analysis.scored, "the team should still be a scored group"
    assert not any(c.flagged for c in analysis.scored)
    reasons = [f.reason for c in analysis.scored for f in c.features
               if f.name == "declared_organisation"]
    assert reasons and "declared organisation" in reasons[0]


def test_baselines_resist_a_minority() -> None:
    sessions = np.array([10.0] * 90 + [10.0] * 10)
    reasoning = np.array([1.0] * 90 + [10.0] * 10)
    assert typical_rate(reasoning, sessions) == pytest.approx(0.1)
    assert busiest_window_share([1] * 24) == pytest.approx(8 / 24)
    assert busiest_window_share([0] * 20 + [5] * 4) == 1.0


# -- lineage and metrics ------------------------------------------------------------


def test_networks_keep_their_ids_across_runs() -> None:
    previous = {"HN-00001": {"a", "b", "c", "d"}, "HN-00002": {"x", "y", "z"}}
    current = [{"a", "b", "c", "e", "f"}, {"p", "q", "r"}, {"x", "y"}]
    result = match_networks(current, previous)
    assert result[0].previous_id == "HN-00001"
    assert result[0].joined == ["e", "f"] and result[0].left == ["d"]
    assert result[1].previous_id is None
    assert result[2].previous_id == "HN-00002"


def test_each_previous_network_continues_once() -> None:
    previous = {"HN-1": {"a", "b", "c", "d"}}
    result = match_networks([{"a", "b"}, {"c", "d"}], previous)
    assert [r.previous_id for r in result].count("HN-1") == 1


def test_adjusted_rand_index() -> None:
    assert adjusted_rand_index(list("aabb"), list("xxyy")) == 1.0
    assert adjusted_rand_index(list("aabb"), list("xyxy")) < 0


def test_signup_bursts_from_one_prefix_link_accounts() -> None:
    ev = Evidence()
    burst = [ev.add_account(f"b{i}", created=7200 + 60 * i, signup_ip=f"198.51.100.{i + 1}")
             for i in range(4)]
    ev.add_account("later", created=7200 + 86_400, signup_ip="198.51.100.99")
    projection = project(ev, ProjectionParams(min_edge_weight=0.0))
    assert sorted(projection.entities["signup_burst"]["2|198.51.100.0/24"]) == burst
    assert edge_weight(projection, burst[0], burst[1]) > edge_weight(projection, burst[0], 4)



def test_template_families_shared_by_many_heads_still_link_them() -> None:
    # 200 heads, each sending two of a network's four task templates and
    # sharing nothing else: each family is shared by a hundred heads, so a
    # pair's weight from the two it shares stays under the general floor.
    ev = Evidence()
    heads = [ev.add_account(f"head{i}", sessions=12) for i in range(200)]
    others = [ev.add_account(f"user{i}", sessions=12) for i in range(100)]
    families = [random.Random(f).getrandbits(64) for f in range(4)]
    for a in heads:
        ev.templates[a] = [families[(a + k) % 4] for k in range(2) for _ in range(6)]
    for a in others:  # the same volume of prompts, each its own
        ev.templates[a] = [random.Random(1_000 + a * 16 + k).getrandbits(64) for k in range(12)]
    params = ProjectionParams(coactivity=CoactivityParams(enabled=False))
    projection = project(ev, params)
    weight = edge_weight(projection, heads[0], heads[4])
    assert weight == pytest.approx(2 * 1.5 / 99)
    assert params.min_template_weight <= weight < params.min_edge_weight
    assert edge_weight(projection, heads[0], heads[1]) == 0.0  # one family: too little
    linked = set(projection.sources.tolist()) | set(projection.targets.tolist())
    assert set(heads) <= linked and not linked & set(others)
    # With the general floor alone they would have no link at all.
    strict = project(ev, ProjectionParams(min_template_weight=params.min_edge_weight,
                                          coactivity=CoactivityParams(enabled=False)))
    assert strict.edge_count == 0


def test_a_family_two_accounts_used_once_each_links_them() -> None:
    # Heads that send mostly one-off reworded tasks share each family with one
    # other head, one session each: that is a shared family.
    ev = Evidence()
    a, b, c = (ev.add_account(name, sessions=1) for name in ("a", "b", "c"))
    fp = random.Random(5).getrandbits(64)
    ev.templates[a] = [fp]
    ev.templates[b] = [fp ^ 0b101]  # a near-duplicate: the same family
    ev.templates[c] = [random.Random(6).getrandbits(64)]
    shared, _families, _users = entity_members(ev, ProjectionParams())
    assert list(shared["template"].values()) == [[a, b]]
