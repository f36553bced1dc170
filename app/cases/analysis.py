"""Pure functions over a case's rows: shared infrastructure, activity, summary.

No database here: the service reads rows and hands them over, tests build
rows by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from app.kinds import CASE_KIND_OF_LINK, CASE_KINDS

# Relationship of an account to an entity -> the entity's kind in a case.
KIND_OF_LINK = CASE_KIND_OF_LINK
# A case's kinds (their stored spelling) and their column headings.
ENTITY_KINDS = tuple(CASE_KINDS)
KIND_LABELS = {name: kind.long_title for name, kind in CASE_KINDS.items()}
# Most entities of one kind kept in a case's automatic infrastructure.
PER_KIND = 150


def shared_infrastructure(links: Iterable[dict[str, Any]], members: int,
                          per_kind: int = PER_KIND) -> list[dict[str, Any]]:
    """The entities two or more of the accounts share (one, for a single account).

    Each link is `{account_id, kind, key, sessions, network_type?, proxy_provider?}`.
    Returns entities with their account count, session count and member ids,
    most shared first, at most `per_kind` of each kind.
    """
    accounts: dict[tuple[str, str], set[str]] = defaultdict(set)
    sessions: dict[tuple[str, str], int] = defaultdict(int)
    intel: dict[tuple[str, str], dict[str, Any]] = {}
    for link in links:
        pair = (link["kind"], str(link["key"]))
        accounts[pair].add(link["account_id"])
        sessions[pair] += int(link.get("sessions") or 0)
        if link.get("network_type") or link.get("proxy_provider"):
            intel[pair] = {"network_type": link.get("network_type"),
                          "proxy_provider": link.get("proxy_provider")}
    least = 1 if members <= 1 else 2
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (kind, key), ids in accounts.items():
        if len(ids) < least:
            continue
        by_kind[kind].append({"kind": kind, "key": key, "accounts": len(ids),
                              "sessions": sessions[(kind, key)],
                              "network_type": intel.get((kind, key), {}).get("network_type"),
                              "proxy_provider": intel.get((kind, key), {}).get("proxy_provider"),
                              "members": sorted(ids)})
    result: list[dict[str, Any]] = []
    for kind in ENTITY_KINDS:
        ranked = sorted(by_kind.get(kind, []),
                        key=lambda e: (-e["accounts"], -e["sessions"], e["key"]))
        result.extend(ranked[:per_kind])
    return result


def activity(rows: Iterable[dict[str, Any]], created: Iterable[str | None]) -> dict[str, Any]:
    """Sessions, tokens and reasoning per day, sessions per UTC hour, sign-ups per day."""
    days: dict[str, dict[str, int]] = {}
    hours = [0] * 24
    for row in rows:
        day = days.setdefault(row["day"], {"sessions": 0, "tokens": 0, "reasoning": 0})
        day["sessions"] += int(row["sessions"] or 0)
        day["tokens"] += int(row["tokens"] or 0)
        day["reasoning"] += int(row["reasoning"] or 0)
        hours[int(row["hour"]) % 24] += int(row["sessions"] or 0)
    signups: dict[str, int] = defaultdict(int)
    for when in created:
        if when:
            signups[when[:10]] += 1
    return {
        "days": [{"day": d, **days[d]} for d in sorted(days)],
        "hours": hours,
        "signups": [{"day": d, "accounts": signups[d]} for d in sorted(signups)],
    }


def summarise(members: list[dict[str, Any]], entities: list[dict[str, Any]],
              analysis: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """Plain figures and sentences for the executive summary."""
    sessions = sum(int(m.get("sessions") or 0) for m in members)
    tokens = sum(int(m.get("tokens") or 0) for m in members)
    reasoning = sum(int(m.get("reasoning") or 0) for m in members)
    banned = sum(1 for m in members if m.get("status") in ("banned", "suspended"))
    days = analysis.get("activity", {}).get("days", [])
    signups = analysis.get("activity", {}).get("signups", [])
    count: dict[str, int] = defaultdict(int)
    for e in entities:
        count[e["kind"]] += 1
    proxies = sum(1 for e in entities if e["kind"] == "ip"
                  and (e.get("network_type") in ("proxy", "datacenter", "vpn", "tor")
                       or e.get("proxy_provider")))
    wave = max(signups, key=lambda s: s["accounts"]) if signups else None
    network = snapshot.get("network") or {}
    reasons = [f["reason"] for f in network.get("features", []) if f.get("contribution", 0) > 0]
    return {
        "accounts": len(members), "sessions": sessions, "tokens": tokens,
        "reasoning_share": reasoning / sessions if sessions else 0.0,
        "banned": banned, "first_day": days[0]["day"] if days else None,
        "last_day": days[-1]["day"] if days else None, "active_days": len(days),
        "entity_counts": dict(count), "proxy_addresses": proxies,
        "largest_wave": wave, "reasons": reasons[:5],
        "score": network.get("score"),
    }
