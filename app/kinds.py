"""The kinds of entity in the evidence graph, with their labels, keys and pages.

One registry for every layer that names a kind of entity (tables, the graph
view, search results, cases), so each kind has exactly one spelling, label
and URL shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from app.privacy import Masked


@dataclass(frozen=True)
class EntityKind:
    kind: str        # the name pages and the API use
    label: str       # the Neo4j label
    key: str         # its key property
    path: str        # URL prefix of its page
    title: str       # how a page names one


ENTITY_KINDS: dict[str, EntityKind] = {k.kind: k for k in (
    EntityKind("address", "IP", "address", "/addresses/", "Address"),
    EntityKind("prefix", "Prefix", "cidr", "/prefixes/", "Prefix"),
    EntityKind("asn", "ASN", "asn", "/asns/", "Autonomous system"),
    EntityKind("device", "Device", "fingerprint", "/devices/", "Device"),
    EntityKind("payment", "Payment", "fingerprint", "/payments/", "Payment token"),
    EntityKind("api key", "ApiKey", "api_key_id", "/api-keys/", "API key"),
    EntityKind("user agent", "UserAgent", "value", "/user-agents/", "User agent"),
    EntityKind("template", "PromptTemplate", "fingerprint", "/templates/", "Prompt template"),
    EntityKind("email domain", "EmailDomain", "name", "/email-domains/", "E-mail domain"),
    EntityKind("org", "Org", "org_id", "/orgs/", "Organisation"),
)}

# Relationship types of account roll-ups, as the account page names them.
RELATION_KINDS = {"USED_IP": "address", "SIGNED_UP_FROM": "address", "USED_DEVICE": "device",
                  "USED_KEY": "api key", "USED_AGENT": "user agent", "PAID_WITH": "payment",
                  "IN_ORG": "org", "EMAIL_AT": "email domain"}


def entity_url(kind: str, key: object) -> str | None:
    """The page of an entity, or None for a kind without pages."""
    found = ENTITY_KINDS.get(kind) or ENTITY_KINDS.get(RELATION_KINDS.get(kind, ""))
    if found is None or key is None:
        return None
    if isinstance(key, Masked):
        # The opaque token, never the alias or the value: see app/privacy.py.
        return found.path + "~" + key.token
    # Keys hold '/' (prefixes, user agents): quoted whole, the route takes a path.
    return found.path + quote(str(key), safe="")


def account_url(account_id: str) -> str:
    return "/accounts/" + quote(account_id, safe="")


_BY_LABEL = {k.label: k for k in ENTITY_KINDS.values()}


def node_url(labels: frozenset[str] | set[str], props: dict[str, object]) -> str:
    """The page of a graph node (accounts, networks, entities), or "" when it has none."""
    if "Account" in labels and props.get("account_id"):
        return account_url(str(props["account_id"]))
    if "Network" in labels and props.get("network_id"):
        url = "/networks/" + quote(str(props["network_id"]), safe="")
        return url + ("?run=" + quote(str(props["run_id"]), safe="") if props.get("run_id")
                      else "")
    for label in sorted(labels):
        kind = _BY_LABEL.get(label)
        if kind is not None and props.get(kind.key) is not None:
            return entity_url(kind.kind, props[kind.key]) or ""
    return ""
