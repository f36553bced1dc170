"""Identity across runs: a network that persists keeps its id.

Matching is by member overlap, greedy from the largest overlap: a new
community continues a previous network when they share at least half of the
smaller one or a Jaccard index of 0.3. Each previous network continues at most
once. What changed (joined, left, banned, new heads) is computed per match.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Lineage:
    previous_id: str | None
    overlap: float = 0.0
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def match_networks(current: list[set[str]], previous: dict[str, set[str]],
                   min_jaccard: float = 0.3, min_containment: float = 0.5) -> list[Lineage]:
    """For each current community (by position), the previous network it continues."""
    owner: dict[str, str] = {}
    for network_id, members in previous.items():
        for account in members:
            owner[account] = network_id
    candidates: list[tuple[int, int, str]] = []
    for index, members in enumerate(current):
        counts: dict[str, int] = {}
        for account in members:
            found = owner.get(account)
            if found is not None:
                counts[found] = counts.get(found, 0) + 1
        for found, shared in counts.items():
            candidates.append((shared, index, found))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    result = [Lineage(None) for _ in current]
    taken: set[str] = set()
    for shared, index, network_id in candidates:
        if result[index].previous_id is not None or network_id in taken:
            continue
        before = previous[network_id]
        now = current[index]
        jaccard = shared / len(before | now)
        containment = shared / min(len(before), len(now))
        if jaccard >= min_jaccard or containment >= min_containment:
            taken.add(network_id)
            result[index] = Lineage(network_id, round(jaccard, 4), sorted(now - before),
                                    sorted(before - now))
    return result
