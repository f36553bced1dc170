"""Partners: other providers that read collections over TAXII, each with a token.

A token is `hsp_<id>_<secret>`: the id finds the partner in one lookup and
only a SHA-256 of the secret is stored (it is 32 random bytes, so no
stretching is needed). A token may expire; revoking it ends every read at once.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.audit import record
from app.auth.tokens import secret_digest
from app.db.graph import Graph
from app.paging import parse_json
from app.sharing.collections import get_collection
from app.sharing.stix import SharingError

TOKEN = re.compile(r"^hsp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


@dataclass(frozen=True)
class Partner:
    """A partner as a request sees it: who, and which collections it may read."""

    name: str
    collection_ids: frozenset[str]


class PartnerNotFound(SharingError):
    """No partner of that name."""


class TokenRefused(Exception):
    """A token that lets nobody in; the message says why (unknown, revoked, expired)."""


def add_partner(graph: Graph, name: str, collections: list[str], actor: str, *,
                expires_days: int | None = None, source: str = "") -> str:
    """Give a partner read access to collections; returns its token (shown only now).

    A partner whose token was revoked gets a new one; an active one must be
    revoked first, so a token is never replaced by accident.
    """
    name = (name or "").strip()
    if not _NAME.match(name):
        raise SharingError("a partner name is 1-100 letters, digits, spaces, dots, dashes "
                           "or underscores")
    if not collections:
        raise SharingError("a partner needs at least one collection to read")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise SharingError("--expires-days is between 1 and 3650")
    found = graph.read("sharing/get_partner", name=name)
    if found and not found[0]["partner"]["revoked"]:
        raise SharingError(f"partner {name!r} already has a token; revoke it first "
                           f"(`hydrascope intel partner revoke {name}`)")
    ids = [get_collection(graph, c)["collection_id"] for c in collections]
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = (now + timedelta(days=expires_days)).isoformat(timespec="seconds") \
        if expires_days else None
    graph.write("sharing/save_partner", name=name, token_id=token_id,
                secret_hash=secret_digest(secret), created_at=now.isoformat(timespec="seconds"),
                expires_at=expires, actor=actor, collection_ids=ids)
    record(graph, actor, "intel.partner.add", target=name, source=source,
           details={"collections": sorted(collections), "expires_at": expires})
    return f"hsp_{token_id}_{secret}"


def revoke_partner(graph: Graph, name: str, actor: str, *, source: str = "") -> None:
    if not graph.write("sharing/revoke_partner", name=name,
                       at=datetime.now(UTC).isoformat(timespec="seconds")):
        if graph.read("sharing/get_partner", name=name):
            raise SharingError(f"partner {name!r} is already revoked")
        raise PartnerNotFound(f"no partner {name!r}")
    record(graph, actor, "intel.partner.revoke", target=name, source=source)


def list_partners(graph: Graph) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [{**row, "expired": bool(row["expires_at"] and row["expires_at"] <= now)}
            for row in graph.read("sharing/list_partners")]


def partner_for_token(graph: Graph, token: str) -> Partner:
    """The partner a token belongs to; `TokenRefused` says why when it lets nobody in."""
    match = TOKEN.match(token.strip())
    if match is None:
        raise TokenRefused("the token is not a Hydrascope partner token (hsp_...)")
    token_id, secret = match.groups()
    rows = graph.read("sharing/partner_for_token", token_id=token_id)
    if not rows or not hmac.compare_digest(rows[0]["secret_hash"], secret_digest(secret)):
        raise TokenRefused("unknown token")
    row = rows[0]
    if row["revoked"]:
        raise TokenRefused("the token was revoked")
    if row["expires_at"] and row["expires_at"] <= datetime.now(UTC).isoformat(
            timespec="seconds"):
        raise TokenRefused(f"the token expired at {row['expires_at']}")
    graph.write("sharing/touch_partner", name=row["name"])
    return Partner(row["name"], frozenset(row["collection_ids"]))


def partner_reads(graph: Graph, recent: int = 20) -> tuple[dict[str, dict[str, Any]],
                                                          list[dict[str, Any]]]:
    """What partners fetched: per partner its reads and latest read, and the latest
    reads with their endpoint, collection and object count."""
    totals = {row["name"]: row for row in graph.read("sharing/partner_reads")}
    latest = []
    for row in graph.read("sharing/recent_reads", limit=recent):
        details = parse_json(row["details"], {})
        latest.append({**row, "endpoint": details.get("endpoint", ""),
                       "objects": details.get("objects")})
    return totals, latest
