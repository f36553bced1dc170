"""Streaming benchmark: a long history, then the rest replayed through the inbox.

    .venv/bin/python bench/stream.py                                   # small (make bench)
    .venv/bin/python bench/stream.py --preset medium --batch-sessions 18000
    .venv/bin/python bench/stream.py --preset seed10 --batch-sessions 10000

A generated data set is cut in time (app.synth.replay): the first
`--history` share of its sessions is bulk-loaded into a managed server of its
own and detected in full; the rest is cut into batches of about
`--batch-sessions` sessions, each with the account rows as they stood then
(a ban appears in the batch in which it happened). `hydrascope watch` runs in
a child process; each batch is copied into the inbox (under a dot name, then
renamed, with a READY file) once the watcher has finished the one before.

Printed per batch: sessions, accounts in the batch, the watcher's load,
incremental detection and alert times, the delay from the batch's arrival to
its alerts, and what the incremental run did. Then the accuracy of
attachment against the labels (new hydra heads of networks the history run
knew, with at least 3 sessions by the end, in a flagged network that is
mostly their own planted network; new benign accounts with at least 3
sessions in any flagged network), and the account F1 of the assignments
after the replay beside a full detection run over the same data.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from queue import Empty, Queue
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.synth.generator import generate  # noqa: E402
from app.synth.replay import READY, Batch, Replay, split  # noqa: E402
from bench.common import ENTRY_POINT, bench_server, run_measured  # noqa: E402

MIN_SESSIONS = 3


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def export(env: dict[str, str], out: Path) -> dict[str, str | None]:
    """account -> the flagged network it is in (None when in none)."""
    run_measured(["export", "assignments", str(out)], env)
    return {r["account_id"]: (r["network"] or None) if r["flagged"] == "true" else None
            for r in read_csv(out)}


def f1(assigned: dict[str, str | None], hydra: set[str]) -> tuple[float, float, float]:
    flagged = {a for a, n in assigned.items() if n}
    tp = len(flagged & hydra)
    p, r = tp / max(len(flagged), 1), tp / max(len(hydra), 1)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class Watcher:
    """`hydrascope watch INBOX --json` in a child; its batch lines as they come."""

    def __init__(self, inbox: Path, env: dict[str, str]):
        self.lines: Queue[dict[str, Any]] = Queue()
        self.ready = threading.Event()
        self.said: list[str] = []
        self.child = subprocess.Popen(
            [str(ENTRY_POINT), "watch", str(inbox), "--json", "--interval", "0.2",
             "--settle", "3600"], env=env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_said, daemon=True).start()
        # Batches arrive once it watches (its start-up is not a batch's delay).
        if not self.ready.wait(300):
            self.stop()
            raise SystemExit("the watcher did not start: " + "".join(self.said))

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def _read_said(self) -> None:
        assert self.child.stderr is not None
        for line in self.child.stderr:
            self.said.append(line)
            if line.startswith("watching"):
                self.ready.set()

    def next(self, timeout: float) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=timeout)
        except Empty:
            self.stop()
            raise SystemExit("the watcher reported no batch in time: "
                             + "".join(self.said)) from None

    def stop(self) -> None:
        self.child.terminate()
        try:
            self.child.wait(60)
        except subprocess.TimeoutExpired:
            self.child.kill()


def drop(batch: Batch, inbox: Path) -> float:
    """Copy a batch into the inbox as the contract asks (a dot name, then a
    rename); the moment it arrived."""
    hidden = inbox / f".{batch.name}"
    hidden.mkdir()
    for path in batch.path.iterdir():
        if path.name != READY:
            shutil.copyfile(path, hidden / path.name)
    (hidden / READY).touch()
    arrived = time.time()
    os.utime(hidden / READY, (arrived, arrived))
    hidden.rename(inbox / batch.name)
    return arrived


def attachment(replay: Replay, labels: dict[str, dict[str, str]], sessions: Counter[str],
               history: dict[str, str | None], assigned: dict[str, str | None]
               ) -> dict[str, Any]:
    """Accuracy of attachment for the accounts that arrived in the batches:
    heads in a flagged network mostly of their own planted network, and heads
    in the network the history run put most of their planted network in (the
    one the detector knows their operator by, even when it holds another
    planted network too)."""
    homes: dict[str, Counter[str]] = defaultdict(Counter)
    for account, network in history.items():
        if network and labels[account]["label"] == "hydra":
            homes[labels[account]["network"]][network] += 1
    # planted networks the history run flagged some of -> the network holding most
    home = {planted: c.most_common(1)[0][0] for planted, c in homes.items()}
    arrived = {a for b in replay.batches for a in b.new_accounts}
    planted_of: dict[str, Counter[str]] = defaultdict(Counter)
    for account, network in assigned.items():
        if network:
            planted_of[network][labels[account]["network"] or "-"] += 1
    owner = {n: c.most_common(1)[0][0] for n, c in planted_of.items()}
    heads = [a for a in arrived if labels[a]["label"] == "hydra"
             and labels[a]["network"] in home and sessions[a] >= MIN_SESSIONS]
    right = [a for a in heads
             if (network := assigned.get(a)) and owner[network] == labels[a]["network"]]
    with_siblings = [a for a in heads if assigned.get(a) == home[labels[a]["network"]]]
    others = [a for a in arrived if labels[a]["label"] == "hydra"
              and labels[a]["network"] not in home and sessions[a] >= MIN_SESSIONS]
    benign = [a for a in arrived if labels[a]["label"] != "hydra" and sessions[a] >= MIN_SESSIONS]
    wrong = [a for a in benign if assigned.get(a)]
    missed = Counter((labels[a]["network"], owner.get(assigned.get(a) or "", "none"))
                     for a in heads if a not in set(right))
    return {"missed": {f"{own}->{to}": n for (own, to), n in sorted(missed.items())},
            "new_heads": len(heads), "attached_right": len(right),
            "recall": len(right) / len(heads) if heads else None,
            "with_siblings": len(with_siblings),
            "recall_siblings": len(with_siblings) / len(heads) if heads else None,
            "heads_of_networks_unknown_before": len(others),
            "of_those_flagged": sum(1 for a in others if assigned.get(a)),
            "new_benign": len(benign), "benign_attached": len(wrong),
            "benign_rate": len(wrong) / len(benign) if benign else None}


def _rounded(value: float | None, digits: int) -> float | None:
    return value if value is None else round(value, digits)


def behind(labels: dict[str, dict[str, str]], streamed: dict[str, str | None],
           full: dict[str, str | None]) -> dict[str, tuple[int, float, float]]:
    """Planted networks whose flagged share after the replay is at least five
    points under a full run's: network -> (size, replay share, full share)."""
    members: dict[str, list[str]] = defaultdict(list)
    for account, row in labels.items():
        if row["label"] == "hydra" and row["network"]:
            members[row["network"]].append(account)
    found = {}
    for network, accounts in sorted(members.items()):
        a = sum(1 for x in accounts if streamed.get(x)) / len(accounts)
        b = sum(1 for x in accounts if full.get(x)) / len(accounts)
        if b - a >= 0.05:
            found[network] = (len(accounts), round(a, 2), round(b, 2))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small",
                        choices=["tiny", "small", "medium", "large", "seed10"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--randomize", type=int, default=None, metavar="ACCOUNTS",
                        help="a randomized data set of this many accounts instead of a preset "
                             "(hydra share and every camouflage knob drawn from the seed)")
    parser.add_argument("--history", type=float, default=0.7,
                        help="share of the sessions, in time order, loaded before the replay")
    parser.add_argument("--batch-sessions", type=int, default=10_000)
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--data-root", type=Path, default=None,
                        help="keep the generated data here (reused when present)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hydrascope-stream-") as tmp:
        root = Path(tmp)
        name = f"random{args.randomize}" if args.randomize else args.preset
        data = (args.data_root or root) / f"{name}-{args.seed}"
        if not (data / "labels.csv").exists():
            if args.randomize:
                generate(data, accounts=args.randomize, seed=args.seed, randomize=True)
            else:
                generate(data, seed=args.seed, preset=args.preset)
        replay = split(data, root / "replay", history_share=args.history,
                       batch_sessions=args.batch_sessions, max_batches=args.max_batches)
        labels = {r["account_id"]: r for r in read_csv(data / "labels.csv")}
        hydra = {a for a, r in labels.items() if r["label"] == "hydra"}
        print(f"{name} (seed {args.seed}): history {replay.history_sessions:,} sessions "
              f"before {replay.cut}, {len(replay.batches)} batches of up to "
              f"{args.batch_sessions:,}", flush=True)
        figures: dict[str, Any] = {"data": name, "seed": args.seed,
                                   "history_sessions": replay.history_sessions,
                                   "cut": replay.cut, "batches": []}
        with bench_server(root / "server") as (_settings, env):
            _r, seconds, _peak = run_measured(["load", "--bulk", str(replay.history), "--json"],
                                              env)
            print(f"history bulk-loaded in {seconds:.1f}s", flush=True)
            result, seconds, peak = run_measured(["detect", "--json"], env)
            full = json.loads(result.stdout)
            print(f"full detection of the history: {seconds:.1f}s, peak {peak:,.0f} MiB, "
                  f"{full['flagged_networks']} suspected networks", flush=True)
            history = export(env, root / "history.csv")
            inbox = root / "inbox"
            inbox.mkdir()
            watcher = Watcher(inbox, env)
            print("batch  sessions accounts   load  detect alerts  to-alerts  bench-seen  "
                  "changed attached new-nets")
            try:
                for batch in replay.batches:
                    arrived = drop(batch, inbox)
                    line = watcher.next(timeout=1800)
                    seen = time.time() - arrived
                    t = line.get("timings", {})
                    d = line.get("detection", {})
                    row = {"batch": batch.name, "sessions": batch.sessions,
                           "accounts": batch.accounts, "load": t.get("load"),
                           "detect": t.get("detect"), "alerts": t.get("alerts"),
                           "to_alerts": t.get("to_alerts"), "seen": round(seen, 3),
                           "waited": t.get("waited"), "banned_alerts": t.get("banned_alerts"),
                           "changed": d.get("changed"), "attached": d.get("attached"),
                           "new_networks": d.get("new_networks"),
                           "alert_kinds": dict(Counter(a["kind"] for a in line["alerts"])),
                           "status": line["status"], "detect_status": d.get("status"),
                           "read": d.get("read")}
                    figures["batches"].append(row)
                    print(f"{batch.name:>5} {batch.sessions:>9,} {batch.accounts:>8,} "
                          f"{row['load'] or 0:>6.1f} {row['detect'] or 0:>7.1f} "
                          f"{row['alerts'] or 0:>6.2f} {row['to_alerts'] or 0:>10.1f} "
                          f"{seen:>11.1f} {row['changed'] or 0:>8,} {row['attached'] or 0:>8,} "
                          f"{row['new_networks'] or 0:>8,}", flush=True)
            finally:
                watcher.stop()
            sessions = Counter(r["account_id"] for r in read_csv(data / "sessions.csv"))
            streamed = export(env, root / "streamed.csv")
            figures["attachment"] = attachment(replay, labels, sessions, history, streamed)
            _r, seconds, peak = run_measured(["detect", "--json"], env)
            refreshed = export(env, root / "full.csv")
            figures["full_detect_seconds"] = round(seconds, 1)
        rows = figures["batches"]
        for name in ("to_alerts", "detect", "load"):
            values = [r[name] for r in rows if r[name] is not None]
            if values:
                figures[f"median_{name}"] = round(statistics.median(values), 2)
                figures[f"max_{name}"] = round(max(values), 2)
        figures["streamed"] = dict(zip(("precision", "recall", "f1"), f1(streamed, hydra),
                                       strict=True))
        figures["full"] = dict(zip(("precision", "recall", "f1"), f1(refreshed, hydra),
                                   strict=True))
        figures["behind_full"] = behind(labels, streamed, refreshed)
        s, f = figures["streamed"], figures["full"]
        figures["f1_gap"] = round(f["f1"] - s["f1"], 4)
        a = figures["attachment"]
        print(f"median arrival-to-alerts {figures.get('median_to_alerts')}s "
              f"(max {figures.get('max_to_alerts')}s); incremental detection median "
              f"{figures.get('median_detect')}s (max {figures.get('max_detect')}s); load median "
              f"{figures.get('median_load')}s")
        print(f"new heads of known networks (>= {MIN_SESSIONS} sessions): {a['new_heads']:,}, "
              f"attached to their own network {a['attached_right']:,} (recall "
              f"{_rounded(a['recall'], 3)}), to the network "
              f"the history run put their siblings in {a['with_siblings']:,} (recall "
              f"{_rounded(a['recall_siblings'], 3)}); "
              f"new benign accounts {a['new_benign']:,}, attached {a['benign_attached']:,} "
              f"({_rounded(a['benign_rate'], 4)}); "
              f"missed (own network -> where): {a['missed']}; "
              f"heads of networks the history run did not know: "
              f"{a['heads_of_networks_unknown_before']:,} ({a['of_those_flagged']:,} flagged)")
        print(f"after the replay: P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.4f}; "
              f"a full run over the same data: P {f['precision']:.3f} R {f['recall']:.3f} "
              f"F1 {f['f1']:.4f} ({figures['full_detect_seconds']}s); gap {figures['f1_gap']:+.4f}")
        if figures["behind_full"]:
            print("planted networks the replay flags less of than a full run (share flagged, "
                  "replay -> full): " + ", ".join(
                      f"{n} ({size}) {a:.2f} -> {b:.2f}"
                      for n, (size, a, b) in figures["behind_full"].items()))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
