"""Small numpy steps the detection stages share."""

from __future__ import annotations

import numpy as np


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array begins."""
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def sum_by_key(key_parts: list[np.ndarray], weight_parts: list[np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys (ascending), the sum of each one's weights, added in
    the order given, and how many times each came. The parts are emptied as
    they are read, so that they are not held beside their sorted copies."""
    if not key_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    keys = np.concatenate(key_parts)
    key_parts.clear()
    weights = np.concatenate(weight_parts)
    weight_parts.clear()
    order = np.argsort(keys, kind="stable")
    keys, weights = keys[order], weights[order]
    del order
    first = run_starts(keys)
    return keys[first], np.add.reduceat(weights, first), np.diff(np.r_[first, keys.size])
