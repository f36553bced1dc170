"""Alerts: what a batch that just arrived says an investigator should look at.

Each alert has a kind, the network it concerns (none where there is none),
the accounts it names, evidence sentences, the batch that caused it, and a
status (open, acknowledged, closed) with who changed it last. Stored in the
graph as `(:Alert)-[:ABOUT]->(:Account)`.

Kinds: `banned_infrastructure` (new accounts of a batch share a device, a
payment token, an API key or a rarely shared address with banned accounts;
one alert per network of those banned accounts), and,
from the incremental detection run after each batch (app.alerts.detection),
`new_head` (accounts attached to a suspected network after some of its
members were banned), `network_growth` (a suspected network grew by more
than a set share since the full run its chain builds on) and `new_network`
(new accounts that score as a network together, or a network whose members'
new activity makes it score as one); and, from what partners share
(app.sharing.intake), `indicator_match` (our accounts use an address, device,
payment token, template or other entity a partner reported). Each new alert
is also POSTed to the webhook, when one is set (app.alerts.webhook).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app import audit
from app.auth.users import request_context
from app.db.graph import Graph
from app.errors import HydrascopeError
from app.kinds import kind_of
from app.paging import Page

STATUSES = ("open", "acknowledged", "closed")
KINDS = ("banned_infrastructure", "new_head", "network_growth", "new_network",
         "indicator_match")
# An address links a batch's accounts to banned ones only while at most this
# many accounts use it: a carrier NAT, a campus or an office exit is shared by
# strangers, a residential exit of a proxy pool by a few accounts at a time.
ADDRESS_ACCOUNTS = 20
NAMED = 5  # accounts named in one sentence before "and N more"


class AlertError(HydrascopeError):
    """An alert that does not exist, or a status it cannot take."""


@dataclass(frozen=True)
class Alert:
    alert_id: str
    kind: str
    network_id: str | None
    accounts: list[str]
    evidence: list[str]
    batch: str
    load_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "kind": self.kind, "network_id": self.network_id,
                "accounts": self.accounts, "evidence": self.evidence, "batch": self.batch,
                "load_id": self.load_id, "status": "open"}


def names(ids: list[str]) -> str:
    shown = ", ".join(ids[:NAMED])
    return shown + (f" and {len(ids) - NAMED} more" if len(ids) > NAMED else "")


# Entities named in one alert's evidence before "and N more".
SENTENCES = 10


def _sentence(kind: str, value: str, accounts: list[str], banned: list[str]) -> str:
    entity = kind_of(kind)
    noun = entity.noun if entity else kind
    # Payment tokens point at people: named by kind only (the alert links the accounts).
    what = f"a {noun}" if entity and entity.masked == "always" else f"{noun} {value}"
    users, verb = ("account", "uses") if len(accounts) == 1 else ("accounts", "use")
    return (f"{len(accounts)} new {users} of this batch ({names(accounts)}) {verb} {what}, "
            f"also used by {len(banned)} banned account{'' if len(banned) == 1 else 's'} "
            f"({names(banned)})")


def raise_banned_infrastructure(graph: Graph, load_id: str, batch: str,
                                run_id: str | None) -> list[Alert]:
    """The new accounts of a load on infrastructure of banned accounts: one alert
    per suspected network those banned accounts were flagged in by run `run_id`
    (per entity where they were in none), naming each account once ever, with
    a sentence per shared entity."""
    by_entity: dict[tuple[str, str], dict[str, Any]] = {}
    for row in graph.read("alerts/banned_infrastructure", load_id=load_id, run_id=run_id,
                          address_accounts=ADDRESS_ACCOUNTS):
        entry = by_entity.setdefault((row["kind"], row["value"]), {
            "accounts": set(), "banned": sorted(row["banned"]), "network": row["network"]})
        entry["accounts"].add(row["account"])
    groups: dict[tuple[str, str], list[tuple[tuple[str, str], dict[str, Any]]]] = {}
    for key, entry in sorted(by_entity.items()):
        group = ("network", entry["network"]) if entry["network"] else key
        groups.setdefault(group, []).append((key, entry))
    alerts: list[Alert] = []
    entities: list[tuple[str | None, str | None]] = []
    for (group_kind, group_value), entries in sorted(groups.items()):
        accounts = sorted({a for _key, e in entries for a in e["accounts"]})
        evidence = [_sentence(kind, value, sorted(e["accounts"]), e["banned"])
                    for (kind, value), e in entries[:SENTENCES]]
        if len(entries) > SENTENCES:
            evidence.append(f"and {len(entries) - SENTENCES} more entities of banned accounts")
        network = group_value if group_kind == "network" else None
        alerts.append(new_alert("banned_infrastructure", network, accounts, evidence, batch,
                                load_id))
        entities.append((None, None) if network else (group_kind, group_value))
    store_all(graph, alerts, entities)
    return alerts


def new_alert(kind: str, network_id: str | None, accounts: list[str], evidence: list[str],
              batch: str, load_id: str | None) -> Alert:
    return Alert(f"al-{uuid.uuid4().hex[:12]}", kind, network_id, sorted(accounts), evidence,
                 batch, load_id)


def store(graph: Graph, alert: Alert, entity_kind: str | None, entity: str | None,
          webhook: bool | None = None) -> None:
    """Write one alert (see store_all)."""
    store_all(graph, [alert], [(entity_kind, entity)], webhook)


def store_all(graph: Graph, alerts: list[Alert],
              entities: list[tuple[str | None, str | None]],
              webhook: bool | None = None) -> None:
    """Write alerts in one transaction (each linked to its accounts), queued for
    the webhook when one is set, and audit each."""
    if not alerts:
        return
    queued = graph.settings.alert_webhook is not None if webhook is None else webhook
    rows = [{"alert_id": a.alert_id, "kind": a.kind, "network_id": a.network_id,
             "accounts": a.accounts, "evidence": a.evidence, "batch": a.batch,
             "load_id": a.load_id, "entity_kind": entity_kind, "entity": entity,
             "webhook": "pending" if queued else None}
            for a, (entity_kind, entity) in zip(alerts, entities, strict=True)]
    graph.write("alerts/create_alerts", alerts=rows)
    for alert in alerts:
        audit.record(graph, "watch", "alert.raised", target=alert.alert_id,
                     details={"kind": alert.kind, "batch": alert.batch,
                              "accounts": len(alert.accounts)})


def list_alerts(graph: Graph, status: str | None = None, skip: int = 0,
                limit: int = 100, kind: str | None = None, network_id: str | None = None,
                assignee: str | None = None) -> list[dict[str, Any]]:
    """Alerts, newest first (of one status, kind, network and assignee when
    given; assignee '' for those assigned to nobody)."""
    return _alert_rows(graph, _filters(status, kind, network_id, assignee), skip, limit)[0]


def alerts_page(graph: Graph, *, status: str | None = None, kind: str | None = None,
                network_id: str | None = None, assignee: str | None = None,
                page: int = 1, per_page: int = 25) -> Page:
    """One page of alerts, newest first, with the number that match."""
    rows, total = _alert_rows(graph, _filters(status, kind, network_id, assignee),
                              (page - 1) * per_page, per_page)
    return Page(rows, page, per_page, total)


def _filters(status: str | None, kind: str | None, network_id: str | None,
             assignee: str | None) -> dict[str, str | None]:
    return {"status": status, "kind": kind, "network_id": network_id, "assignee": assignee}


def _alert_rows(graph: Graph, filters: dict[str, str | None], skip: int,
                limit: int) -> tuple[list[dict[str, Any]], int]:
    status, kind = filters["status"], filters["kind"]
    if status is not None and status not in STATUSES:
        raise AlertError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if kind is not None and kind not in KINDS:
        raise AlertError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    rows = graph.read("alerts/alerts", **filters, skip=skip, limit=limit)
    # Past the last page: still say how many match.
    total = rows[0]["total"] if rows else \
        graph.read("alerts/alert_count", **filters)[0]["total"]
    for row in rows:
        del row["total"]
    return rows, total


def assign(graph: Graph, alert_id: str, assignee: str | None, actor: str) -> str | None:
    """Assign an alert to an active login (None: to nobody), recorded with who
    did it and audited; whom it was assigned to before."""
    if assignee is not None and request_context(graph, assignee)[0] is None:
        raise AlertError(f"no active login {assignee!r} to assign the alert to")
    return _change(graph, "assign", alert_id, actor, assignee, assignee=assignee)


def webhook_problems(graph: Graph, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts the webhook did not take (retrying, or given up on), newest first."""
    return graph.read("alerts/webhook_problems", limit=limit)


def retry_webhook(graph: Graph, alert_id: str, actor: str) -> None:
    """Queue an alert the webhook gave up on again (audited)."""
    if not graph.write("alerts/webhook_retry", alert_id=alert_id):
        raise AlertError(f"alert {alert_id!r} is not one the webhook gave up on")
    audit.record(graph, actor, "alert.webhook_retry", target=alert_id)


def open_count(graph: Graph) -> int:
    """How many alerts are open."""
    return int(graph.read("alerts/open_count")[0]["open"])


def set_status(graph: Graph, alert_id: str, status: str, actor: str) -> str:
    """Move an alert to `status`, recorded with who did it (and audited); the status before."""
    if status not in STATUSES:
        raise AlertError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    return str(_change(graph, "status", alert_id, actor, status, status=status))


def _change(graph: Graph, what: str, alert_id: str, actor: str, to: str | None,
            **params: Any) -> Any:
    """Change an alert (alerts/set_status or alerts/assign), audited as
    `alert.<what>` from the value before to `to`; the value before."""
    statement = "alerts/set_status" if what == "status" else "alerts/assign"
    rows = graph.write(statement, alert_id=alert_id, actor=actor, **params)
    if not rows:
        raise AlertError(f"no alert {alert_id!r} (hydrascope alerts list shows them)")
    audit.record(graph, actor, f"alert.{what}", target=alert_id,
                 details={"from": rows[0]["before"], "to": to})
    return rows[0]["before"]
