"""Masking on the read side: how this installation hides identifiers of
individuals in what the pages show (see app/privacy.py)."""

from __future__ import annotations

from typing import Any

from app.audit import record
from app.db.graph import Graph
from app.kinds import entity_url
from app.privacy import MASKED_KINDS, BadToken, Privacy, privacy_for


def privacy_of(graph: Graph) -> Privacy:
    """How this installation masks identifiers of individuals (see app/privacy.py)."""
    return privacy_for(graph.settings.secret_key, graph.settings.privacy_min_accounts)


def resolve_key(graph: Graph, kind: str, key: str) -> str | None:
    """The value a key names: itself, or the value behind a masked link's `~token`
    (None when that token is not one of ours)."""
    if key.startswith("~") and kind in MASKED_KINDS:
        try:
            return privacy_of(graph).unmask(kind, key[1:])
        except BadToken:
            return None
    return key


def reveal(graph: Graph, kind: str, token: str, *, actor: str,
           source: str = "") -> tuple[str, str]:
    """The alias and value behind a masked value's token, recorded in the audit trail.

    Raises `BadToken` when the token is not one of ours for this kind.
    """
    if kind not in MASKED_KINDS:
        raise BadToken(f"{kind} values are not masked")
    privacy = privacy_of(graph)
    value = privacy.unmask(kind, token)
    alias = privacy.alias(kind, value)
    record(graph, actor, "privacy.reveal", target=f"{kind} {alias}", source=source)
    return alias, value


def mask_account(privacy: Privacy, account: dict[str, Any],
                 domain_accounts: int | None = None) -> dict[str, Any]:
    """An account's own payment token and (personal) e-mail domain, masked in place."""
    if account.get("payment_fingerprint") is not None:
        account["payment_fingerprint"] = privacy.mask("payment", account["payment_fingerprint"])
    if account.get("email_domain") is not None:
        account["email_domain"] = privacy.mask("email domain", account["email_domain"],
                                               domain_accounts)
    return account


def mask_picture(privacy: Privacy, picture: dict[str, Any]) -> dict[str, Any]:
    """The graph picture with masked entities' ids, labels and links replaced."""
    renamed: dict[str, str] = {}
    nodes = []
    for node in picture.get("nodes", []):
        kind, _, key = str(node["id"]).partition(":")
        if kind in MASKED_KINDS and node.get("type") == kind:
            masked = privacy.mask(kind, key)
            renamed[node["id"]] = f"{kind}:{masked}"
            node = {**node, "id": renamed[node["id"]], "label": str(masked),
                    "href": entity_url(kind, masked)}
        nodes.append(node)
    if not renamed:
        return picture
    edges = [{**e, "source": renamed.get(e["source"], e["source"]),
              "target": renamed.get(e["target"], e["target"])} for e in picture["edges"]]
    return {**picture, "nodes": nodes, "edges": edges}
