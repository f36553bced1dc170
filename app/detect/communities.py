"""Communities of the projected graph: Leiden (igraph) or Louvain (python-louvain).

Both maximise modularity with a resolution parameter and a fixed seed, so
the same graph always gives the same communities. Accounts without any edge
stay alone. The result is a list of communities (lists of account indices),
largest first, ties broken by their smallest member: numbering that means
nothing and never reaches a user.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from app.detect.project import Projection

ALGORITHMS = ("leiden", "louvain")


def connected(n: int, pairs: Iterable[tuple[int, int]]) -> list[int]:
    """The connected component of each of `n` items joined by `pairs`, as one
    representative item per component (union-find with path halving)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(i) for i in range(n)]


def communities(projection: Projection, algorithm: str = "leiden", resolution: float = 1.0,
                seed: int = 42) -> list[list[int]]:
    """Groups of account indices with at least two members."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")
    if projection.edge_count == 0:
        return []
    nodes = np.unique(np.concatenate([projection.sources, projection.targets]))
    edges = np.column_stack([np.searchsorted(nodes, projection.sources),
                             np.searchsorted(nodes, projection.targets)]).tolist()
    weights = projection.weights.tolist()
    if algorithm == "leiden":
        labels = _leiden(len(nodes), edges, weights, resolution, seed)
    else:
        labels = _louvain(len(nodes), edges, weights, resolution, seed)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(int(nodes[i]))
    found = [sorted(g) for g in groups.values() if len(g) > 1]
    found.sort(key=lambda g: (-len(g), g[0]))
    return found


def _leiden(n: int, edges: list[list[int]], weights: list[float], resolution: float,
            seed: int) -> list[int]:
    import igraph as ig
    import leidenalg

    graph = ig.Graph(n=n, edges=edges)
    graph.es["weight"] = weights
    partition = leidenalg.find_partition(
        graph, leidenalg.RBConfigurationVertexPartition, weights="weight",
        resolution_parameter=resolution, seed=seed, n_iterations=2)
    return list(partition.membership)


def _louvain(n: int, edges: list[list[int]], weights: list[float], resolution: float,
             seed: int) -> list[int]:
    import community as community_louvain
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in zip(edges, weights, strict=True))
    partition = community_louvain.best_partition(graph, weight="weight",
                                                 resolution=resolution, random_state=seed)
    return [partition[i] for i in range(n)]


def induced_all(projection: Projection, groups: list[list[int]]) -> list[Projection]:
    """The induced projection of every group, in one pass over the edges."""
    label = np.full(projection.size, -1, dtype=np.int64)
    for index, group in enumerate(groups):
        label[group] = index
    src_label = label[projection.sources]
    inside = (src_label >= 0) & (src_label == label[projection.targets])
    positions = np.flatnonzero(inside)
    order = positions[np.argsort(src_label[positions], kind="stable")]
    sorted_labels = src_label[order]
    bounds = np.searchsorted(sorted_labels, np.arange(len(groups) + 1))
    result = []
    for index in range(len(groups)):
        keep = order[bounds[index]:bounds[index + 1]]
        result.append(_subset(projection, keep))
    return result


def _subset(projection: Projection, keep: np.ndarray) -> Projection:
    return Projection(size=projection.size, sources=projection.sources[keep],
                      targets=projection.targets[keep], weights=projection.weights[keep],
                      entities=projection.entities,
                      account_families=projection.account_families)


def extend_communities(projection: Projection, initial: list[int], fixed: list[bool],
                       resolution: float = 1.0, seed: int = 42) -> list[int]:
    """Labels for every account of `projection` after the accounts not `fixed`
    have moved to the community that suits them best, the others staying in
    the one `initial` gives them (an incremental run: new accounts join known
    networks, or gather into new groups of their own). Leiden's optimiser with
    fixed memberships, whatever algorithm found the communities it extends."""
    import igraph as ig
    import leidenalg

    n = projection.size
    if n == 0:
        return []
    graph = ig.Graph(n=n, edges=list(zip(projection.sources.tolist(),
                                         projection.targets.tolist(), strict=True)))
    graph.es["weight"] = projection.weights.tolist()
    partition = leidenalg.RBConfigurationVertexPartition(
        graph, initial_membership=list(initial), weights="weight",
        resolution_parameter=resolution)
    optimiser = leidenalg.Optimiser()
    optimiser.set_rng_seed(seed)
    optimiser.optimise_partition(partition, n_iterations=2, is_membership_fixed=list(fixed))
    return list(partition.membership)
