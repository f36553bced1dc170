"""How far linking accounts can reach on a sweep's cached data sets.

    .venv/bin/python bench/reach.py /tmp/sweep2    # a dir from evaluate --evidence-cache
    .venv/bin/python bench/reach.py /tmp/sweep2 --behaviour

An account that shares nothing with any other (no address, card, device, key,
template family, domain or co-activity strong enough for a link) has no edge
in the projection, and no community holds it. For each cached set this prints
the networks of 20 or more accounts whose unlinked heads alone keep them under
the sweep's 90% recovery bar, and at the end how many sets that rules out of
the "every network recovered" target, whatever the scoring does.

With --behaviour it also detects each set and measures the one way left to
reach such heads: taking in, for each flagged network (three flagged members
or more), every account flagged nowhere that works as its flagged members do
(`Habits`), asks about their subjects (`asks_about`) and is halfway to the
extraction mark itself, linked or not. It prints how many accounts that would
take in: heads of that network, heads of another, and benign accounts.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.detect.evidence import Evidence  # noqa: E402
from app.detect.project import Projection, project  # noqa: E402
from app.detect.run import DetectParams, analyse  # noqa: E402
from app.detect.score import (  # noqa: E402
    HABIT_FLOOR,
    Habits,
    ScoringContext,
    asks_about,
    bucket_of,
    on_scripts,
    subjects_of,
)
from app.evaluation.labels import Labels  # noqa: E402
from app.evaluation.sweep import read_cached  # noqa: E402

# The sweep's bar: a network counts as recovered with 90% of it in one flagged network.
RECOVERED = 0.9
MIN_NETWORK = 20
# The fewest flagged members a network's habits are read from here.
MIN_BODY = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path, help="an --evidence-cache directory")
    parser.add_argument("--behaviour", action="store_true",
                        help="also measure attaching accounts on behaviour alone")
    args = parser.parse_args()
    params = DetectParams()
    sets = out_of_reach = 0
    taken: Counter[str] = Counter()
    for path in sorted(args.cache.glob("*.evidence.pickle")):
        cached = read_cached(path.with_name(path.name.removesuffix(".evidence.pickle")))
        if cached is None:
            continue
        sets += 1
        evidence, labels = cached.evidence, cached.labels
        projection = project(evidence, params.projection)
        beyond = unlinked_beyond(evidence, labels, projection)
        out_of_reach += bool(beyond)
        line = "; ".join(beyond) if beyond else "every network in reach"
        if args.behaviour:
            found = by_behaviour(evidence, labels, projection, params)
            taken.update(found)
            line += (f" | by behaviour: {found['same']} heads of the network, "
                     f"{found['other']} of another, {found['benign']} benign")
        print(f"seed {cached.seed}: {line}", flush=True)
    print(f"{out_of_reach} of {sets} sets have a network of {MIN_NETWORK}+ that linking cannot "
          f"recover to {RECOVERED:.0%}")
    if args.behaviour:
        print(f"by behaviour alone, over {sets} sets: {taken['same']} heads of the network, "
              f"{taken['other']} heads of another, {taken['benign']} benign accounts")


def unlinked_beyond(evidence: Evidence, labels: Labels, projection: Projection) -> list[str]:
    """The networks of MIN_NETWORK or more whose unlinked heads alone keep them
    under RECOVERED."""
    degree = np.bincount(np.r_[projection.sources, projection.targets],
                         minlength=projection.size)
    size: Counter[str] = Counter()
    unlinked: Counter[str] = Counter()
    for i, account in enumerate(evidence.account_ids):
        network = labels.network.get(account)
        if network:
            size[network] += 1
            unlinked[network] += int(degree[i] == 0)
    return [f"{n} {unlinked[n]} of {size[n]} unlinked" for n in sorted(size)
            if size[n] >= MIN_NETWORK and size[n] - unlinked[n] < RECOVERED * size[n]]


def by_behaviour(evidence: Evidence, labels: Labels, projection: Projection,
                 params: DetectParams) -> Counter[str]:
    """What attaching accounts on behaviour alone would take in (see the module
    docstring), counted as 'same', 'other' (network) and 'benign'."""
    analysis = analyse(evidence, params)
    ctx = ScoringContext.build(evidence, projection, params.scoring)
    flagged = np.zeros(evidence.size, dtype=bool)
    for m, (_score, is_flagged) in analysis.per_account.items():
        flagged[m] = is_flagged
    network = [labels.network.get(a) or None for a in evidence.account_ids]
    everyone = np.arange(evidence.size)
    scripted = on_scripts(ctx, everyone)
    sessions = ctx.hours.sum(axis=1)
    buckets = bucket_of(sessions)
    halfway = (0.5 + ctx.params.own_intent) / 2
    found: Counter[str] = Counter()
    for community in analysis.scored:
        body = [m for m in community.members if flagged[m]]
        habits = Habits.of(body, community.members, ctx) if len(body) >= MIN_BODY else None
        if not community.flagged or habits is None:
            continue
        theirs = Counter(network[m] for m in body).most_common(1)[0][0]
        value = habits.score(ctx.hours, scripted, ctx.ref.created, ctx.open_ended)
        bar = np.maximum(np.asarray(habits.bars)[buckets], HABIT_FLOOR)
        subjects = set(subjects_of(body, ctx))
        for m in np.flatnonzero(~flagged & (sessions > 0) & (value >= bar)
                                & (ctx.ref.own_intent >= halfway)):
            if asks_about(int(m), ctx, subjects):
                found["benign" if network[m] is None else
                      "same" if network[m] == theirs else "other"] += 1
    return found


if __name__ == "__main__":
    main()
