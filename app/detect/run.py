"""A detection run: read, project, find communities, score, write back.

Reading and writing talk to Neo4j; everything between is the pure functions
of project, communities, score and lineage. The run is written as
`running` first and marked `complete` last, so pages and exports never see
half a run, and an interrupted run leaves the previous one in place.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import numpy as np
import psutil

from app.db.graph import Graph
from app.detect.communities import communities, connected, induced_all
from app.detect.evidence import Evidence, read_evidence
from app.detect.features import MARKED_SHARING
from app.detect.lineage import Lineage, match_networks
from app.detect.project import Projection, ProjectionParams, project
from app.detect.score import (
    CREDENTIAL_KINDS,
    CommunityScore,
    Likeness,
    ScoreParams,
    ScoringContext,
    asks_for_extraction,
    calibrate,
    new_head_members,
    score_all,
    score_groups,
)
from app.detect.summary import member_uses, picture, shared_infrastructure
from app.errors import HydrascopeError

WRITE_BATCH = 5_000
SAMPLE = 50  # ids kept per change list on a network


class DetectError(HydrascopeError):
    """Detection could not run (no data, the graph stopped answering)."""


@dataclass
class DetectParams:
    algorithm: str = "leiden"
    resolution: float = 1.0
    seed: int = 42
    # Modularity merges small rings into big benign groups once fake accounts
    # also touch real ones: a group that is not flagged is split again at a
    # higher resolution (times `refine_factor`, up to `refine_depth` times),
    # and the rings found inside it are kept when they score as networks.
    refine_depth: int = 3
    refine_factor: float = 2.0
    # Before a finer cut, the members a group's own cards, devices, keys or
    # template families tie together are scored by themselves (a ring inside
    # a big shared exit that a finer cut shatters).
    marked_cores: bool = True
    # Rounds of measuring again without the networks already found.
    rerank_rounds: int = 3
    # Flagged communities linked between at this share of the pair density
    # inside them (or more) are pieces of one network (join_pieces).
    join_density: float = 0.5
    projection: ProjectionParams = field(default_factory=ProjectionParams)
    scoring: ScoreParams = field(default_factory=ScoreParams)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DetectResult:
    run_id: str
    accounts: int
    communities: int
    networks: int
    flagged_networks: int
    flagged_accounts: int
    timings: dict[str, float]
    peak_rss_mib: float
    changes: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Analysis:
    """Everything the pure stages produce, before write-back."""

    evidence: Evidence
    groups: list[list[int]]
    scored: list[CommunityScore]
    per_account: dict[int, tuple[float, bool]]
    population: dict[str, Any]
    strength: dict[int, float]
    # what an incremental run built on this one scores by (ScoringContext.snapshot)
    snapshot: dict[str, Any] = field(default_factory=dict)
    # first member of each flagged community -> what its heads look like
    # (Likeness.as_dict), for the incremental runs built on this one
    likeness: dict[int, dict[str, Any]] = field(default_factory=dict)


def analyse(evidence: Evidence, params: DetectParams,
            stage: Callable[[str], None] = lambda _s: None) -> Analysis:
    """The pure part of a run: projection, communities, scores."""
    from app.detect.score import member_strength

    stage("project")
    projection = project(evidence, params.projection)
    stage("communities")
    groups = communities(projection, params.algorithm, params.resolution, params.seed)
    stage("score")
    ctx = ScoringContext.build(evidence, projection, params.scoring)
    scored = score_groups(ctx, groups)
    stage("refine")
    groups = refine(ctx, groups, scored, params)
    stage("rescore")
    scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    # Measure again against the population without the networks found so far,
    # until no more are found (a large hydra share compresses percentiles).
    found = np.zeros(evidence.size, dtype=bool)
    for _ in range(params.rerank_rounds):
        flagged = [m for m, (_s, is_flagged) in per_account.items() if is_flagged]
        if not flagged or found[flagged].all():
            break
        found[flagged] = True
        ctx.ref.rerank(found)
        scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    # Measured without the networks found, members of a big group may now ask
    # for extraction themselves: such groups are looked into again.
    again = refine(ctx, groups, scored, params, cores=True)
    if again != groups:
        groups = again
        scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    # Modularity cuts a dense block that is almost a graph of its own into
    # pieces: flagged pieces as densely linked to one another as inside
    # themselves are one network.
    joined = join_pieces(ctx, groups, scored, params)
    if joined != groups:
        groups = joined
        scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    # A flagged group may hold a second operator's heads, which its gate
    # leaves out as strangers to the first: what it leaves out is looked into.
    apart = second_networks(ctx, groups, scored, per_account, params)
    if apart != groups:
        groups = apart
        scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    # The false-positive budget, against random groups of the final sizes: a
    # threshold above one half only when chance would break it there.
    calibrate(ctx, groups)
    if ctx.threshold > 0:
        scored, per_account, pop = score_all(evidence, projection, groups, ctx=ctx)
    else:
        pop = ctx.population
    strength = member_strength(projection, groups)
    return Analysis(evidence, groups, scored, per_account, asdict(pop), strength,
                    ctx.snapshot(), likenesses(ctx, scored, per_account))


def likenesses(ctx: ScoringContext, scored: list[CommunityScore],
               per_account: dict[int, tuple[float, bool]]) -> dict[int, dict[str, Any]]:
    """What the heads of each flagged community look like (by its flagged
    members), keyed by its first member."""
    found = {}
    for community in scored:
        if community.flagged:
            body = [m for m in community.members if per_account[m][1]]
            likeness = Likeness.of(body, ctx, community.members)
            if likeness is not None:
                found[community.members[0]] = likeness.as_dict()
    return found


def join_pieces(ctx: ScoringContext, groups: list[list[int]], scored: list[CommunityScore],
                params: DetectParams) -> list[list[int]]:
    """Flagged communities joined when they are pieces of one block: the link
    weight per pair of accounts between two of them is at least
    `join_density` times that inside the less dense of the two, or they share
    a card, device or key of their own (`sharing_credentials`). Modularity
    measures a block that has few links outside against itself, and cuts a
    homogeneous one along its chance fluctuations; two networks that share a
    proxy exit are linked far more thinly between than inside. A join is
    kept when the joined group scores as a network."""
    flagged = [c.members for c in scored if c.flagged]
    if len(flagged) < 2:
        return groups
    projection = ctx.projection
    label = np.full(projection.size, -1, dtype=np.int64)
    for g, members in enumerate(flagged):
        label[members] = g
    a, b = label[projection.sources], label[projection.targets]
    both = (a >= 0) & (b >= 0)
    a, b, w = a[both], b[both], projection.weights[both]
    k = len(flagged)
    weight = np.zeros((k, k))
    np.add.at(weight, (np.minimum(a, b), np.maximum(a, b)), w)
    sizes = np.array([len(m) for m in flagged], dtype=float)
    inside = np.diag(weight) / np.maximum(sizes * (sizes - 1) / 2, 1)
    pieces_of_one = [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(weight, 1)),
                                                      strict=True)
                     if weight[i, j] / (sizes[i] * sizes[j])
                     >= params.join_density * min(inside[i], inside[j])]
    pieces_of_one += sharing_credentials(ctx, flagged, label)
    root = connected(k, pieces_of_one)
    blocks: dict[int, list[int]] = {}
    for g in range(k):
        blocks.setdefault(root[g], []).append(g)
    merged: dict[tuple[int, ...], list[int]] = {}
    for pieces in blocks.values():
        if len(pieces) < 2:
            continue
        whole = sorted(m for g in pieces for m in flagged[g])
        if score_groups(ctx, [whole])[0].flagged:
            for g in pieces:
                merged[tuple(flagged[g])] = whole
    if not merged:
        return groups
    result: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for group in groups:
        joined = merged.get(tuple(group))
        if joined is None:
            result.append(group)
        elif tuple(joined) not in seen:
            seen.add(tuple(joined))
            result.append(joined)
    result.sort(key=lambda g: (-len(g), g[0]))
    return result


def sharing_credentials(ctx: ScoringContext, flagged: list[list[int]], label: np.ndarray
                         ) -> list[tuple[int, int]]:
    """Pairs of flagged communities whose members share a card, device or API key
    that is theirs (most of its users among them): one operator's card funds
    heads that a finer cut put in two pieces of a sparse ring."""
    together = ctx.group(sorted(m for members in flagged for m in members))
    pairs: set[tuple[int, int]] = set()
    for kind in CREDENTIAL_KINDS:
        for clique in together.own_cliques(kind):
            pieces = sorted({int(label[m]) for m in clique})
            pairs.update(zip(pieces, pieces[1:], strict=False))
    return sorted(pairs)


def refine(ctx: ScoringContext, groups: list[list[int]], scored: list[CommunityScore],
           params: DetectParams, cores: bool = False) -> list[list[int]]:
    """Split groups that are not flagged, looking for rings hidden inside them."""
    promising = {tuple(c.members) for c in scored if worth_splitting(ctx, c, params, cores)}
    todo = [g for g in groups if tuple(g) in promising]
    split = {id(g): sub for g, sub in zip(todo, induced_all(ctx.projection, todo), strict=True)}
    result: list[list[int]] = []
    for group in groups:
        sub = split.get(id(group))
        if sub is None:
            result.append(group)
        else:
            result.extend(_split(ctx, sub, group, params, params.resolution, 1))
    result.sort(key=lambda g: (-len(g), g[0]))
    return result


def second_networks(ctx: ScoringContext, groups: list[list[int]], scored: list[CommunityScore],
                    per_account: dict[int, tuple[float, bool]], params: DetectParams
                    ) -> list[list[int]]:
    """Take out of each flagged group the parts of what its gate left out (its
    members not flagged with it, as communities of their own links) that score
    as networks by themselves. Two operators on one pool of exits make one
    community; the heads of the one without the other's cards are strangers
    to its likeness."""
    least = params.scoring.min_size
    todo = []
    for community in scored:
        left = [m for m in community.members if not per_account[m][1]]
        if community.flagged and len(left) >= 2 * least:
            todo.append((community.members, left))
    if not todo:
        return groups
    taken: dict[tuple[int, ...], list[list[int]]] = {}
    lefts = [left for _members, left in todo]
    for (members, _left), sub in zip(todo, induced_all(ctx.projection, lefts), strict=True):
        parts = [p for p in communities(sub, params.algorithm, params.resolution, params.seed)
                 if len(p) >= least]
        found = [c.members for c in score_groups(ctx, parts) if c.flagged]
        if found:
            taken[tuple(members)] = found
    if not taken:
        return groups
    result: list[list[int]] = []
    for group in groups:
        parts = taken.get(tuple(group), [])
        if not parts:
            result.append(group)
            continue
        out = {m for part in parts for m in part}
        result.extend(parts)
        result.append([m for m in group if m not in out])
    result.sort(key=lambda g: (-len(g), g[0]))
    return result


def worth_splitting(ctx: ScoringContext, community: CommunityScore, params: DetectParams,
                    cores: bool = False) -> bool:
    """An unflagged group that may hide a ring: it holds enough members that ask
    for extraction themselves to form one, or (`cores`, once the group is
    measured without the networks already found) a ring's worth of members,
    at most half of it, tied by the group's own cards, devices, keys or
    templates that ask for reasoning or rewrites together at twice the
    population's rate (heads that each harvest a little). Only those are
    split again (the rest cannot hide one)."""
    members = community.members
    least = params.scoring.min_size
    if community.flagged or len(members) < 2 * least:
        return False
    extracting = sum(1 for tags in community.member_evidence.values() if "intent" in tags)
    if extracting >= least:
        return True
    return cores and any(least <= len(core) <= len(members) // 2
                         and asks_for_extraction(core, ctx)
                         for core in ctx.group(members).marked_components())


def _split(ctx: ScoringContext, sub: Projection, group: list[int], params: DetectParams,
           resolution: float, depth: int) -> list[list[int]]:
    """Parts of `group` (whose edges are `sub`) that score as networks at a finer
    resolution, and the rest of it."""
    if depth > params.refine_depth or len(group) < 2 * params.scoring.min_size:
        return [group]
    finer = resolution * params.refine_factor
    parts = communities(sub, params.algorithm, finer, params.seed)
    covered = {m for part in parts for m in part}
    parts += [[m] for m in group if m not in covered]
    if len(parts) <= 1:
        return [group]
    scored = score_groups(ctx, parts)
    flagged = {tuple(c.members) for c in scored if c.flagged}
    promising = {tuple(c.members) for c in scored if worth_splitting(ctx, c, params)}
    out: list[list[int]] = []
    rest: list[int] = []
    for part in parts:
        if tuple(part) in flagged:
            out.append(part)
        else:
            rest.extend(part)
    out, rest = _close_over_marks(ctx, out, rest)
    if not out and params.marked_cores:
        out, rest = _cores_that_stand_out(ctx, group, params)
    if not out:
        # Nothing stands out at this resolution: look once more, finer.
        big = [part for part in parts if tuple(part) in promising]
        deeper = [_split(ctx, part_edges, part, params, finer, depth + 1)
                  for part, part_edges in zip(big, induced_all(sub, big), strict=True)]
        found = [g for pieces in deeper for g in pieces if len(pieces) > 1]
        if not found:
            return [group]
        taken = {m for g in found for m in g}
        return found + ([sorted(set(group) - taken)] if len(set(group) - taken) > 1 else [])
    if len(rest) > 1:
        out.append(sorted(rest))
    return out


def _cores_that_stand_out(ctx: ScoringContext, group: list[int], params: DetectParams
                          ) -> tuple[list[list[int]], list[int]]:
    """The rings of `group` that its own entities draw: members joined by the
    cards, devices, keys and template families that are the group's own (most
    of their users inside it), in connected sets of at least the least
    network size, each kept when it scores as a network by itself; and the
    rest of the group."""
    whole = ctx.group(group)
    cores = [sorted(s) for s in whole.marked_components()
             if params.scoring.min_size <= len(s) <= len(group) // 2]
    if not cores:
        return [], group
    found = [c.members for c in score_groups(ctx, cores) if c.flagged]
    taken = {m for core in found for m in core}
    return _close_over_marks(ctx, found, [m for m in group if m not in taken])


def _close_over_marks(ctx: ScoringContext, found: list[list[int]], rest: list[int]
                      ) -> tuple[list[list[int]], list[int]]:
    """A ring found at a finer resolution takes back the accounts of the group
    that share its own cards, devices, keys or template families (most of
    the entity's users inside the ring with them): a finer cut may halve a
    ring along one of its cards. Kept only if the ring still scores as one."""
    if not found or not rest:
        return found, rest
    left = set(rest)
    closed: list[list[int]] = []
    for part in found:
        members = set(part)
        whole = sorted(members | left)
        group = ctx.group(whole)
        for kind in MARKED_SHARING:
            for clique in group.own_cliques(kind):
                if members.intersection(clique) and left.intersection(clique):
                    members.update(clique)
        grown = sorted(members)
        if len(grown) > len(part) and score_groups(ctx, [grown])[0].flagged:
            left -= members
            closed.append(grown)
        else:
            closed.append(part)
    return closed, sorted(left)


class Stages:
    """Times each stage and reports it (progress on a terminal)."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.timings: dict[str, float] = {}
        self._current: str | None = None
        self._began = 0.0
        self.peak_rss = 0.0

    def __call__(self, name: str) -> None:
        self.end()
        self._current, self._began = name, time.monotonic()
        self.say(f"detect: {name}...")

    def end(self) -> None:
        rss = psutil.Process().memory_info().rss / 2**20
        self.peak_rss = max(self.peak_rss, rss)
        if self._current is not None:
            took = time.monotonic() - self._began
            self.timings[self._current] = round(took, 3)
            self.say(f"detect: {self._current} took {took:.1f}s (memory {rss:,.0f} MiB)")
            self._current = None


def run_detection(graph: Graph, params: DetectParams | None = None,
                  say: Callable[[str], None] = lambda _m: None) -> DetectResult:
    """One full detection run written to the graph as a new DetectionRun."""
    params = params or DetectParams()
    stages = Stages(say)
    stages("read")
    read_at = datetime.now(UTC)
    evidence = read_evidence(graph)
    if evidence.size == 0:
        raise DetectError("the graph holds no accounts: load data first (hydrascope load DIR)")
    previous = graph.read("detect/previous_run")
    analysis = analyse(evidence, params, stages)
    stages("write")
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    changes = write_run(graph, run_id, params, analysis, previous, read_at)
    stages.end()
    timings = dict(stages.timings)
    flagged = [c for c in analysis.scored if c.flagged]
    counts = {
        "accounts": evidence.size, "communities": len(analysis.groups),
        "networks": len(analysis.scored), "flagged_networks": len(flagged),
        "flagged_accounts": sum(1 for _s, f in analysis.per_account.values() if f),
        "flagged_sessions": sum(c.facts["sessions"] for c in flagged),
        "flagged_tokens": sum(c.facts["tokens"] for c in flagged),
    }
    graph.write("detect/finish_run", run_id=run_id, timings=json.dumps(timings),
                counts=json.dumps(counts), population=json.dumps(analysis.population),
                reference=json.dumps(analysis.snapshot), changes=json.dumps(changes))
    return DetectResult(run_id=run_id, accounts=evidence.size,
                        communities=len(analysis.groups), networks=len(analysis.scored),
                        flagged_networks=len(flagged),
                        flagged_accounts=counts["flagged_accounts"], timings=timings,
                        peak_rss_mib=round(stages.peak_rss, 1), changes=changes)


def write_run(graph: Graph, run_id: str, params: DetectParams, analysis: Analysis,
              previous: list[dict[str, Any]], read_at: datetime) -> dict[str, int]:
    """Write the run, its networks (ids kept across runs) and memberships."""
    evidence = analysis.evidence
    ids = evidence.account_ids
    previous_sets = {row["network_id"]: set(row["members"]) for row in previous}
    snapshots = {row["network_id"]: row["snapshot_run"] for row in previous}
    ordered = sorted(analysis.scored, key=lambda c: (-c.score, -len(c.members),
                                                     ids[c.members[0]]))
    current_sets = [{ids[m] for m in c.members} for c in ordered]
    lineages = match_networks(current_sets, previous_sets)
    fresh = sum(1 for lin in lineages if lin.previous_id is None)
    first = graph.write("detect/next_network_ids", count=fresh)[0]["first"] if fresh else 0
    graph.write("detect/create_run", run_id=run_id, algorithm=params.algorithm,
                params=json.dumps(params.as_dict()), kind="full", parent=None,
                chain=[run_id], read_at=read_at)
    networks, members = [], []
    changes = {"continued": 0, "new": 0, "joined": 0, "left": 0, "new_heads": 0}
    uses = member_uses(evidence, {m for c in ordered for m in c.members})
    next_id = first
    for community, lineage in zip(ordered, lineages, strict=True):
        if lineage.previous_id is None:
            next_id += 1
            network_id = f"HN-{next_id:05d}"
            changes["new"] += 1
        else:
            network_id = lineage.previous_id
            changes["continued"] += 1
        heads = _new_heads(community, evidence, lineage)
        changes["joined"] += len(lineage.joined)
        changes["left"] += len(lineage.left)
        changes["new_heads"] += len(heads)
        row = network_row(network_id, community, lineage, heads)
        row["previous_run"] = snapshots.get(lineage.previous_id or "")
        found = analysis.likeness.get(community.members[0])
        row["likeness"] = json.dumps(found) if found else None
        row["shared"] = json.dumps(shared_infrastructure(community.members, uses,
                                                         evidence.ip_intel))
        href = f"/networks/{quote(network_id, safe='')}?run={quote(run_id, safe='')}#members"
        row["picture"] = json.dumps(picture(community.members, uses, evidence,
                                            analysis.per_account, href))
        networks.append(row)
        for m in community.members:
            score, flagged = analysis.per_account[m]
            members.append({"account_id": ids[m], "network_id": network_id,
                            "score": round(score, 4), "flagged": flagged,
                            "strength": round(analysis.strength.get(m, 0.0), 4)})
    write_networks(graph, run_id, networks, members)
    return changes


def write_networks(graph: Graph, run_id: str, networks: list[dict[str, Any]],
                   members: list[dict[str, Any]]) -> None:
    """Network rows (network_row) and membership rows of a run, in batches."""
    for start in range(0, len(networks), WRITE_BATCH):
        graph.write("detect/write_networks", run_id=run_id,
                    networks=networks[start:start + WRITE_BATCH])
    for start in range(0, len(members), WRITE_BATCH):
        graph.write("detect/write_members", run_id=run_id,
                    members=members[start:start + WRITE_BATCH])


def _new_heads(community: CommunityScore, evidence: Evidence, lineage: Lineage) -> list[str]:
    """Regrown heads of a network; for a continuing network, only those that joined."""
    accounts = [evidence.accounts[m] for m in community.members]
    heads = [evidence.account_ids[m] for m in new_head_members(community.members, accounts)]
    if lineage.previous_id is not None:
        joined = set(lineage.joined)
        heads = [h for h in heads if h in joined]
    return sorted(heads)


def network_row(network_id: str, community: CommunityScore, lineage: Lineage,
                 heads: list[str]) -> dict[str, Any]:
    return {
        "network_id": network_id,
        "score": round(community.score, 4),
        "intent": round(community.intent, 4),
        "flagged": community.flagged,
        "size": len(community.members),
        "sessions": community.facts["sessions"],
        "requests": community.facts["requests"],
        "tokens": community.facts["tokens"],
        "banned": community.facts["banned"],
        "reasons": community.top_reasons(5),
        "evidence": json.dumps([f.as_dict() for f in community.features]),
        "lineage": json.dumps({"previous": lineage.previous_id, "jaccard": lineage.overlap}),
        "joined": lineage.joined[:SAMPLE],
        "left": lineage.left[:SAMPLE],
        "new_heads": heads[:SAMPLE],
        "status": "suspected" if community.flagged else "watch",
    }


def latest_assignments(graph: Graph) -> list[dict[str, Any]]:
    """account_id, network, score, flagged per account of the latest complete run."""
    rows = graph.read("detect/assignments")
    if not rows and graph.read("detect/latest_run") == []:
        raise DetectError("no detection run yet: run 'hydrascope detect' first")
    return rows
