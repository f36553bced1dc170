"""Sharing benchmark: publishing a large confirmed network, and pulling and matching
a partner's collection of many indicators, on a generated preset.

    .venv/bin/python bench/sharing.py                        # small
    .venv/bin/python bench/sharing.py --preset seed10 --data-root /tmp/benchdata

The preset is generated (or reused from --data-root), bulk-loaded into a
managed server of its own and detected, as on a working instance. Then, in
this process:

1. A case on `--network-accounts` accounts of the largest planted network is
   confirmed, which publishes it to the default collection: the time of that
   publication (the case's content, ASNs and domains read, the STIX built,
   the versions written).
2. A partner collection of `--indicators` indicators is made from the data
   (addresses in and out of the graph, /24 prefixes, autonomous systems,
   prompt templates a few bits off ours, user agents, and payment tokens and
   devices as keyed hashes, a third of them of values we do not hold), stored
   as a second collection, served by the app over HTTP, and pulled with
   `hydrascope intel pull`'s code path (taxii2-client, pages of 1,000):
   the time from the first request to the matches written, and what matched.
3. A fiftieth as many indicators more are added to the collection and pulled
   again: the time of a pull that reads only what was added since.

Printed: seconds per step, objects and matches, and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ENTRY_POINT, bench_server  # noqa: E402

KEY = "benchmark-sharing-key-0123456789"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-root", type=Path, default=None,
                        help="Reuse (or keep) the generated data set in DATA_ROOT/PRESET-SEED.")
    parser.add_argument("--network-accounts", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hydrascope-bench-sharing-") as tmp:
        root = Path(tmp)
        data = (args.data_root or root) / f"{args.preset}-{args.seed}"
        if not (data / "sessions.csv").exists():
            _run("generate", str(data), "--preset", args.preset, "--seed", str(args.seed))
        with bench_server(root) as (settings, env):
            began = time.monotonic()
            _run("load", str(data), "--bulk", "--json", env=env)
            print(f"bulk load: {time.monotonic() - began:.1f}s", flush=True)
            # A working instance has detected before its cases are decided and
            # partners' feeds pulled (and holds the graph in its page cache).
            began = time.monotonic()
            _run("detect", env=env)
            print(f"detect: {time.monotonic() - began:.1f}s", flush=True)
            _measure(settings.model_copy(update={"sharing_key": KEY}), data, args)


def _run(*argv: str, env: dict[str, str] | None = None) -> None:
    import subprocess

    done = subprocess.run([str(ENTRY_POINT), *argv], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"hydrascope {' '.join(argv)} failed: {done.stderr.strip()}")


def _measure(settings: object, data: Path, args: argparse.Namespace) -> None:
    from app import cases
    from app.db.graph import Graph, create_driver
    from app.sharing.collections import ensure_collection
    from app.sharing.decisions import decide_case
    from app.sharing.intake import pull
    from app.sharing.partners import add_partner
    from app.sharing.publish import _store, publish_case
    from app.web.app import create_app
    from tests.conftest import served

    driver = create_driver(settings)  # type: ignore[arg-type]
    graph = Graph(driver, settings)  # type: ignore[arg-type]
    try:
        members = _largest_network(data)[:args.network_accounts]
        case_id = cases.create_from_accounts(graph, members, "Benchmark network", "bench")
        spent = _timed(graph)
        began = time.monotonic()
        decision = decide_case(graph, case_id, "bench", status="confirmed")
        published = decision.published
        assert published, decision.problem
        print(f"publish {len(members):,}-account confirmed network: "
              f"{time.monotonic() - began:.2f}s ({published.objects:,} objects, "
              f"{published.indicators:,} indicators)")
        _slowest("statements of the publication", spent)
        began = time.monotonic()
        republished = publish_case(graph, case_id, "bench")
        print(f"publish again, unchanged: {time.monotonic() - began:.2f}s "
              f"({republished.new_versions} new versions)")

        objects = _partner_objects(data, args.indicators)
        collection = ensure_collection(graph, "bench-partner")
        began = time.monotonic()
        _store(graph, collection["collection_id"], "bench", objects, datetime.now(UTC))
        print(f"store {len(objects):,} objects as a collection: {time.monotonic() - began:.1f}s")
        token = add_partner(graph, "Bench Partner", ["bench-partner"], "bench")
        spent.clear()
        with served(create_app(settings)) as url:  # type: ignore[arg-type]
            began = time.monotonic()
            intake = pull(graph, f"{url}/taxii2/", collection["collection_id"],
                          key=KEY.encode(), actor="bench", token=token)
            seconds = time.monotonic() - began
            _slowest("statements of the pull", spent)
            matched = ", ".join(f"{k} {n:,}" for k, n in sorted(intake.matched.items()))
            print(f"pull and match {intake.indicators:,} indicators: {seconds:.1f}s "
                  f"(matched: {matched}; {intake.accounts:,} of our accounts; "
                  f"alert {intake.alert_id})")
            more = _partner_objects(data, args.indicators // 50, seed=12)
            _store(graph, collection["collection_id"], "bench", more, datetime.now(UTC))
            began = time.monotonic()
            again = pull(graph, f"{url}/taxii2/", collection["collection_id"],
                         key=KEY.encode(), actor="bench", token=token)
            print(f"pull again after {len(more) - 1:,} more indicators: "
                  f"{time.monotonic() - began:.1f}s ({again.objects_read:,} objects read, "
                  f"{again.changed:,} new)")
    finally:
        driver.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MiB")


def _slowest(what: str, spent: dict[str, float]) -> None:
    print(f"  {what}: " + ", ".join(
        f"{name} {t:.2f}s" for name, t in sorted(spent.items(), key=lambda x: -x[1])[:6]))


def _timed(graph: object) -> dict[str, float]:
    """Seconds spent in each named statement of the graph from now on."""
    spent: dict[str, float] = {}
    for method in ("read", "write"):
        original = getattr(graph, method)

        def wrapped(statement: str, /, *a: object, _original: object = original,
                    **k: object) -> object:
            began = time.monotonic()
            try:
                return _original(statement, *a, **k)  # type: ignore[operator]
            finally:
                spent[statement] = spent.get(statement, 0.0) + time.monotonic() - began
        setattr(graph, method, wrapped)
    return spent


def _largest_network(data: Path) -> list[str]:
    by_network: dict[str, list[str]] = {}
    with open(data / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["network"]:
                by_network.setdefault(row["network"], []).append(row["account_id"])
    return sorted(max(by_network.values(), key=len))


def _partner_objects(data: Path, count: int, seed: int = 11) -> list[dict[str, object]]:
    """A partner's collection made from the data: indicators of every kind, a third
    of them of values we do not hold."""
    from app.sharing.stix import keyed_hash, pattern_for

    rng = random.Random(seed)
    ips, templates, agents, devices = set(), set(), set(), set()
    with open(data / "sessions.csv", newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i % 7:
                continue
            ips.add(row["ip"])
            if row.get("prompt_fingerprint"):
                templates.add(row["prompt_fingerprint"])
            if row.get("user_agent"):
                agents.add(row["user_agent"])
            if row.get("device_fingerprint"):
                devices.add(row["device_fingerprint"])
    with open(data / "accounts.csv", newline="", encoding="utf-8") as fh:
        payments = {r["payment_fingerprint"] for r in csv.DictReader(fh)
                    if r["payment_fingerprint"]}
    key = KEY.encode()
    share = {"ip": 0.5, "prefix": 0.05, "template": 0.2, "user_agent": 0.02,
             "payment": 0.12, "device": 0.11}
    values: list[tuple[str, str, bool]] = []
    for kind, pool in (("ip", ips), ("template", templates), ("user_agent", agents),
                       ("payment", payments), ("device", devices)):
        wanted = int(count * share[kind])
        held = rng.sample(sorted(pool), min(len(pool), wanted * 2 // 3))
        for value in held:
            if kind == "template":
                value = f"{int(value, 16) ^ (1 << rng.randrange(64)):016x}"
            values.append((kind, value, kind in ("payment", "device")))
        for _ in range(wanted - len(held)):
            made = {"ip": f"203.0.{rng.randrange(256)}.{rng.randrange(256)}",
                    "template": f"{rng.getrandbits(64):016x}",
                    "user_agent": f"Bench/{rng.randrange(10**6)}",
                    "payment": f"pm_none{rng.randrange(10**9)}",
                    "device": f"fp_none{rng.randrange(10**9)}"}[kind]
            values.append((kind, made, kind in ("payment", "device")))
    prefixes = sorted({ip.rsplit(".", 1)[0] + ".0/24" for ip in ips if "." in ip})
    values += [("prefix", p, False) for p in rng.sample(prefixes, min(len(prefixes),
                                                                      count - len(values)))]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    identity = f"identity--{uuid.uuid4()}"
    objects: list[dict[str, object]] = [{
        "type": "identity", "spec_version": "2.1", "id": identity, "created": now,
        "modified": now, "name": "Bench Partner", "identity_class": "organization"}]
    for kind, value, hashed in values[:count]:
        shown = keyed_hash(key, kind, value) if hashed else value
        objects.append({"type": "indicator", "spec_version": "2.1",
                        "id": f"indicator--{uuid.uuid4()}", "created": now, "modified": now,
                        "created_by_ref": identity, "pattern": pattern_for(kind, shown, hashed),
                        "pattern_type": "stix", "valid_from": now, "confidence": 70,
                        "indicator_types": ["malicious-activity"]})
    return objects


if __name__ == "__main__":
    main()
