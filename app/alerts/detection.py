"""Alerts from an incremental detection run: what a batch did to the networks.

- `new_head`: accounts attached to a suspected network that signed up after
  some of its members were banned (the detector's definition of new heads),
  one alert per network and run.
- `network_growth`: a suspected network has grown by more than
  `HYDRASCOPE_ALERT_GROWTH` (a share, 10% by default) since the full run its
  chain builds on; once per network and full run.
- `new_network`: new accounts that score as a network together, or a network
  whose members' new activity makes it score as one; once per network and run.
"""

from __future__ import annotations

from app.alerts import Alert, names, new_alert, store_all
from app.db.graph import Graph
from app.detect.incremental import IncrementalResult, NetworkChange


def raise_detection_alerts(graph: Graph, result: IncrementalResult, batch: str,
                           load_id: str | None, growth: float | None = None
                           ) -> list[Alert]:
    """The alerts of one incremental run, stored (and queued for the webhook)."""
    if result.run_id is None or result.status != "complete":
        return []
    share = graph.settings.alert_growth if growth is None else growth
    alerts: list[Alert] = []
    entities: list[tuple[str | None, str | None]] = []
    base = graph.read("alerts/run_base", run_id=result.run_id)
    base_run = base[0]["base"] if base else None
    sizes = {row["network_id"]: row["size"] for row in graph.read(
        "alerts/base_sizes", run_id=base_run,
        network_ids=[c.network_id for c in result.networks if not c.new])} if base_run else {}
    for change in result.networks:
        if change.new_heads and change.flagged and not change.new:
            alert = new_alert("new_head", change.network_id, change.new_heads,
                              [_heads_sentence(change, result.run_id)], batch, load_id)
            alerts.append(alert)
            entities.append(("run", result.run_id))
        if change.new or change.promoted:
            alert = new_alert("new_network", change.network_id,
                              change.attached if change.new else change.flagged_again,
                              [_network_sentence(change), *change.reasons], batch, load_id)
            alerts.append(alert)
            entities.append(("run", result.run_id))
        before = sizes.get(change.network_id)
        if (change.flagged and not change.new and before and change.size > before
                and (change.size - before) / before > share and base_run is not None
                and not graph.read("alerts/growth_raised", network_id=change.network_id,
                                   base_run=base_run)):
            alert = new_alert("network_growth", change.network_id, change.attached,
                              [_growth_sentence(change, before, share)], batch, load_id)
            alerts.append(alert)
            entities.append(("base_run", base_run))
    store_all(graph, alerts, entities)
    return alerts


def _heads_sentence(change: NetworkChange, run_id: str) -> str:
    heads = change.new_heads
    verb = "account signed" if len(heads) == 1 else "accounts signed"
    return (f"{len(heads)} {verb} up after members of suspected network {change.network_id} "
            f"were banned and joined it ({names(heads)}); it has {change.size:,} accounts "
            f"now (incremental run {run_id})")


def _network_sentence(change: NetworkChange) -> str:
    if change.new:
        return (f"{change.size:,} new accounts score as a network together "
                f"({names(change.attached)})")
    return (f"network {change.network_id} ({change.size:,} accounts) scores as a suspected "
            "network now, after new activity of its members")


def _growth_sentence(change: NetworkChange, before: int, share: float) -> str:
    grown = (change.size - before) / before
    joined = f"; {len(change.attached)} joined in this batch ({names(change.attached)})" \
        if change.attached else ""
    return (f"suspected network {change.network_id} grew from {before:,} to {change.size:,} "
            f"accounts (+{grown:.0%}, more than {share:.0%}) since its last full detection "
            f"run{joined}")
