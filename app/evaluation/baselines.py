"""Simple detectors to measure ours against. Pure functions over Evidence.

Each returns (group_of, flagged): account id -> group id, and the flagged
account ids.

- shared-address components: accounts linked by any shared address, flagged
  when the component has at least three accounts;
- plain Louvain: every shared entity a clique, default resolution, every
  community of three or more flagged;
- per-account rules: the kind of rule a trust-and-safety team writes first
  (heavy users asking for reasoning);
- Fraudar (Hooi et al., KDD 2016, the `rgmining-fraudar` package): densest
  blocks of the account x shared-entity matrix under log-weighted columns,
  peeled one after another while they stay denser than the densest block of
  the same matrix with its links shuffled.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.detect.communities import connected
from app.detect.evidence import Evidence
from app.detect.project import ProjectionParams, entity_members

Baseline = Callable[[Evidence], tuple[dict[str, str], set[str]]]


# The shared entities the baselines read, pinned as they were when their cached
# outputs were made: a change of the detector's projection defaults is not a
# change of the baselines (bump BASELINES_VERSION when this changes).
BASELINE_ENTITIES = ProjectionParams(min_template_sessions=3)


def baseline_shared_address_components(evidence: Evidence, min_size: int = 3
                                       ) -> tuple[dict[str, str], set[str]]:
    """Baseline: connected components of accounts that share an address."""
    shared, _, _ = entity_members(evidence, BASELINE_ENTITIES)
    edges = [(accounts[0], other) for accounts in shared.get("ip", {}).values()
             for other in accounts[1:]]
    roots = connected(evidence.size, edges)
    sizes = Counter(roots)
    group_of = {evidence.account_ids[i]: f"cc{r}" for i, r in enumerate(roots)
                if sizes[r] >= 2}
    flagged = {evidence.account_ids[i] for i, r in enumerate(roots) if sizes[r] >= min_size}
    return group_of, flagged


def baseline_plain_louvain(evidence: Evidence, min_size: int = 3, seed: int = 42
                           ) -> tuple[dict[str, str], set[str]]:
    """Baseline: Louvain at default resolution on unweighted shared-entity edges
    (every shared entity a clique, hubs included)."""
    import community as community_louvain
    import networkx as nx

    shared, _, _ = entity_members(evidence, BASELINE_ENTITIES)
    graph = nx.Graph()
    for by_key in shared.values():
        for accounts in by_key.values():
            if len(accounts) > 300:
                # A full clique of a hub is quadratic; a ring of it keeps it connected.
                graph.add_edges_from(zip(accounts, accounts[1:] + accounts[:1], strict=True))
                continue
            for i, a in enumerate(accounts):
                for b in accounts[i + 1:]:
                    graph.add_edge(a, b)
    if graph.number_of_edges() == 0:
        return {}, set()
    partition = community_louvain.best_partition(graph, random_state=seed)
    sizes = Counter(partition.values())
    group_of = {evidence.account_ids[i]: f"lv{c}" for i, c in partition.items()}
    flagged = {evidence.account_ids[i] for i, c in partition.items() if sizes[c] >= min_size}
    return group_of, flagged


@dataclass(frozen=True)
class Rules:
    """A per-account rule: busy accounts that mostly ask for reasoning in long sessions."""

    min_sessions: int = 10
    reasoning_share: float = 0.4  # more than this share of sessions ask for reasoning
    requests_per_session: float = 15.0  # more than this many requests per session


def rule_flags(evidence: Evidence, rules: Rules = Rules()) -> set[str]:
    """The accounts the per-account rule flags."""
    flagged = set()
    for account_id, facts in zip(evidence.account_ids, evidence.accounts, strict=True):
        sessions = int(facts.get("sessions") or 0)
        if sessions < rules.min_sessions:
            continue
        reasoning = int(facts.get("reasoning") or 0)
        requests = int(facts.get("requests") or 0)
        if reasoning / sessions > rules.reasoning_share \
                and requests / sessions > rules.requests_per_session:
            flagged.add(account_id)
    return flagged


def baseline_rules(evidence: Evidence, rules: Rules = Rules()
                   ) -> tuple[dict[str, str], set[str]]:
    """Baseline: the per-account rule; every flagged account in one group (rules know
    nothing of networks, so the one group is their best case for network recall)."""
    flagged = rule_flags(evidence, rules)
    return {a: "rules" for a in flagged}, flagged


# -- Fraudar ------------------------------------------------------------------


@dataclass(frozen=True)
class FraudarParams:
    max_blocks: int = 10
    min_size: int = 3  # a block with fewer accounts is not flagged (and ends the peeling)
    seed: int = 42


def account_entity_matrix(evidence: Evidence) -> tuple[Any, list[str]]:
    """The binary account x shared-entity matrix (CSR, one row per account) and the
    column names (kind|key) of the entities, from the projection's entity members."""
    from scipy import sparse

    shared, _, _ = entity_members(evidence, BASELINE_ENTITIES)
    rows: list[int] = []
    cols: list[int] = []
    names: list[str] = []
    for kind in sorted(shared):
        for key in sorted(shared[kind]):
            column = len(names)
            names.append(f"{kind}|{key}")
            rows.extend(shared[kind][key])
            cols.extend([column] * len(shared[kind][key]))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)),
                               shape=(evidence.size, len(names)))
    matrix.data[:] = 1  # an account listed twice under one entity is one link
    return matrix, names


def densest_block(matrix: Any) -> tuple[set[int], set[int], float]:
    """Fraudar's greedy peeling with log-weighted columns on a binary matrix: the rows
    and columns of the densest block found, and its density (weighted links per node)."""
    from fraudar.export.greedy import logWeightedAveDegree

    if matrix.nnz == 0:
        return set(), set(), 0.0
    # The package prints its progress on stdout, which must stay machine-readable.
    with contextlib.redirect_stdout(io.StringIO()):
        (row_set, col_set), density = logWeightedAveDegree(matrix.tocsc().astype(np.float64))
    return {int(r) for r in row_set}, {int(c) for c in col_set}, float(density)


def _shuffled(matrix: Any, seed: int) -> Any:
    """The same matrix with the column of every link shuffled: row and column degrees
    kept (up to repeated links), structure gone. What density chance reaches."""
    from scipy import sparse

    coo = matrix.tocoo()
    cols = np.random.default_rng(seed).permutation(coo.col)
    shuffled = sparse.csr_matrix((np.ones(coo.nnz, dtype=np.int64), (coo.row, cols)),
                                 shape=matrix.shape)
    shuffled.data[:] = 1
    return shuffled


def fraudar_blocks(matrix: Any, params: FraudarParams = FraudarParams()
                   ) -> tuple[list[tuple[list[int], float]], float]:
    """Dense blocks peeled one after another (each block's rows removed before the next
    search), while a block is denser than the densest block of the shuffled matrix
    and has at least `min_size` rows. The blocks (row indices, density) and that
    chance level."""
    _rows, _cols, chance = densest_block(_shuffled(matrix, params.seed))
    active = np.ones(matrix.shape[0], dtype=bool)
    blocks: list[tuple[list[int], float]] = []
    for _ in range(params.max_blocks):
        index = np.flatnonzero(active)
        sub = matrix[index]
        used = np.flatnonzero(np.asarray(sub.getnnz(axis=0)) > 0)
        rows, _cols, density = densest_block(sub[:, used])
        if density <= chance or len(rows) < params.min_size:
            break
        members = sorted(int(index[r]) for r in rows)
        blocks.append((members, density))
        active[members] = False
    return blocks, chance


def baseline_fraudar(evidence: Evidence, params: FraudarParams = FraudarParams()
                     ) -> tuple[dict[str, str], set[str]]:
    """Baseline: Fraudar's densest blocks of accounts x shared entities, each a group,
    all flagged."""
    matrix, _names = account_entity_matrix(evidence)
    blocks, _chance = fraudar_blocks(matrix, params)
    group_of: dict[str, str] = {}
    for number, (members, _density) in enumerate(blocks):
        for m in members:
            group_of[evidence.account_ids[m]] = f"fd{number}"
    return group_of, set(group_of)


# (short key, title, detector)
BASELINES: list[tuple[str, str, Baseline]] = [
    ("address-cc", "baseline: shared-address components", baseline_shared_address_components),
    ("louvain", "baseline: Louvain, default resolution, unweighted", baseline_plain_louvain),
    ("rules", "baseline: per-account rules (>= 10 sessions, > 40% reasoning, "
     "> 15 requests/session)", baseline_rules),
    ("fraudar", "baseline: Fraudar, log-weighted, accounts x shared entities",
     baseline_fraudar),
]
# Bump when a baseline's output changes (app.detect.project.entity_members included), so the
# outputs a sweep cached are recomputed.
BASELINES_VERSION = 1
