"""Near-duplicate prompt templates: SimHash families by banded LSH.

Each 64-bit fingerprint is cut into bands under two bit orders (contiguous
and interleaved); fingerprints that agree exactly on a band land in one
bucket and are compared only there, so near duplicates meet without
comparing all pairs. Two fingerprints within `max_distance` bits join one
family (union-find), so a family is a template with all its variants.
"""

from __future__ import annotations

from collections.abc import Iterable

BAND_BITS = (21, 21, 22)
MAX_DISTANCE = 8  # unrelated prompts differ in about 32 of 64 bits; variants in a few
REPRESENTATIVES = 8  # compared per bucket; enough for a family and its outliers


def _interleave_tables() -> list[list[tuple[int, int, int]]]:
    """Per byte of a fingerprint and byte value: its bits' share of the three
    interleaved bands (band b holds every bit whose position % 3 == b)."""
    tables = []
    for byte in range(8):
        table = []
        for value in range(256):
            parts = [0, 0, 0]
            for k in range(8):
                if value >> k & 1:
                    bit = 8 * byte + k
                    parts[bit % 3] |= 1 << (bit // 3)
            table.append((parts[0], parts[1], parts[2]))
        tables.append(table)
    return tables


_TABLES = _interleave_tables()


def band_keys(fingerprint: int) -> list[tuple[int, int]]:
    """The (band number, band value) keys of one fingerprint: three contiguous
    bands and three interleaved ones."""
    keys = []
    shift = 0
    for number, bits in enumerate(BAND_BITS):
        keys.append((number, (fingerprint >> shift) & ((1 << bits) - 1)))
        shift += bits
    b0 = b1 = b2 = 0
    for byte, table in enumerate(_TABLES):
        p0, p1, p2 = table[(fingerprint >> (8 * byte)) & 0xFF]
        b0 |= p0
        b1 |= p1
        b2 |= p2
    keys += [(3, b0), (4, b1), (5, b2)]
    return keys


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def template_families(fingerprints: Iterable[int],
                      max_distance: int = MAX_DISTANCE) -> dict[int, int]:
    """Map each distinct fingerprint to its family (the smallest fingerprint in it)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb

    buckets: dict[tuple[int, int], list[int]] = {}
    for fp in fingerprints:
        if fp in parent:
            continue
        parent[fp] = fp
        for key in band_keys(fp):
            reps = buckets.get(key)
            if reps is None:
                buckets[key] = [fp]
                continue
            matched = False
            for rep in reps:
                if hamming(fp, rep) <= max_distance:
                    union(fp, rep)
                    matched = True
                    break
            if not matched and len(reps) < REPRESENTATIVES:
                reps.append(fp)
    return {fp: find(fp) for fp in parent}
