"""Attach new accounts to known networks, or gather them into new ones: the pure
part of an incremental run.

Between full runs each batch that arrives is measured against what the
latest run found. The accounts a load created or changed since then are seen
with their neighbourhood (see app.detect.neighbourhood): the networks they
or their neighbours belong to, and the accounts they share an entity with,
known only by those links, so that the share of their link weight going to
a network is the share a full run would see. Entity weights and hubs follow
the whole population (`Neighbourhood.sizes`), not the neighbourhood.

Leiden's optimiser then moves only the new and changed accounts, everyone
else fixed where the run put them: each joins the community that suits it
best, or gathers with other new accounts into a group of their own. One that
joins a suspected network is attached when it passes the member rules of a
full run, measured by the parent run's population figures and chance
threshold: on the whole group (app.detect.score.gate_members) when the
network was read whole, otherwise against the members at hand and the
network's kept likeness (`_judge_candidates`). A group of new accounts alone
is scored like any community and becomes a new network when it is flagged;
an unflagged network read whole is scored again and becomes suspected when
it now scores as one. An incremental run never unflags and never splits a
group: the next full run looks at everything again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.detect.communities import extend_communities
from app.detect.evidence import Evidence
from app.detect.features import MARK_KINDS
from app.detect.project import Projection, ProjectionParams, project
from app.detect.score import (
    MIN_TIE_TO_MARKED,
    CommunityScore,
    Likeness,
    ScoreParams,
    ScoringContext,
    gate_members,
    member_strength,
    score_community,
    ties_toward,
)


@dataclass
class Known:
    """A network of the parent run as the neighbourhood holds it."""

    network_id: str
    run_id: str  # the run that wrote the snapshot (its chain may be longer)
    flagged: bool
    score: float
    members: list[int]  # local indices: every member when `whole`
    size: int = 0  # members in the run
    whole: bool = True  # every member's evidence is at hand
    likeness: dict[str, Any] | None = None  # a suspected network's (Likeness.as_dict)
    first_ban: float | None = None  # when the first of its members was banned


@dataclass
class Neighbourhood:
    """What an incremental run reads: the accounts at hand, numbered locally."""

    evidence: Evidence
    # the accounts new or changed since the parent run (local indices)
    changed: list[int]
    networks: dict[str, Known] = field(default_factory=dict)
    # local index -> (score, flagged, strength) of its membership in the parent
    member_facts: dict[int, tuple[float, bool, float]] = field(default_factory=dict)
    # kind -> entity key -> accounts behind it in the whole population
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)

    def network_of(self) -> dict[int, str]:
        return {m: known.network_id for known in self.networks.values() for m in known.members}


@dataclass
class Joined:
    """An account an incremental run put in a network."""

    account: int
    score: float
    flagged: bool
    strength: float


@dataclass
class NewGroup:
    """A group of new accounts only, scored like a community."""

    community: CommunityScore
    members: list[Joined]
    likeness: dict[str, Any] | None = None  # Likeness.as_dict of its flagged members


@dataclass
class Increment:
    """What an incremental run changes on top of its parent."""

    projection: Projection
    # network id -> the accounts attached to it (flagged with it)
    attached: dict[str, list[Joined]] = field(default_factory=dict)
    # network id -> members that moved from it to a network they were attached to
    left: dict[str, list[int]] = field(default_factory=dict)
    new_groups: list[NewGroup] = field(default_factory=list)
    # network id -> its score in this neighbourhood with its new members
    rescored: dict[str, CommunityScore] = field(default_factory=dict)
    # unflagged networks whose changed members now make them score as networks:
    # network id -> the group's score and every member's flag
    promoted: dict[str, NewGroup] = field(default_factory=dict)
    # network id -> members of a flagged network flagged now (they changed)
    regated: dict[str, list[Joined]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class AttachParams:
    resolution: float = 1.0
    seed: int = 42
    projection: ProjectionParams = field(default_factory=ProjectionParams)
    scoring: ScoreParams = field(default_factory=ScoreParams)


def attach(hood: Neighbourhood, snapshot: dict[str, Any],
           params: AttachParams | None = None) -> Increment:
    """Where the new and changed accounts of `hood` belong (see the module
    docstring), scored as the run whose `snapshot` (ScoringContext.snapshot)
    it builds on would score them."""
    params = params or AttachParams()
    evidence = hood.evidence
    # Co-activity is tested against the whole population's windows: a
    # neighbourhood cannot say what chance gives there.
    local = replace(params.projection, coactivity=replace(params.projection.coactivity,
                                                          enabled=False))
    # Links among neighbours known only by what they share with the accounts
    # at hand are left out; those of networks read whole are kept.
    focus = np.zeros(evidence.size, dtype=bool)
    focus[hood.changed] = True
    for k in hood.networks.values():
        if k.whole:
            focus[k.members] = True
    projection = project(evidence, local, hood.sizes, focus)
    increment = Increment(projection)
    network_of = hood.network_of()
    known = hood.networks
    labels = {network_id: i for i, network_id in enumerate(sorted(known))}
    in_flagged = {m for k in known.values() if k.flagged for m in k.members}
    free = [m for m in hood.changed if m not in in_flagged]
    free_set = set(free)
    initial, fixed = [], []
    next_label = len(labels)
    for m in range(evidence.size):
        if m in network_of:
            initial.append(labels[network_of[m]])
        else:
            initial.append(next_label)
            next_label += 1
        fixed.append(m not in free_set)
    moved = extend_communities(projection, initial, fixed, params.resolution, params.seed)
    label_network = _label_networks(moved, fixed, network_of, free)
    candidates: dict[str, list[int]] = defaultdict(list)
    gathered: dict[int, list[int]] = defaultdict(list)
    joining: dict[str, list[int]] = defaultdict(list)
    for m in free:
        target = label_network.get(moved[m])
        if target is None:
            gathered[moved[m]].append(m)
        elif network_of.get(m) == target:
            continue  # stays where it was (scored again with its network if read whole)
        elif known[target].flagged:
            candidates[target].append(m)
        else:
            joining[target].append(m)
    # Changed members of a flagged network that it did not flag yet: decided
    # again; every such member of one read whole (gated on the whole group as
    # a full run gates it: one that did not change may pass now that others
    # did, as in a full run over the same data).
    changed = set(hood.changed)
    for network_id, k in known.items():
        if k.flagged:
            undecided = [m for m in k.members
                         if (k.whole or m in changed)
                         and not hood.member_facts.get(m, (0.0, False, 0.0))[1]]
            candidates[network_id].extend(undecided)
    ctx = ScoringContext.from_snapshot(evidence, projection, snapshot, hood.sizes,
                                       params.scoring)
    min_size = ctx.params.min_size
    leaving = {m for coming in candidates.values() for m in coming}
    groups: list[list[int]] = []
    scored: list[CommunityScore] = []
    owners: list[tuple[str, str | None]] = []
    # Suspected networks are what their run said they are: each candidate is
    # judged by the member rules against the members at hand and the
    # network's kept likeness (app.detect.score.Likeness).
    decided_known = _judge_candidates(
        hood, ctx, projection,
        {n: c for n, c in candidates.items() if not known[n].whole})
    # A suspected network read whole (members it did not flag changed): its
    # candidates are gated as a full run gates them, on the whole group.
    for network_id, coming in sorted(candidates.items()):
        if not coming or not known[network_id].whole:
            continue
        members = sorted(set(known[network_id].members) | set(coming))
        community = score_community(members, ctx)
        community.flagged, community.score = True, known[network_id].score
        groups.append(members)
        scored.append(community)
        owners.append(("known", network_id))
    # Unflagged networks read whole (their members changed): scored again (a
    # ring the history was too short to show may show now).
    for network_id, k in sorted(known.items()):
        if k.flagged or not k.whole:
            continue
        members = sorted((set(k.members) - leaving) | set(joining[network_id]))
        if len(members) >= min_size:
            groups.append(members)
            scored.append(score_community(members, ctx))
            owners.append(("promote", network_id))
    for _label, members in sorted(gathered.items()):
        if len(members) >= min_size:
            groups.append(sorted(members))
            scored.append(score_community(sorted(members), ctx))
            owners.append(("new", None))
    strength = member_strength(projection, groups)
    fixed_facts = {m: (s, f) for m, (s, f, _strength) in hood.member_facts.items()
                   if m not in leaving}
    for (what, _network_id), members in zip(owners, groups, strict=True):
        if what == "promote":
            # A network that scores as one now: every member is decided anew.
            for m in members:
                fixed_facts.pop(m, None)
    per_account = gate_members(ctx, scored, strength, fixed_facts)
    for what, owner in owners:
        if what == "known" and owner is not None:
            decided = [Joined(m, *per_account[m], strength.get(m, 0.0))
                       for m in candidates[owner] if per_account[m][1]]
            if decided:
                decided_known[owner] = decided
    for network_id, decided in sorted(decided_known.items()):
        _join(increment, network_id,
              [j for j in decided if network_of.get(j.account) != network_id], network_of)
        again = [j for j in decided if network_of.get(j.account) == network_id]
        if again:
            increment.regated[network_id] = again
    for community, (what, owner) in zip(scored, owners, strict=True):
        if community.flagged and what != "known":
            group = NewGroup(community, [Joined(m, *per_account[m], strength.get(m, 0.0))
                                         for m in community.members])
            likeness = Likeness.of([j.account for j in group.members if j.flagged], ctx,
                                   [j.account for j in group.members])
            group.likeness = likeness.as_dict() if likeness is not None else None
            if what == "promote":
                assert owner is not None
                increment.promoted[owner] = group
                came = set(joining[owner])
                _join(increment, owner, [j for j in group.members if j.account in came],
                      network_of)
            else:
                increment.new_groups.append(group)
    increment.stats = {
        "changed": len(hood.changed), "free": len(free), "neighbourhood": evidence.size,
        "edges": projection.edge_count,
        "candidates": sum(len(v) for v in candidates.values()),
        "joined_known": sum(len(v) for v in decided_known.values()),
        "attached": sum(len(v) for v in increment.attached.values()),
        "regated": sum(len(v) for v in increment.regated.values()),
        "rescored_unflagged": sum(1 for what, _n in owners if what == "promote"),
        "promoted": len(increment.promoted),
        "gathered_groups": sum(1 for g in gathered.values() if len(g) >= min_size),
        "new_networks": len(increment.new_groups),
    }
    return increment


def _join(increment: Increment, network_id: str, joined: list[Joined],
          network_of: dict[int, str]) -> None:
    """Record accounts joining a network, and leaving the one they were in."""
    if not joined:
        return
    increment.attached[network_id] = joined
    for j in joined:
        previous = network_of.get(j.account)
        if previous is not None:
            increment.left.setdefault(previous, []).append(j.account)


def _label_networks(labels: list[int], fixed: list[bool], network_of: dict[int, str],
                    free: list[int]) -> dict[int, str]:
    """Which known network each final label is: the one its fixed members belong
    to; for a label of moving accounts only (every member of a network
    changed), the network most of them were in, if at least half were."""
    found: dict[int, str] = {}
    for m, label in enumerate(labels):
        if fixed[m] and m in network_of:
            found[label] = network_of[m]
    came_from: dict[int, Counter[str | None]] = defaultdict(Counter)
    for m in free:
        if labels[m] not in found:
            came_from[labels[m]][network_of.get(m)] += 1
    for label, origins in came_from.items():
        network_id, count = origins.most_common(1)[0]
        if network_id is not None and count >= 0.5 * sum(origins.values()):
            found[label] = network_id
    return found


def _judge_candidates(hood: Neighbourhood, ctx: ScoringContext, projection: Projection,
                      candidates: dict[str, list[int]]) -> dict[str, list[Joined]]:
    """The candidates of each suspected network that join it, flagged: the
    member rules of a full run (app.detect.score.gate_members) against the
    members at hand (every member an entity of the candidate's links to) and
    the network's kept likeness, without reading the network whole.

    A candidate is flagged with the network when at least a quarter of its link
    weight goes to the network's members and to the other candidates joining
    it, and (1) a card, device, key or template family it uses is the
    network's own (used by two or more of them, for at least half of its
    users in the whole population) and used by a member the run flagged; or
    (2) its own extraction profile is at the mark, a third of its link
    weight goes to flagged members and it fits the network's likeness where
    one is kept (Likeness.fits_heavy); or
    (3) it has that third and holds to its
    likeness (Likeness.holds, which asks for a sign-up while the network
    signed up or weighs the day of it; the pool being the addresses flagged
    members used)."""
    facts = hood.member_facts
    flagged_in: dict[str, set[int]] = {}
    for network_id, k in hood.networks.items():
        flagged_in[network_id] = {m for m in k.members if facts.get(m, (0.0, False, 0.0))[1]}
    groups = [sorted(set(hood.networks[n].members) | set(c)) for n, c in sorted(candidates.items())
              if c and hood.networks[n].flagged]
    owners = [n for n, c in sorted(candidates.items()) if c and hood.networks[n].flagged]
    strength = member_strength(projection, groups)
    marked = np.zeros(projection.size, dtype=bool)
    group_of = np.full(projection.size, -1, dtype=np.int64)
    for g, network_id in enumerate(owners):
        group_of[groups[g]] = g
        marked[sorted(flagged_in[network_id])] = True
    ties = ties_toward(projection, group_of, marked)
    users = ctx.ref.users
    kinds = tuple(MARK_KINDS.values())
    found: dict[str, list[Joined]] = {}
    for g, network_id in enumerate(owners):
        known = hood.networks[network_id]
        inside = set(groups[g])
        body = flagged_in[network_id]
        likeness = Likeness.from_dict(known.likeness) if known.likeness else None
        joined = []
        for m in sorted(set(candidates[network_id])):
            s = strength.get(m, 0.0)
            if s < ctx.params.min_member_strength:
                continue
            tie = ties.get(m, 0.0)
            own = False
            for kind in kinds:
                for key in ctx.ref.keys_of.get(kind, {}).get(m, ()):
                    sharing = [a for a in _users_of(projection, kind, key) if a in inside]
                    if len(sharing) >= 2 and len(sharing) >= 0.5 * users[kind][key] and \
                            body.intersection(sharing):
                        own = True
            pool = {a for a in ctx.addresses.get(m, ())
                    if body.intersection(_users_of(projection, "ip", a))} \
                if likeness is not None and tie >= MIN_TIE_TO_MARKED else set()
            # Its own profile at the mark, and it fits the network's likeness
            # where one is kept (as gate_members asks of members flagged on
            # their profile).
            profile = ctx.ref.own_intent[m] >= ctx.params.own_intent and \
                tie >= MIN_TIE_TO_MARKED and \
                (likeness is None or likeness.fits_heavy(m, ctx, pool))
            alike = False
            if not own and not profile and likeness is not None and tie >= MIN_TIE_TO_MARKED:
                alike = likeness.holds(m, ctx, tie, pool)
            if own or profile or alike:
                joined.append(Joined(m, known.score * (0.5 + 0.5 * s), True, s))
        if joined:
            found[network_id] = joined
    return found


def _users_of(projection: Projection, kind: str, key: str) -> list[int]:
    """The accounts at hand that use an entity (template families by their key)."""
    entity_kind = "template" if kind == "family" else kind
    return projection.entities.get(entity_kind, {}).get(key, [])
