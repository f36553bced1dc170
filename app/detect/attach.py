"""Attach new accounts to known networks, or gather them into new ones: the pure
part of an incremental run.

Between full runs each batch that arrives is measured against what the
latest run found. The accounts a load created or changed since then are seen
with their neighbourhood (see app.detect.neighbourhood): the networks they
share something with (flagged ones whole), and the accounts they share an
entity with, known only by those links, so that the share of their link
weight going to a network is the share a full run would see. Entity weights
and hubs follow the whole population (`Neighbourhood.sizes`), not the
neighbourhood.

Leiden's optimiser then moves only the new and changed accounts, everyone
else fixed where the run put them: each joins the community that suits it
best, or gathers with other new accounts into a group of their own. One that
joins a flagged network is attached when it passes the member gating of a
full run (a card, device, key or template family tying it to the network's
body, its own extraction profile with links to the marked members, or its
likeness to the network; see app.detect.score.gate_members), measured by the
parent run's population figures and chance threshold. A group of new
accounts alone is scored like any community and becomes a new network when
it is flagged. Joining an unflagged group changes nothing: the next full run
looks at it again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from app.detect.communities import extend_communities
from app.detect.evidence import Evidence
from app.detect.project import Projection, ProjectionParams, project
from app.detect.score import (
    CommunityScore,
    ScoreParams,
    ScoringContext,
    gate_members,
    member_strength,
    score_community,
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
    projection = project(evidence, local, hood.sizes)
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
    staying: dict[str, list[int]] = defaultdict(list)
    joining: dict[str, list[int]] = defaultdict(list)
    for m in free:
        target = label_network.get(moved[m])
        if target is None:
            gathered[moved[m]].append(m)
        elif network_of.get(m) == target:
            staying[target].append(m)
        elif known[target].flagged:
            candidates[target].append(m)
        else:
            joining[target].append(m)
    # Changed members of a flagged network that it did not flag yet: decided again.
    changed = set(hood.changed)
    for network_id, k in known.items():
        if k.flagged:
            undecided = [m for m in k.members
                         if m in changed and not hood.member_facts.get(m, (0.0, False, 0.0))[1]]
            candidates[network_id].extend(undecided)
    ctx = ScoringContext.from_snapshot(evidence, projection, snapshot, hood.sizes,
                                       params.scoring)
    min_size = ctx.params.min_size
    leaving = {m for coming in candidates.values() for m in coming}
    groups: list[list[int]] = []
    scored: list[CommunityScore] = []
    owners: list[tuple[str, str | None]] = []
    for network_id, coming in sorted(candidates.items()):
        if not coming:
            continue
        members = sorted(set(known[network_id].members) | set(coming))
        community = score_community(members, ctx)
        increment.rescored[network_id] = community
        # The network is what its parent run said it is; the neighbourhood
        # decides only who joins it.
        community.flagged = True
        community.score = known[network_id].score
        groups.append(members)
        scored.append(community)
        owners.append(("known", network_id))
    # Unflagged networks, read whole, whose own members changed: scored again
    # (a ring the history was too short to show may show now).
    for network_id in sorted(set(staying) | set(joining)):
        k = known[network_id]
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
    for community, (what, owner) in zip(scored, owners, strict=True):
        if what == "known":
            assert owner is not None
            decided = [Joined(m, *per_account[m], strength.get(m, 0.0))
                       for m in candidates[owner] if per_account[m][1]]
            joined = [j for j in decided if network_of.get(j.account) != owner]
            again = [j for j in decided if network_of.get(j.account) == owner]
            if joined:
                increment.attached[owner] = joined
                for j in joined:
                    previous = network_of.get(j.account)
                    if previous is not None:
                        increment.left.setdefault(previous, []).append(j.account)
            if again:
                increment.regated[owner] = again
        elif community.flagged:
            group = NewGroup(community, [Joined(m, *per_account[m], strength.get(m, 0.0))
                                         for m in community.members])
            if what == "promote":
                assert owner is not None
                increment.promoted[owner] = group
                came = set(joining[owner])
                joined = [j for j in group.members if j.account in came]
                if joined:
                    increment.attached[owner] = joined
                    for j in joined:
                        previous = network_of.get(j.account)
                        if previous is not None:
                            increment.left.setdefault(previous, []).append(j.account)
            else:
                increment.new_groups.append(group)
    increment.stats = {
        "changed": len(hood.changed), "free": len(free), "neighbourhood": evidence.size,
        "edges": projection.edge_count,
        "candidates": sum(len(v) for v in candidates.values()),
        "attached": sum(len(v) for v in increment.attached.values()),
        "regated": sum(len(v) for v in increment.regated.values()),
        "rescored_unflagged": sum(1 for what, _n in owners if what == "promote"),
        "promoted": len(increment.promoted),
        "gathered_groups": sum(1 for g in gathered.values() if len(g) >= min_size),
        "new_networks": len(increment.new_groups),
    }
    return increment


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
