"""Co-activity: accounts that start sessions in the same short time windows, repeatedly.

Operators of a hydra network drive many accounts from one scheduler, so the
accounts come alive together, window after window. One shared window means
nothing: thousands of real users are active at a busy hour, and a class or an
evaluation team works at the same time once in a while. So a pair of accounts
is linked only when

- the windows they share are quiet ones: a window with more than `cap`
  active accounts is dropped whole (it says nothing about any one pair, and
  expanding it would cost a clique). `cap` is derived from the data: the
  largest population whose windows, expanded into pairs, stay within
  `pair_budget` pairs per account-window link, so this step is linear in
  the sessions whatever the traffic looks like; never above `hub_size`;
- they share at least `min_shared` of them;
- that many shared windows is improbable by chance. Chance: an account that
  met `m_a` others over its quiet windows met b each time with b's share of
  all quiet activity, `k_b / K` (k_b: b's quiet windows, K: everyone's), so
  they meet about `m_a * k_b / K` times (the larger of the two directions),
  as a Poisson count. A pair is kept when
  its tail probability, times the number of pairs of active accounts (a
  Bonferroni bound over every pair that could have met: at most about
  `alpha` pairs of the whole data kept by chance), stays below `alpha`.
  Heavy users meet everyone more often, and only repetition beyond that
  counts; no threshold is fitted to one data set.

Windows come in two grids, aligned and shifted by half a window, so lockstep
across a window boundary is not missed; a pair's count and weight are those of
the grid where it is strongest (adding them would count each meeting twice).

A kept pair's weight is the resource-allocation sum over its shared windows,
1 / (population - 1) each, like every other shared entity, so it grows with
each further window the pair shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.detect.arrays import run_starts, sum_by_key

WINDOW_SECONDS = 600
# Terms of the Poisson tail summed past the observed count: the tail is only
# ever tested where the mean is far below the count, where it converges fast.
TAIL_TERMS = 40


@dataclass
class CoactivityParams:
    enabled: bool = True
    window_seconds: int = WINDOW_SECONDS
    min_shared: int = 2
    alpha: float = 0.05
    pair_budget: float = 4.0
    hub_size: int = 200


@dataclass
class Coactivity:
    """Significant co-active pairs (lo < hi) and the windows behind them."""

    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray  # resource-allocation sums (times no base weight)
    shared: np.ndarray  # shared quiet windows per pair
    # "grid|window" -> the accounts of kept pairs active in it (for evidence)
    windows: dict[str, list[int]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


def _flatten(starts: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Every session start as (account, time) arrays."""
    counts = np.fromiter((len(times) for times in starts.values()), dtype=np.int64,
                         count=len(starts))
    accounts = np.repeat(np.fromiter(starts.keys(), dtype=np.int64, count=len(starts)), counts)
    times = np.fromiter((t for times in starts.values() for t in times), dtype=np.int64,
                        count=int(counts.sum()))
    return accounts, times


def _windows_of(flat: tuple[np.ndarray, np.ndarray], window_seconds: int, shift: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(account, window) links, one per account and window it started a session in."""
    accounts, times = flat
    if times.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    windows = (times + shift) // window_seconds
    low = int(windows.min())
    span = int(windows.max()) - low + 1
    links = np.sort(accounts * span + (windows - low))
    links = links[run_starts(links)]
    return links // span, links % span + low


def quiet_cap(populations: np.ndarray, pair_budget: float, hub_size: int) -> int:
    """The largest window population whose windows, as cliques, stay within
    `pair_budget` pairs per account-window link (and at most `hub_size`)."""
    if populations.size == 0:
        return 0
    sizes, counts = np.unique(populations, return_counts=True)
    pairs = np.cumsum(counts * sizes * (sizes - 1) / 2)
    allowed = pair_budget * float(populations.sum())
    fits = sizes[(pairs <= allowed) & (sizes <= hub_size)]
    return int(fits.max()) if fits.size else 1


def poisson_tail(mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """P(X >= count) for X ~ Poisson(mean), elementwise; exact enough where it is
    small (mean well below count), which is the only place it is compared."""
    mean = np.maximum(mean, 1e-300)
    top = int(count.max()) + TAIL_TERMS if count.size else 0
    log_factorial = np.array([math.lgamma(k + 1) for k in range(top + 1)])
    total = np.zeros(mean.shape)
    log_mean = np.log(mean)
    for extra in range(TAIL_TERMS):
        k = count + extra
        total += np.exp(-mean + k * log_mean - log_factorial[k])
    return np.minimum(total, 1.0)


def _grid_pairs(accounts: np.ndarray, windows: np.ndarray, size: int,
                params: CoactivityParams
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Per grid: the pairs that met in at least `min_shared` quiet windows (keys,
    shared counts, weight sums, tail probabilities); the cap; and how many
    pairs met at all."""
    # Links by window, accounts ascending inside one (they come by account).
    order = np.argsort(windows, kind="stable")
    acc, win = accounts[order], windows[order]
    starts = run_starts(win)
    population = np.diff(np.r_[starts, win.size])
    cap = quiet_cap(population, params.pair_budget, params.hub_size)
    quiet = np.repeat(population <= cap, population)
    acc, win = acc[quiet], win[quiet]
    starts = run_starts(win)
    sizes = np.diff(np.r_[starts, win.size])
    src_parts, dst_parts, w_parts = [], [], []
    # Windows of one population are expanded together, as in the projection.
    for n in np.unique(sizes[sizes >= 2]):
        firsts = starts[sizes == n]
        matrix = acc[firsts[:, None] + np.arange(n)]
        upper_i, upper_j = np.triu_indices(int(n), 1)
        src_parts.append(matrix[:, upper_i].ravel())
        dst_parts.append(matrix[:, upper_j].ravel())
        w_parts.append(np.full(firsts.size * upper_i.size, 1.0 / (n - 1)))
    if not src_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0), cap, 0
    src, dst, wts = np.concatenate(src_parts), np.concatenate(dst_parts), np.concatenate(w_parts)
    pair_keys, weight, shared = sum_by_key([src * size + dst], [wts])
    # Chance meetings: a met `met[a]` others over its quiet windows; each of those
    # is b with b's share of all quiet activity. Taking the larger direction is
    # the cautious choice; a ring's meetings among itself raise `met` only
    # linearly, so a small ring cannot explain itself away.
    met = np.bincount(src, minlength=size) + np.bincount(dst, minlength=size)
    active = np.bincount(acc, minlength=size)
    # Only pairs that met often enough are tested (most met once).
    often = shared >= params.min_shared
    pair_keys, shared, weight = pair_keys[often], shared[often], weight[often]
    a, b = pair_keys // size, pair_keys % size
    mean = np.maximum(met[a] * active[b], met[b] * active[a]) / float(acc.size)
    tail = poisson_tail(mean, shared)
    return pair_keys, shared, weight, tail, cap, int(often.size)


def coactive_pairs(starts: dict[int, list[int]], size: int,
                   params: CoactivityParams | None = None) -> Coactivity:
    """Pairs of accounts active together in quiet windows more often than chance
    (see the module docstring). `starts`: account -> session start times (s)."""
    params = params or CoactivityParams()
    stats: dict[str, int] = {}
    best: dict[int, tuple[int, float]] = {}
    grids = (0, params.window_seconds // 2)
    per_grid = []
    candidates = 0
    active = sum(1 for times in starts.values() if times)
    hypotheses = max(active * (active - 1) / 2, 1.0)
    flat = _flatten(starts)
    for grid, shift in enumerate(grids):
        accounts, windows = _windows_of(flat, params.window_seconds, shift)
        keys, shared, weight, tail, cap, met = _grid_pairs(accounts, windows, size, params)
        stats[f"coactivity_cap_{grid}"] = cap
        candidates += met
        per_grid.append((keys, shared, weight, tail))
    # Each pair is tested once per grid: the bound covers both.
    for keys, shared, weight, tail in per_grid:
        keep = (shared >= params.min_shared) & (tail * 2 * hypotheses <= params.alpha)
        for key, count, w in zip(keys[keep].tolist(), shared[keep].tolist(),
                                 weight[keep].tolist(), strict=True):
            if key not in best or w > best[key][1]:
                best[key] = (count, w)
    stats["coactivity_candidates"] = candidates
    stats["coactivity_pairs"] = len(best)
    ordered = sorted(best)
    keys_arr = np.asarray(ordered, dtype=np.int64)
    counts = np.asarray([best[k][0] for k in ordered], dtype=np.int64)
    weights = np.asarray([best[k][1] for k in ordered], dtype=np.float64)
    sources, targets = keys_arr // max(size, 1), keys_arr % max(size, 1)
    return Coactivity(sources, targets, weights, counts,
                      _evidence_windows(starts, sources, targets, params), stats)


def _evidence_windows(starts: dict[int, list[int]], sources: np.ndarray, targets: np.ndarray,
                      params: CoactivityParams) -> dict[str, list[int]]:
    """The aligned windows in which accounts of kept pairs met: what an
    investigator checks. Only the kept pairs' accounts are walked."""
    if sources.size == 0:
        return {}
    involved = set(sources.tolist()) | set(targets.tolist())
    partners: dict[int, set[int]] = {}
    for a, b in zip(sources.tolist(), targets.tolist(), strict=True):
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    by_window: dict[int, set[int]] = {}
    for account in involved:
        for w in {t // params.window_seconds for t in starts.get(account, ())}:
            by_window.setdefault(w, set()).add(account)
    windows: dict[str, list[int]] = {}
    for w, members in by_window.items():
        linked = sorted(m for m in members if partners[m] & members)
        if len(linked) > 1:
            windows[str(w * params.window_seconds)] = linked
    return windows
