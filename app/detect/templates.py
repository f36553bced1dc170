"""Near-duplicate prompt templates: SimHash families by banded LSH.

Each 64-bit fingerprint is cut into bands under two bit orders (contiguous
and interleaved); fingerprints that agree exactly on a band land in one
bucket and are compared only there, so near duplicates meet without
comparing all pairs. Two fingerprints within `max_distance` bits join one
family (connected components), so a family is a template with all its variants.

A bucket keeps up to `REPRESENTATIVES` representatives, each the first (by
value) of its members within reach of none before it; every other member is
compared with them in turn and joins the first it is near. A bucket of one
family with a few strangers thus costs a few comparisons per member, and
the result does not depend on the order the fingerprints come in. All of it
runs over numpy arrays, one round of representatives at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

BAND_BITS = (21, 21, 22)
MAX_DISTANCE = 8  # unrelated prompts differ in about 32 of 64 bits; variants in a few
REPRESENTATIVES = 8  # compared per bucket; enough for a family and its outliers


def bands(values: np.ndarray) -> list[np.ndarray]:
    """The six bands of each fingerprint (uint64): three contiguous ones and
    three interleaved ones (band b holds every bit whose position % 3 == b)."""
    values = np.asarray(values, dtype=np.uint64)
    out = []
    shift = 0
    for bits in BAND_BITS:
        out.append((values >> np.uint64(shift)) & np.uint64((1 << bits) - 1))
        shift += bits
    interleaved = [np.zeros_like(values) for _ in range(3)]
    for bit in range(64):
        interleaved[bit % 3] |= ((values >> np.uint64(bit)) & np.uint64(1)) << np.uint64(
            bit // 3)
    return out + interleaved


def template_families(fingerprints: Iterable[int],
                      max_distance: int = MAX_DISTANCE) -> dict[int, int]:
    """Map each distinct fingerprint to its family (the smallest fingerprint in it)."""
    values = np.unique(np.fromiter(fingerprints, dtype=np.uint64))
    n = values.size
    if n == 0:
        return {}
    near_a: list[np.ndarray] = []
    near_b: list[np.ndarray] = []
    for band in bands(values):
        # Buckets in band order, members by value inside (values are sorted).
        order = np.argsort(band, kind="stable")
        keys = band[order]
        new = np.r_[True, keys[1:] != keys[:-1]]
        bucket = np.cumsum(new) - 1
        size = np.bincount(bucket)
        crowded = size[bucket] > 1
        member, bucket = order[crowded], bucket[crowded]
        for _ in range(REPRESENTATIVES):
            if member.size == 0:
                break
            first = np.r_[True, bucket[1:] != bucket[:-1]]
            rep = member[np.flatnonzero(first)[np.cumsum(first) - 1]]
            near = ~first & (np.bitwise_count(values[member] ^ values[rep]) <= max_distance)
            near_a.append(member[near])
            near_b.append(rep[near])
            left = ~first & ~near
            member, bucket = member[left], bucket[left]
    a = np.concatenate(near_a) if near_a else np.zeros(0, dtype=np.int64)
    b = np.concatenate(near_b) if near_b else np.zeros(0, dtype=np.int64)
    links = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    _count, label = connected_components(links, directed=False)
    # Values are sorted, so a component's first index holds its smallest value.
    smallest = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, label, np.arange(n))
    return dict(zip(values.tolist(), values[smallest[label]].tolist(), strict=True))
