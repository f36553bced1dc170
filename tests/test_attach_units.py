"""The pure parts of incremental detection: a run's snapshot of its population,
a network's kept likeness, and attaching new accounts to known networks."""

from __future__ import annotations

import random

import numpy as np

from app.detect.attach import Known, Neighbourhood, _label_networks, attach
from app.detect.communities import extend_communities
from app.detect.evidence import Evidence, combine
from app.detect.project import Projection, entity_weight, project
from app.detect.run import DetectParams, analyse
from app.detect.score import Likeness, ScoringContext

DAY = 86_400
RING_EXITS = ("198.51.100.1", "198.51.100.2", "198.51.100.3")


def flip(value: int, bit: int) -> int:
    return value ^ (1 << bit)


def ring_head(ev: Evidence, name: str, created: int, card: str = "pm_ring") -> int:
    a = ev.add_account(name, sessions=20, requests=1000, reasoning=18, payment=card,
                       created=created)
    for exit_ip in RING_EXITS:
        ev.ip_uses.append((a, exit_ip, 7))
    ev.templates[a] = [flip(0xDEADBEEF12345678, (a + i) % 64) for i in range(20)]
    ev.categories[a] = {"math": 12, "coding": 8}
    ev.output_tokens[a] = 40_000
    ev.starts[a] = [created + DAY + i * 3600 for i in range(20)]
    return a


def ordinary(ev: Evidence, name: str, i: int, created: int) -> int:
    a = ev.add_account(name, sessions=5, requests=20, reasoning=0, created=created)
    ev.ip_uses.append((a, f"192.0.2.{i % 250 + 1}" if i < 250 else f"192.0.3.{i - 249}", 5))
    ev.templates[a] = [random.Random(a).getrandbits(64) for _ in range(5)]
    ev.categories[a] = {"writing": 3, "chat": 2}
    ev.output_tokens[a] = 1_500
    ev.starts[a] = [created + DAY + i * 7200 for i in range(5)]
    return a


def world() -> Evidence:
    """A ring of 8 heads on 3 proxy exits and one card among 300 ordinary accounts."""
    ev = Evidence()
    for i in range(8):
        ring_head(ev, f"ring{i}", created=100 * DAY + i * 3600)
    for i in range(300):
        ordinary(ev, f"user{i}", i, created=i * DAY // 3)
    for ip in RING_EXITS:
        ev.ip_intel[ip] = {"network_type": "datacenter", "known": True, "proxy_provider": None}
    return ev


def test_a_snapshot_measures_accounts_as_the_run_did() -> None:
    ev = world()
    analysis = analyse(ev, DetectParams())
    projection = project(ev)
    full = ScoringContext.build(ev, projection)
    snapshot = full.snapshot()
    # The same accounts measured against the snapshot alone.
    again = ScoringContext.from_snapshot(ev, projection, snapshot, {})
    assert np.allclose(again.ref.own_intent, full.ref.own_intent, atol=0.01)
    for kind in ("payment", "device", "api_key", "family"):
        for n in (3, 8, 40):
            assert again.ref.expected_shared(kind, n) == full.ref.expected_shared(kind, n)
    assert again.ref.signup_span == full.ref.signup_span
    assert again.threshold == snapshot["threshold"]
    assert analysis.snapshot["size"] == ev.size


def test_likeness_round_trips_and_tells_heads_from_strangers() -> None:
    ev = world()
    ctx = ScoringContext.build(ev, project(ev))
    body = list(range(8))
    likeness = Likeness.of(body, ctx)
    assert likeness is not None and set(likeness.subjects) == {"math", "coding"}
    kept = Likeness.from_dict(likeness.as_dict())
    assert kept == likeness
    pool = set(RING_EXITS)
    assert kept.holds(3, ctx, tie=1.0, pool=pool), "a head is like the body"
    assert not kept.holds(20, ctx, tie=1.0, pool=pool), "an ordinary account is not"
    assert Likeness.of([0, 1, 2], ctx) is None, "too few to say"


def test_new_heads_join_their_network_and_a_new_benign_account_joins_nothing() -> None:
    ev = world()
    analysis = analyse(ev, DetectParams())
    [ring] = [c for c in analysis.scored if c.flagged]
    assert sorted(ring.members) == list(range(8))
    later = Evidence()
    head = ring_head(later, "new-head", created=200 * DAY)
    on_card = ring_head(later, "card-head", created=200 * DAY)
    benign = ordinary(later, "new-user", 7, created=200 * DAY)
    local = combine(ev, later)
    shift = ev.size
    network = Known("HN-00001", "run-1", True, ring.score, sorted(ring.members), 8, False,
                    analysis.likeness[ring.members[0]])
    groups = {m: "HN-00001" for m in ring.members}
    others = [g for g in analysis.groups if not set(g) & set(ring.members)]
    hood = Neighbourhood(local, [head + shift, on_card + shift, benign + shift],
                         {"HN-00001": network})
    for i, group in enumerate(others):
        hood.networks[f"HN-9{i:04d}"] = Known(f"HN-9{i:04d}", "run-1", False, 0.01, group,
                                              len(group), False)
        groups.update({m: f"HN-9{i:04d}" for m in group})
    hood.member_facts = {m: (analysis.per_account[m][0], analysis.per_account[m][1], 1.0)
                         for m in groups}
    increment = attach(hood, analysis.snapshot)
    attached = {j.account for j in increment.attached.get("HN-00001", [])}
    assert attached == {head + shift, on_card + shift}
    assert all(j.flagged and 0 < j.score <= ring.score for j in increment.attached["HN-00001"])
    everywhere = {j.account for joined in increment.attached.values() for j in joined}
    assert benign + shift not in everywhere
    assert not increment.new_groups


def test_a_heavy_newcomer_on_a_rings_exits_joins_it_only_asking_its_subjects() -> None:
    """Two heavy newcomers on the ring's exits without its card or templates:
    the one asking about the ring's subjects joins it on his own profile; the
    one asking about his own does not fit its likeness and joins nothing."""
    ev = world()
    analysis = analyse(ev, DetectParams())
    [ring] = [c for c in analysis.scored if c.flagged]
    later = Evidence()
    alike = ring_head(later, "alike", created=200 * DAY, card="pm_alike")
    stranger = ring_head(later, "stranger", created=200 * DAY, card="pm_stranger")
    later.categories[stranger] = {"writing": 12, "chat": 8}
    rng = random.Random(5)
    for a in (alike, stranger):
        later.templates[a] = [rng.getrandbits(64) for _ in range(20)]
        later.accounts[a].update(requests=3_000, reasoning=20)
        later.output_tokens[a] = 600_000
    local = combine(ev, later)
    shift = ev.size
    network = Known("HN-00001", "run-1", True, ring.score, sorted(ring.members), 8, False,
                    analysis.likeness[ring.members[0]])
    hood = Neighbourhood(local, [alike + shift, stranger + shift], {"HN-00001": network})
    hood.member_facts = {m: (analysis.per_account[m][0], analysis.per_account[m][1], 1.0)
                         for m in ring.members}
    increment = attach(hood, analysis.snapshot)
    everywhere = {j.account for joined in increment.attached.values() for j in joined}
    assert everywhere == {alike + shift}


def test_a_network_read_whole_decides_again_every_member_it_did_not_flag() -> None:
    """Two ring members the parent run did not flag (too little to show then):
    one changed. Read whole, the network gates both on the whole group, as a
    full run over the same data would; not read whole, only the changed one is
    judged."""
    ev = world()
    analysis = analyse(ev, DetectParams())
    [ring] = [c for c in analysis.scored if c.flagged]
    members = sorted(ring.members)
    quiet, active = members[-2], members[-1]

    def hood(whole: bool) -> Neighbourhood:
        network = Known("HN-00001", "run-1", True, ring.score, members, len(members), whole,
                        analysis.likeness[members[0]])
        h = Neighbourhood(ev, [active], {"HN-00001": network})
        h.member_facts = {m: (analysis.per_account[m][0],
                              analysis.per_account[m][1] and m not in (quiet, active), 1.0)
                          for m in members}
        return h

    whole = attach(hood(True), analysis.snapshot)
    assert {j.account for j in whole.regated["HN-00001"]} == {quiet, active}
    assert all(j.flagged for j in whole.regated["HN-00001"])
    assert not whole.attached
    partial = attach(hood(False), analysis.snapshot)
    assert {j.account for j in partial.regated.get("HN-00001", [])} <= {active}


def test_new_accounts_alike_each_other_gather_into_a_new_network() -> None:
    ev = world()
    analysis = analyse(ev, DetectParams())
    later = Evidence()
    fresh = [ring_head(later, f"fresh{i}", created=300 * DAY + i * 600, card="pm_fresh")
             for i in range(6)]
    for a in fresh:  # their own exits and prompts, not the old ring's
        later.ip_uses[:] = [(x, ip, n) for x, ip, n in later.ip_uses if x != a]
        later.ip_uses.extend((a, f"203.0.113.{k}", 7) for k in (10, 11))
        later.templates[a] = [flip(0x0123456789ABCDEF, (a + i) % 64) for i in range(20)]
    local = combine(ev, later)
    shift = ev.size
    hood = Neighbourhood(local, [a + shift for a in fresh])
    increment = attach(hood, analysis.snapshot)
    [group] = increment.new_groups
    assert sorted(group.community.members) == [a + shift for a in fresh]
    assert group.community.flagged and all(j.flagged for j in group.members)
    assert group.likeness is not None


def test_only_free_accounts_move_and_labels_name_their_networks() -> None:
    edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (6, 3), (6, 4), (7, 8), (8, 9),
             (7, 9)]
    projection = Projection(10, np.array([a for a, _ in edges]), np.array([b for _, b in edges]),
                            np.ones(len(edges)))
    initial = [0, 0, 0, 1, 1, 1, 2, 3, 4, 5]
    fixed = [True] * 6 + [False] * 4
    labels = extend_communities(projection, initial, fixed)
    assert labels[:3] == [labels[0]] * 3 and labels[3:6] == [labels[3]] * 3
    assert labels[6] == labels[3], "the new account joins the clique it is tied to"
    assert labels[7] == labels[8] == labels[9] != labels[0]
    network_of = {0: "A", 1: "A", 2: "A", 3: "B", 4: "B", 5: "B"}
    named = _label_networks(labels, fixed, network_of, [6, 7, 8, 9])
    assert named[labels[6]] == "B" and labels[7] not in named
    # Every member of a network changed (none fixed): the label is still theirs.
    moving = _label_networks([9, 9, 9, 4], [False] * 4, {0: "A", 1: "A", 2: "A"}, [0, 1, 2, 3])
    assert moving == {9: "A"}


def test_population_sizes_set_weights_and_hubs() -> None:
    ev = Evidence()
    a, b = ev.add_account("a"), ev.add_account("b")
    ev.ip_uses += [(a, "203.0.113.5", 3), (b, "203.0.113.5", 3)]
    prefix = "203.0.113.0/24"
    alone = project(ev)
    crowded = project(ev, sizes={"ip": {"203.0.113.5": 11}, "prefix": {prefix: 101}})
    hub = project(ev, sizes={"ip": {"203.0.113.5": 5_000}, "prefix": {prefix: 5_000}})
    # The address and its /24, each as if only these two used it ...
    assert alone.weights.tolist() == [entity_weight("ip", 2) + entity_weight("prefix", 2)]
    # ... or as the population's users say: 1/10 + 0.25/100.
    assert crowded.weights.tolist() == [entity_weight("ip", 11) + entity_weight("prefix", 101)]
    assert crowded.weights[0] == 0.1 + 0.0025
    assert hub.edge_count == 0, "hubs link a few pairs at a weight under the floor"
    assert entity_weight("ip", 11, {"network_type": "proxy"}) > entity_weight("ip", 11)
