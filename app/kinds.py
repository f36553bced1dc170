"""The kinds of entity in the evidence graph: one registry every layer reads.

Each kind has two spellings, both kept as they are because pages, links,
stored cases and exports already use them: `name` is how pages, URLs, the API,
search and masking name it ("api key"), `stored` how the detector's evidence,
case entities (the `kind` of a case entity, and so the case JSON whose digest
`case verify` checks) and the exports spell it ("api_key"). `kind_of` takes
either. Beside them: the Neo4j label and key property, the account
relationships that roll up to it, its page, its names for people, its colour
in pictures and how it is masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

Masking = Literal["always", "when rare"]


@dataclass(frozen=True)
class Kind:
    name: str                 # pages, URLs, the API, masking ("api key")
    stored: str               # evidence, case entities, exports ("api_key")
    title: str                # how a page names one ("API key")
    plural: str               # a page's heading for several ("API keys")
    label: str | None = None  # the Neo4j label, for kinds that are nodes
    key: str | None = None    # its key property
    path: str | None = None   # URL prefix of its page
    long_title: str = ""      # a case's or dossier's column heading ("Device fingerprint")
    noun: str = ""            # in a sentence or a legend ("payment token")
    colour: str | None = None  # in a case's picture
    rollups: tuple[str, ...] = ()  # relationship types from an account to it
    in_cases: bool = False    # a kind of a case's shared infrastructure
    infrastructure: bool = True  # a kind of a network's shared infrastructure
    masked: Masking | None = None  # identifiers of individuals (see app/privacy.py)
    alias: str = "id"         # prefix of a masked value's alias


KINDS: tuple[Kind, ...] = (
    Kind("address", "ip", "Address", "Addresses", "IP", "address", "/addresses/",
         "Address", "address", "#c0392b", ("USED_IP", "SIGNED_UP_FROM"), in_cases=True),
    Kind("prefix", "prefix", "Prefix", "Prefixes", "Prefix", "cidr", "/prefixes/",
         "Address prefix", "prefix", "#e67e22", in_cases=True),
    Kind("asn", "asn", "Autonomous system", "Autonomous systems", "ASN", "asn", "/asns/",
         "Autonomous system", "autonomous system"),
    Kind("proxy provider", "proxy_provider", "Proxy provider", "Proxy providers",
         long_title="Proxy provider", noun="proxy provider"),
    Kind("device", "device", "Device", "Devices", "Device", "fingerprint", "/devices/",
         "Device fingerprint", "device", "#8e44ad", ("USED_DEVICE",), in_cases=True),
    Kind("payment", "payment", "Payment token", "Payment tokens", "Payment", "fingerprint",
         "/payments/", "Payment token", "payment token", "#16a085", ("PAID_WITH",),
         in_cases=True, masked="always", alias="pay"),
    Kind("api key", "api_key", "API key", "API keys", "ApiKey", "api_key_id", "/api-keys/",
         "API key", "API key", "#2c7fb8", ("USED_KEY",), in_cases=True),
    Kind("user agent", "user_agent", "User agent", "User agents", "UserAgent", "value",
         "/user-agents/", "User agent", "user agent", "#7f8c8d", ("USED_AGENT",),
         in_cases=True),
    Kind("template", "template", "Prompt template", "Prompt templates", "PromptTemplate",
         "fingerprint", "/templates/", "Prompt template", "prompt template", "#b8860b",
         in_cases=True),
    Kind("email domain", "email_domain", "E-mail domain", "E-mail domains", "EmailDomain",
         "name", "/email-domains/", "E-mail domain", "e-mail domain", rollups=("EMAIL_AT",),
         masked="when rare", alias="mail", infrastructure=False),
    Kind("org", "org", "Organisation", "Organisations", "Org", "org_id", "/orgs/",
         "Organisation", "organisation", rollups=("IN_ORG",), infrastructure=False),
)

_BY_SPELLING = {**{k.stored: k for k in KINDS}, **{k.name: k for k in KINDS}}
_BY_ROLLUP = {rel: k for k in KINDS for rel in k.rollups}
_BY_LABEL = {k.label: k for k in KINDS if k.label}


def kind_of(spelling: str) -> Kind | None:
    """The kind a page name, a stored name or an account relationship type names."""
    return _BY_SPELLING.get(spelling) or _BY_ROLLUP.get(spelling)


# Kinds with a page, by page name (the entity routes, links and search).
ENTITY_KINDS: dict[str, Kind] = {k.name: k for k in KINDS if k.path}
# Kinds of a network's shared infrastructure (page name -> heading), in page order.
INFRASTRUCTURE_KINDS: dict[str, str] = {k.name: k.plural for k in KINDS if k.infrastructure}
# Kinds of a case's shared infrastructure, by stored name, in page order.
CASE_KINDS: dict[str, Kind] = {k.stored: k for k in KINDS if k.in_cases}
# Account relationship types -> the page name of what they lead to.
RELATION_KINDS: dict[str, str] = {rel: k.name for rel, k in _BY_ROLLUP.items()}
# Account relationship types of a case's infrastructure -> the stored kind.
CASE_KIND_OF_LINK: dict[str, str] = {rel: k.stored for rel, k in _BY_ROLLUP.items()
                                     if k.in_cases}
# Masked kinds, by page name.
ALWAYS_MASKED = frozenset(k.name for k in KINDS if k.masked == "always")
MASKED_WHEN_RARE = frozenset(k.name for k in KINDS if k.masked == "when rare")


def entity_url(kind: str, key: object) -> str | None:
    """The page of an entity (kind in either spelling, or an account relationship
    type), or None for a kind without pages."""
    found = kind_of(kind)
    if found is None or found.path is None or key is None:
        return None
    token = getattr(key, "token", None)
    if isinstance(key, str) and isinstance(token, str):
        # A masked value (app.privacy.Masked): the opaque token, never the alias or
        # the value.
        return found.path + "~" + token
    # Keys hold '/' (prefixes, user agents): quoted whole, the route takes a path.
    return found.path + quote(str(key), safe="")


def account_url(account_id: str) -> str:
    return "/accounts/" + quote(account_id, safe="")


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
        if kind is not None and kind.key and props.get(kind.key) is not None:
            return entity_url(kind.name, props[kind.key]) or ""
    return ""
