"""An incremental detection run: the accounts changed since the latest run,
attached to its networks or gathered into new ones, written on top of it.

The run reads the neighbourhood of the changed accounts
(app.detect.neighbourhood), decides where they belong (app.detect.attach,
scored by the population figures and chance threshold its chain's full run
kept) and writes only what changed: a `DetectionRun` of kind `incremental`
whose parent is the latest complete run and whose chain is itself and the
parent's chain. A network that gains or loses members gets a copy in this
run (its snapshot before is `replaced_by` it, and the copy `CONTINUES` it);
a new group that scores as a network is written with a new id. Pages, cases
and `export assignments` show a run's chain: every network as the latest
run of the chain left it.

Finishing is checked against the latest run (see detect/finish_run): when a
full run completed while this one worked, this one is `superseded`, shows
nowhere, and `run_incremental` starts again on the new parent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from app.db.graph import Graph
from app.detect.attach import AttachParams, Increment, Joined, Neighbourhood, attach
from app.detect.evidence import Evidence
from app.detect.features import new_head_members
from app.detect.lineage import Lineage
from app.detect.neighbourhood import read_neighbourhood
from app.detect.run import DetectError, Stages, network_row, write_networks
from app.detect.summary import member_uses, picture, shared_infrastructure

# Attempts at a run whose parent a full run replaced while it worked.
ATTEMPTS = 3


@dataclass
class NetworkChange:
    """What an incremental run did to one network."""

    network_id: str
    flagged: bool
    size_before: int
    size: int
    attached: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    # attached accounts that signed up after one of the network's members was banned
    new_heads: list[str] = field(default_factory=list)
    new: bool = False  # a group of new accounts that scores as a network
    reasons: list[str] = field(default_factory=list)
    # an unflagged network whose changed members make it score as one now
    promoted: bool = False
    # members the network holds already, flagged with it now (they changed)
    flagged_again: list[str] = field(default_factory=list)
    # the attached accounts flagged with the network (the others are members only)
    attached_flagged: list[str] = field(default_factory=list)


@dataclass
class IncrementalResult:
    run_id: str | None
    parent: str | None
    status: str  # complete | superseded | nothing-new
    changed: int
    networks: list[NetworkChange]
    timings: dict[str, float]
    read: dict[str, Any]
    stats: dict[str, Any]
    peak_rss_mib: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def attached(self) -> int:
        return sum(len(n.attached) for n in self.networks if not n.new)

    @property
    def new_networks(self) -> list[NetworkChange]:
        return [n for n in self.networks if n.new]


def run_incremental(graph: Graph, params: AttachParams | None = None,
                    say: Callable[[str], None] = lambda _m: None) -> IncrementalResult:
    """One incremental run on the latest complete run (again on the new latest
    one, up to ATTEMPTS times, when a full run completes meanwhile)."""
    result = None
    for _attempt in range(ATTEMPTS):
        result = _run_once(graph, params or AttachParams(), say)
        if result.status != "superseded":
            break
    assert result is not None
    return result


def _latest(graph: Graph) -> dict[str, Any]:
    rows = graph.read("detect/latest_run")
    if not rows:
        raise DetectError("no detection run yet: an incremental run builds on one "
                          "(run 'hydrascope detect' first)")
    run = rows[0]["run"]
    return dict(run)


def _run_once(graph: Graph, params: AttachParams, say: Callable[[str], None]
              ) -> IncrementalResult:
    stages = Stages(say)
    stages("read")
    parent = _latest(graph)
    chain = list(parent["chain"])
    base = graph.read("detect/incremental/reference", run_id=chain[-1])
    if not base or not base[0]["reference"]:
        raise DetectError(f"the full run {chain[-1]} kept no population figures (it predates "
                          "incremental detection): run 'hydrascope detect' once first")
    snapshot = json.loads(base[0]["reference"])
    read_at = datetime.now(UTC)
    hood, read = read_neighbourhood(graph, parent["run_id"], chain)
    if not hood.changed:
        stages.end()
        return IncrementalResult(None, parent["run_id"], "nothing-new", 0, [],
                                 dict(stages.timings), read, {}, round(stages.peak_rss, 1))
    stages("attach")
    increment = attach(hood, snapshot, params)
    stages("write")
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    graph.write("detect/create_run", run_id=run_id, algorithm="incremental",
                params=json.dumps(asdict(params)), kind="incremental",
                parent=parent["run_id"], chain=[run_id, *chain], read_at=read_at)
    changes, gained = write_increment(graph, run_id, hood, increment)
    stages.end()
    timings = dict(stages.timings)
    summary = {"attached": sum(len(c.attached) for c in changes if not c.new),
               "new_networks": sum(1 for c in changes if c.new or c.promoted),
               "new_heads": sum(len(c.new_heads) for c in changes),
               "networks_changed": sum(1 for c in changes if not c.new)}
    counts = _carried(parent.get("counts"), changes, gained)
    counts.update({"changed": len(hood.changed), **increment.stats,
                   **{k: v for k, v in read.items() if k != "seconds"}})
    finished = graph.write("detect/finish_run", run_id=run_id, timings=json.dumps(timings),
                           counts=json.dumps(counts), population=json.dumps({}),
                           reference=None, changes=json.dumps(summary))
    status = finished[0]["status"]
    return IncrementalResult(run_id, parent["run_id"], status, len(hood.changed), changes,
                             timings, read, increment.stats, round(stages.peak_rss, 1))


def write_increment(graph: Graph, run_id: str, hood: Neighbourhood, increment: Increment
                    ) -> tuple[list[NetworkChange], dict[str, int]]:
    """Copies of the networks that gained, lost or re-flagged members (or now
    score as networks), the new networks, and the memberships they hold in
    this run; what changed, per network, and how many sessions and tokens the
    suspected networks gained."""
    evidence = hood.evidence
    ids = evidence.account_ids
    changes: list[NetworkChange] = []
    copies: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    per_account = {m: (s, f) for m, (s, f, _strength) in hood.member_facts.items()}
    touched = (set(increment.attached) | set(increment.left) | set(increment.regated)
               | set(increment.promoted))
    for network_id in sorted(touched):
        known = hood.networks[network_id]
        joined = increment.attached.get(network_id, [])
        moved = set(increment.left.get(network_id, []))
        leaving = sorted(ids[m] for m in moved)
        promoted = increment.promoted.get(network_id)
        decided = list(increment.regated.get(network_id, []))
        if promoted is not None:
            came = {j.account for j in joined}
            decided = [j for j in promoted.members
                       if j.account not in moved and j.account not in came]
        for j in (*joined, *decided):
            per_account[j.account] = (j.score, j.flagged)
        now = sorted((set(known.members) | {j.account for j in joined}) - moved)
        size = (len(now) if known.whole else known.size + len(joined) - len(moved))
        if promoted is not None:
            heads = _new_heads(evidence, now, [j.account for j in joined])
        else:
            heads = _heads_after(evidence, [j.account for j in joined], known.first_ban)
        # Memberships written anew rather than copied: those decided again.
        rewritten = sorted({ids[j.account] for j in decided} | set(leaving))
        row: dict[str, Any] = {
            "network_id": network_id, "from_run": known.run_id, "skip": rewritten,
            "joined": sorted(ids[j.account] for j in joined)[:50], "left": leaving[:50],
            "new_heads": heads[:50],
            "lineage": json.dumps({"previous": network_id, "incremental": True,
                                   "attached": len(joined), "left": len(leaving),
                                   "flagged_again": len(decided)}),
            "shared": None, "picture": None, "facts": {}}
        if promoted is not None:
            community = promoted.community
            facts = network_row(network_id, community, Lineage(network_id), heads)
            row["facts"] = {k: facts[k] for k in ("score", "intent", "flagged", "reasons",
                                                  "evidence", "status")}
            row["facts"]["likeness"] = json.dumps(promoted.likeness) if promoted.likeness \
                else None
        if known.whole:
            # Every member is at hand: what they share and the picture, anew.
            uses = member_uses(evidence, set(now))
            row["shared"] = json.dumps(shared_infrastructure(now, uses, evidence.ip_intel))
            href = (f"/networks/{quote(network_id, safe='')}?run={quote(run_id, safe='')}"
                    "#members")
            row["picture"] = json.dumps(picture(now, uses, evidence, per_account, href))
        copies.append(row)
        members.extend(_member_rows(ids, network_id, [*joined, *decided]))
        change = NetworkChange(network_id, known.flagged or promoted is not None, known.size,
                               size, [ids[j.account] for j in joined], leaving, heads)
        change.attached_flagged = sorted(ids[j.account] for j in joined if j.flagged)
        change.flagged_again = sorted(ids[j.account] for j in decided if j.flagged)
        if promoted is not None:
            change.promoted = True
            change.reasons = promoted.community.top_reasons(3)
        changes.append(change)
    fresh = len(increment.new_groups)
    first = graph.write("detect/next_network_ids", count=fresh)[0]["first"] if fresh else 0
    rows = []
    for offset, group in enumerate(increment.new_groups, start=1):
        network_id = f"HN-{first + offset:05d}"
        community = group.community
        accounts = [ids[m] for m in community.members]
        heads = _new_heads(evidence, community.members, community.members)
        row = network_row(network_id, community, Lineage(None, joined=accounts), heads)
        row["previous_run"] = None
        row["likeness"] = json.dumps(group.likeness) if group.likeness else None
        scores = {j.account: (j.score, j.flagged) for j in group.members}
        uses = member_uses(evidence, set(community.members))
        row["shared"] = json.dumps(shared_infrastructure(community.members, uses,
                                                         evidence.ip_intel))
        href = f"/networks/{quote(network_id, safe='')}?run={quote(run_id, safe='')}#members"
        row["picture"] = json.dumps(picture(community.members, uses, evidence, scores, href))
        rows.append(row)
        members.extend(_member_rows(ids, network_id, group.members))
        change = NetworkChange(network_id, True, 0, len(accounts), sorted(accounts), [],
                               heads, new=True, reasons=community.top_reasons(3))
        change.attached_flagged = sorted(ids[j.account] for j in group.members if j.flagged)
        changes.append(change)
    if copies:
        graph.write("detect/incremental/copy_networks", run_id=run_id, networks=copies)
    write_networks(graph, run_id, rows, members)
    totals = {"flagged_sessions": sum(r["sessions"] for r in rows),
              "flagged_tokens": sum(r["tokens"] for r in rows)}
    if copies:
        for row in graph.write("detect/incremental/network_facts", run_id=run_id,
                               network_ids=[c["network_id"] for c in copies]):
            if row["flagged"]:
                was = bool(row["was_flagged"])
                totals["flagged_sessions"] += row["sessions"] - (row["old_sessions"] if was else 0)
                totals["flagged_tokens"] += row["tokens"] - (row["old_tokens"] if was else 0)
    return changes, totals


def _carried(parent_counts: Any, changes: list[NetworkChange], gained: dict[str, int]
             ) -> dict[str, Any]:
    """The parent's totals of suspected networks, accounts, sessions and tokens,
    with what this run added (an incremental run never unflags)."""
    before = json.loads(parent_counts) if isinstance(parent_counts, str) else \
        dict(parent_counts or {})
    counts = {k: int(before.get(k, 0)) for k in ("accounts", "flagged_networks",
                                                  "flagged_accounts", "flagged_sessions",
                                                  "flagged_tokens")}
    counts["flagged_networks"] += sum(1 for c in changes if c.new or c.promoted)
    counts["flagged_accounts"] += sum(len(c.attached_flagged) + len(c.flagged_again)
                                      for c in changes if c.flagged)
    counts["flagged_sessions"] += gained["flagged_sessions"]
    counts["flagged_tokens"] += gained["flagged_tokens"]
    return counts


def _member_rows(ids: list[str], network_id: str, joined: list[Joined]
                 ) -> list[dict[str, Any]]:
    return [{"account_id": ids[j.account], "network_id": network_id,
             "score": round(j.score, 4), "flagged": j.flagged,
             "strength": round(j.strength, 4)} for j in joined]


def _heads_after(evidence: Evidence, among: list[int], first_ban: float | None) -> list[str]:
    """Accounts of `among` that signed up after `first_ban` (a network's first
    ban) and are not banned themselves: its new heads (as new_head_members)."""
    if first_ban is None:
        return []
    return sorted(evidence.account_ids[m] for m in among
                  if evidence.accounts[m].get("created") is not None
                  and evidence.accounts[m]["created"] > first_ban
                  and evidence.accounts[m]["status"] != "banned")


def _new_heads(evidence: Evidence, members: list[int], among: list[int]) -> list[str]:
    """Accounts of `among` that are new heads of the network `members`."""
    wanted = set(among)
    heads = new_head_members(members, [evidence.accounts[m] for m in members])
    return sorted(evidence.account_ids[m] for m in heads if m in wanted)

