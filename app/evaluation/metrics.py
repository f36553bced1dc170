"""Accuracy of one detector's output against the planted truth.

Pure functions over plain data: the labels, the groups (account -> group id)
and the flagged accounts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.evaluation.labels import Labels

# A planted network this big must be found as one group (smaller rings are
# reported, but not held to the target).
BIG_NETWORK = 20
# A network counts as recovered when this share of it is flagged inside one group.
RECOVERED_SHARE = 0.9


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
    # planted networks of at least BIG_NETWORK accounts, and how many of them
    # have at least RECOVERED_SHARE of their accounts flagged inside one group
    networks_big: int = 0
    networks_recovered: int = 0
    # the benign cohort with the highest false-positive rate, and that rate
    worst_cohort: str = ""
    worst_cohort_fp: float = 0.0
    # a short name for tables (ours, address-cc, louvain, rules, fraudar)
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(**data)


def prf(flagged: set[str], positives: set[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of a flagged set against the positives."""
    tp = len(flagged & positives)
    precision = tp / len(flagged) if flagged else 1.0
    recall = tp / len(positives) if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def flagged_group_share(accounts: list[str], group_of: dict[str, str],
                        flagged: set[str]) -> tuple[str | None, float]:
    """The flagged group holding most of these accounts, and the share of them it holds
    flagged (a flagged account in no group is a group of its own)."""
    if not accounts:
        return None, 0.0
    groups = Counter(group_of.get(a, f"alone:{a}") for a in accounts if a in flagged)
    if not groups:
        return None, 0.0
    best, count = groups.most_common(1)[0]
    return best, count / len(accounts)


def cohort_false_positives(labels: Labels, flagged: set[str]) -> dict[str, dict[str, float]]:
    """Per benign cohort: its accounts, how many are flagged, and the rate."""
    cohorts = Counter(labels.cohort[a] for a, lab in labels.label.items() if lab == "benign")
    fp = Counter(labels.cohort[a] for a in flagged if labels.label.get(a) == "benign")
    return {c: {"accounts": n, "flagged": fp[c], "rate": round(fp[c] / n, 4)}
            for c, n in sorted(cohorts.items())}


def network_recovery(labels: Labels, group_of: dict[str, str],
                     flagged: set[str]) -> list[dict[str, Any]]:
    """Per planted network: size, flagged share, the best group (flagged or not), the
    best flagged group's share (the per-network recall) and its purity."""
    members: dict[str, list[str]] = defaultdict(list)
    for a, lab in labels.label.items():
        if lab == "hydra":
            members[labels.network[a]].append(a)
    by_group: dict[str, list[str]] = defaultdict(list)
    for a, g in group_of.items():
        by_group[g].append(a)
    networks = []
    for network, accounts in sorted(members.items()):
        accounts.sort()
        groups = Counter(group_of[a] for a in accounts if a in group_of)
        best, best_count = groups.most_common(1)[0] if groups else (None, 0)
        purity = 0.0
        if best is not None:
            inside = by_group[best]
            purity = sum(1 for a in inside if labels.network.get(a) == network) / len(inside)
        _group, share = flagged_group_share(accounts, group_of, flagged)
        networks.append({
            "network": network, "camouflage": labels.camouflage[accounts[0]],
            "size": len(accounts),
            "flagged_recall": round(len(set(accounts) & flagged) / len(accounts), 4),
            "best_group_share": round(best_count / len(accounts), 4),
            "best_group_size": len(by_group[best]) if best is not None else 0,
            "flagged_group_share": round(share, 4),
            "recovered": len(accounts) >= BIG_NETWORK and share >= RECOVERED_SHARE,
            "purity": round(purity, 4),
        })
    return networks


def evaluate(name: str, labels: Labels, group_of: dict[str, str],
             flagged: set[str], key: str = "") -> Report:
    """Compare flags and groups (account -> group id) with the planted truth."""
    hydra = labels.hydra()
    precision, recall, f1 = prf(flagged, hydra)
    planted = sorted(hydra)
    ari = adjusted_rand_index([labels.network[a] for a in planted],
                              [group_of.get(a, f"alone:{a}") for a in planted])
    by_camouflage = {}
    benign_flagged = flagged - hydra
    for level in sorted({labels.camouflage[a] for a in hydra}):
        level_accounts = {a for a in hydra if labels.camouflage[a] == level}
        _p, r, f = prf((flagged & level_accounts) | benign_flagged, level_accounts)
        by_camouflage[level] = {"accounts": len(level_accounts), "recall": round(r, 4),
                                "f1_vs_all_benign_flags": round(f, 4)}
    networks = network_recovery(labels, group_of, flagged)
    cohort_fp = cohort_false_positives(labels, flagged)
    flagged_cohorts = [(c, f) for c, f in cohort_fp.items() if f["rate"] > 0]
    worst = max(flagged_cohorts, key=lambda kv: (kv[1]["rate"], kv[0]), default=None)
    return Report(name, round(precision, 4), round(recall, 4), round(f1, 4), len(flagged),
                  len(hydra), round(ari, 4), by_camouflage, networks, cohort_fp,
                  networks_big=sum(1 for n in networks if n["size"] >= BIG_NETWORK),
                  networks_recovered=sum(1 for n in networks if n["recovered"]),
                  worst_cohort=worst[0] if worst else "",
                  worst_cohort_fp=worst[1]["rate"] if worst else 0.0, key=key or name)


def format_report(report: Report) -> str:
    lines = [f"== {report.name}",
             f"accounts: precision {report.precision:.3f}  recall {report.recall:.3f}  "
             f"F1 {report.f1:.3f}  (flagged {report.flagged:,}, planted {report.hydra:,})  "
             f"ARI {report.ari:.3f}"]
    level_width = max([6, *(len(level) for level in report.by_camouflage)])
    for level, figures in report.by_camouflage.items():
        lines.append(f"  camouflage {level:<{level_width}}: {figures['accounts']:>6,} planted, "
                     f"recall {figures['recall']:.3f}")
    lines.append(f"  networks >= {BIG_NETWORK} accounts recovered as one (>= "
                 f"{RECOVERED_SHARE:.0%} flagged in one group): "
                 f"{report.networks_recovered}/{report.networks_big}")
    name_width = max([5, *(len(n["network"]) for n in report.networks)])
    for n in report.networks:
        lines.append(f"    {n['network']:<{name_width}} {n['camouflage']:<{level_width}} "
                     f"size {n['size']:>5}  flagged {n['flagged_recall']:.2f}  in one flagged "
                     f"group {n['flagged_group_share']:.2f}  in one group "
                     f"{n['best_group_share']:.2f}  purity {n['purity']:.2f}")
    lines.append("  benign cohorts flagged:")
    cohort_width = max([11, *(len(c) for c in report.cohort_fp)])
    for cohort, figures in report.cohort_fp.items():
        lines.append(f"    {cohort:<{cohort_width}} {figures['flagged']:>5,}/"
                     f"{figures['accounts']:<7,} ({figures['rate']:.2%})")
    return "\n".join(lines)
