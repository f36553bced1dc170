"""Accuracy of detection against generated ground truth (labels.csv), and baselines.

Pure functions over plain data: the labels, the groups and the flags.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.detect.evidence import Evidence
from app.detect.project import ProjectionParams, entity_members


@dataclass
class Labels:
    label: dict[str, str]
    network: dict[str, str]
    cohort: dict[str, str]
    camouflage: dict[str, str]


def read_labels(path: Path) -> Labels:
    labels = Labels({}, {}, {}, {})
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            account = row["account_id"]
            labels.label[account] = row["label"]
            labels.network[account] = row.get("network") or ""
            labels.cohort[account] = row.get("cohort") or row["label"]
            labels.camouflage[account] = row.get("camouflage") or ""
    return labels


def adjusted_rand_index(truth: list[str], predicted: list[str]) -> float:
    """ARI of two labelings of the same items."""
    n = len(truth)
    if n < 2:
        return 1.0
    pairs = Counter(zip(truth, predicted, strict=True))
    a = Counter(truth)
    b = Counter(predicted)

    def comb(x: int) -> float:
        return x * (x - 1) / 2

    index = sum(comb(v) for v in pairs.values())
    sum_a = sum(comb(v) for v in a.values())
    sum_b = sum(comb(v) for v in b.values())
    expected = sum_a * sum_b / comb(n)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


@dataclass
class Report:
    name: str
    precision: float
    recall: float
    f1: float
    flagged: int
    hydra: int
    ari: float
    by_camouflage: dict[str, dict[str, float]] = field(default_factory=dict)
    networks: list[dict[str, Any]] = field(default_factory=list)
    cohort_fp: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _prf(flagged: set[str], positives: set[str]) -> tuple[float, float, float]:
    tp = len(flagged & positives)
    precision = tp / len(flagged) if flagged else 1.0
    recall = tp / len(positives) if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(name: str, labels: Labels, group_of: dict[str, str],
             flagged: set[str]) -> Report:
    """Compare flags and groups (account -> group id) with the planted truth."""
    hydra = {a for a, lab in labels.label.items() if lab == "hydra"}
    precision, recall, f1 = _prf(flagged, hydra)
    planted = sorted(hydra)
    ari = adjusted_rand_index([labels.network[a] for a in planted],
                              [group_of.get(a, f"alone:{a}") for a in planted])
    by_camouflage = {}
    for level in sorted({labels.camouflage[a] for a in hydra}):
        level_accounts = {a for a in hydra if labels.camouflage[a] == level}
        benign_flagged = flagged - hydra
        p, r, f = _prf((flagged & level_accounts) | benign_flagged, level_accounts)
        by_camouflage[level] = {"accounts": len(level_accounts), "recall": round(r, 4),
                                "f1_vs_all_benign_flags": round(f, 4)}
    members: dict[str, list[str]] = defaultdict(list)
    for a in hydra:
        members[labels.network[a]].append(a)
    group_sizes = Counter(group_of.values())
    networks = []
    for network, accounts in sorted(members.items()):
        groups = Counter(group_of.get(a) for a in accounts if group_of.get(a) is not None)
        best, best_count = groups.most_common(1)[0] if groups else (None, 0)
        purity = 0.0
        if best is not None:
            inside = [a for a, g in group_of.items() if g == best]
            purity = sum(1 for a in inside if labels.network.get(a) == network) / len(inside)
        networks.append({
            "network": network, "camouflage": labels.camouflage[accounts[0]],
            "size": len(accounts),
            "flagged_recall": round(len(set(accounts) & flagged) / len(accounts), 4),
            "best_group_share": round(best_count / len(accounts), 4),
            "best_group_size": group_sizes.get(best, 0) if best else 0,
            "purity": round(purity, 4),
        })
    cohorts = Counter(labels.cohort[a] for a, lab in labels.label.items() if lab == "benign")
    fp = Counter(labels.cohort[a] for a in flagged if labels.label.get(a) == "benign")
    cohort_fp = {c: {"accounts": n, "flagged": fp[c], "rate": round(fp[c] / n, 4)}
                 for c, n in sorted(cohorts.items())}
    return Report(name, round(precision, 4), round(recall, 4), round(f1, 4), len(flagged),
                  len(hydra), round(ari, 4), by_camouflage, networks, cohort_fp)


def _components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(i) for i in range(n)]


def baseline_shared_address_components(evidence: Evidence, min_size: int = 3
                                       ) -> tuple[dict[str, str], set[str]]:
    """Baseline: connected components of accounts that share an address."""
    shared, _ = entity_members(evidence, ProjectionParams())
    edges = [(accounts[0], other) for accounts in shared.get("ip", {}).values()
             for other in accounts[1:]]
    roots = _components(evidence.size, edges)
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

    shared, _ = entity_members(evidence, ProjectionParams())
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


def format_report(report: Report) -> str:
    lines = [f"== {report.name}",
             f"accounts: precision {report.precision:.3f}  recall {report.recall:.3f}  "
             f"F1 {report.f1:.3f}  (flagged {report.flagged:,}, planted {report.hydra:,})  "
             f"ARI {report.ari:.3f}"]
    for level, figures in report.by_camouflage.items():
        lines.append(f"  camouflage {level:<6}: {figures['accounts']:>6,} planted, "
                     f"recall {figures['recall']:.3f}")
    worst = [n for n in report.networks if n["size"] >= 20 and n["best_group_share"] < 0.9]
    big = [n for n in report.networks if n["size"] >= 20]
    lines.append(f"  networks >= 20 accounts recovered as one (>= 90% in one group): "
                 f"{len(big) - len(worst)}/{len(big)}")
    for n in report.networks:
        lines.append(f"    {n['network']:<5} {n['camouflage']:<6} size {n['size']:>5}  "
                     f"flagged {n['flagged_recall']:.2f}  in one group "
                     f"{n['best_group_share']:.2f}  purity {n['purity']:.2f}")
    lines.append("  benign cohorts flagged:")
    for cohort, figures in report.cohort_fp.items():
        lines.append(f"    {cohort:<11} {figures['flagged']:>5,}/{figures['accounts']:<7,} "
                     f"({figures['rate']:.2%})")
    return "\n".join(lines)
