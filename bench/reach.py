"""How far linking accounts can reach on a sweep's cached data sets.

    .venv/bin/python bench/reach.py /tmp/sweep2     # a dir from evaluate --evidence-cache

An account that shares nothing with any other (no address, card, device, key,
template family, domain or co-activity strong enough for a link) has no edge
in the projection, and no community holds it. For each cached set this prints
the networks of 20 or more accounts whose unlinked heads alone keep them under
the sweep's 90% recovery bar, and at the end how many sets that rules out of
the "every network recovered" target, whatever the scoring does.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.detect.project import project  # noqa: E402
from app.detect.run import DetectParams  # noqa: E402
from app.evaluation.sweep import read_cached  # noqa: E402

# The sweep's bar: a network counts as recovered with 90% of it in one flagged network.
RECOVERED = 0.9
MIN_NETWORK = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path, help="an --evidence-cache directory")
    args = parser.parse_args()
    params = DetectParams()
    sets = out_of_reach = 0
    for path in sorted(args.cache.glob("*.evidence.pickle")):
        cached = read_cached(path.with_name(path.name.removesuffix(".evidence.pickle")))
        if cached is None:
            continue
        sets += 1
        evidence, labels = cached.evidence, cached.labels
        projection = project(evidence, params.projection)
        degree = np.bincount(np.r_[projection.sources, projection.targets],
                             minlength=projection.size)
        size: Counter[str] = Counter()
        unlinked: Counter[str] = Counter()
        for i, account in enumerate(evidence.account_ids):
            network = labels.network.get(account)
            if network:
                size[network] += 1
                unlinked[network] += int(degree[i] == 0)
        beyond = [f"{n} {unlinked[n]} of {size[n]} unlinked" for n in sorted(size)
                  if size[n] >= MIN_NETWORK and size[n] - unlinked[n] < RECOVERED * size[n]]
        out_of_reach += bool(beyond)
        print(f"seed {cached.seed}: " + ("; ".join(beyond) if beyond else "every network in reach"),
              flush=True)
    print(f"{out_of_reach} of {sets} sets have a network of {MIN_NETWORK}+ that linking cannot "
          f"recover to {RECOVERED:.0%}")


if __name__ == "__main__":
    main()
