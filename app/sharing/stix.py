"""What a published network looks like to a partner: pure STIX 2.1 building.

A case becomes an intrusion set (the network: size, first and last seen, the
case's reasons in words, a confidence), one indicator per shared entity the
collection's policy lets out, an `indicates` relationship from each, and a
report that lists them. Identifiers that point at people (payment tokens,
device fingerprints, rare e-mail domains) never leave in clear: they are
keyed hashes, HMAC-SHA256 under the key the collection's partners agreed on,
of `"<kind>:<value>"`, so a partner holding the key matches its own values
and nobody else can read them.

Every id is derived (in UUIDv4 form) from the producing provider's identity,
the collection, the case and the value: publishing again updates the same
objects (a new version when anything changed), and two providers never
collide. No database here: `app.sharing.publish` reads and writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.errors import HydrascopeError

# What a collection may share, in the order a policy lists them (stored names).
SHAREABLE = ("ip", "prefix", "asn", "proxy_provider", "template", "user_agent",
             "email_domain", "payment", "device")
# Identifiers of individuals: only ever sent as keyed hashes.
HASHED = frozenset({"payment", "device"})
# A network of this many accounts is described as such; the words of a kind.
KIND_WORDS = {"ip": "address", "prefix": "address prefix", "asn": "autonomous system",
              "proxy_provider": "proxy provider", "template": "prompt template (SimHash)",
              "user_agent": "user agent", "email_domain": "e-mail domain",
              "payment": "payment token (keyed hash)", "device": "device fingerprint "
                                                                  "(keyed hash)"}
# Custom observable types, for what STIX has no object of its own.
CUSTOM_TYPES = {"template": "x-hydrascope-prompt-template", "payment": "x-hydrascope-payment",
                "device": "x-hydrascope-device", "email_domain": "x-hydrascope-email-domain",
                "proxy_provider": "x-hydrascope-proxy-provider"}
# Statuses of a case that count as the provider's decision that it is a network.
DECIDED = ("confirmed", "actioned")
SPEC = "2.1"


class SharingError(HydrascopeError):
    """A publication that cannot be made as asked (no key, unknown kind)."""


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of `"<kind>:<value>"`, hex: how an identifier of a person is sent."""
    return hmac.new(key, f"{kind}:{value.strip()}".encode(), hashlib.sha256).hexdigest()


def stix_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: str, value: str, hashed: bool) -> str:
    """The STIX pattern of one shared value (`value` already hashed when `hashed`)."""
    if hashed:
        return f"[{CUSTOM_TYPES[kind]}:hmac_sha256 = {stix_quote(value)}]"
    if kind in ("ip", "prefix"):
        family = "ipv6-addr" if ":" in value else "ipv4-addr"
        return f"[{family}:value {'=' if kind == 'ip' else 'ISSUBSET'} {stix_quote(value)}]"
    if kind == "asn":
        return f"[autonomous-system:number = {int(value)}]"
    if kind == "user_agent":
        return ("[network-traffic:extensions.'http-request-ext'.request_header."
                f"'User-Agent' = {stix_quote(value)}]")
    if kind == "email_domain":
        return f"[domain-name:value = {stix_quote(value)}]"
    if kind == "template":
        return f"[{CUSTOM_TYPES['template']}:simhash = {stix_quote(value)}]"
    if kind == "proxy_provider":
        return f"[{CUSTOM_TYPES['proxy_provider']}:name = {stix_quote(value)}]"
    raise SharingError(f"cannot share a {kind}")


def confidence(score: float | None, status: str) -> int:
    """0-100: a decided case (confirmed or actioned) starts at 60 and the network's
    score adds up to 40; a case published by hand before a decision stays under 60."""
    s = min(max(float(score or 0.0), 0.0), 1.0)
    return round(60 + 40 * s) if status in DECIDED else min(59, round(20 + 40 * s))


@dataclass(frozen=True)
class Shared:
    """One value a case would share: its kind, its value and how many members use it."""

    kind: str
    value: str
    accounts: int = 0
    hashed: bool = False


@dataclass
class Publication:
    """Everything one case publishes to one collection, before versioning."""

    identity: dict[str, Any]
    objects: list[dict[str, Any]] = field(default_factory=list)


def shared_values(entities: list[dict[str, Any]], asns: list[dict[str, Any]],
                  domains: list[dict[str, Any]], kinds: list[str], key: bytes | None,
                  min_accounts: int) -> list[Shared]:
    """The case's values the policy lets out, personal ones hashed under `key`.

    `entities` are the case's shared infrastructure (kind, key, accounts,
    proxy_provider); `asns` and `domains` rows of the members' autonomous systems
    and the e-mail domains only they use. A domain fewer than `min_accounts`
    accounts use is personal (the pages mask it too) and goes hashed.
    """
    unknown = [k for k in kinds if k not in SHAREABLE]
    if unknown:
        raise SharingError(f"cannot share {', '.join(unknown)}: a policy lists kinds of "
                           f"{', '.join(SHAREABLE)}")
    wanted = set(kinds)
    out: list[Shared] = []
    providers: dict[str, int] = {}
    for e in entities:
        kind, value = e["kind"], str(e["key"])
        if e.get("proxy_provider"):
            providers[e["proxy_provider"]] = providers.get(e["proxy_provider"], 0) + int(
                e.get("accounts") or 0)
        if kind in wanted:
            out.append(Shared(kind, value, int(e.get("accounts") or 0), kind in HASHED))
    if "proxy_provider" in wanted:
        out.extend(Shared("proxy_provider", name, n) for name, n in sorted(providers.items()))
    if "asn" in wanted:
        out.extend(Shared("asn", str(r["asn"]), int(r["accounts"])) for r in asns)
    if "email_domain" in wanted:
        out.extend(Shared("email_domain", str(r["domain"]).lower(), int(r["accounts"]),
                          int(r["accounts"]) < min_accounts) for r in domains)
    if any(s.hashed for s in out) and not key:
        raise SharingError("this collection shares payment tokens, devices or personal "
                           "e-mail domains, which leave only as keyed hashes, and it has "
                           "no sharing key")
    return [Shared(s.kind, keyed_hash(key, s.kind, s.value), s.accounts, True)
            if s.hashed and key else s for s in out]


def _id(kind: str, namespace: uuid.UUID, *parts: str) -> str:
    """A deterministic id in the UUIDv4 form STIX asks of objects: a SHA-256 of the
    producer, the type and the parts, with the version and variant bits set."""
    digest = hashlib.sha256("|".join([str(namespace), kind, *parts]).encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def identity_object(identity_uuid: str, name: str, created: str) -> dict[str, Any]:
    return {"type": "identity", "spec_version": SPEC, "id": f"identity--{identity_uuid}",
            "created": created, "modified": created, "name": name,
            "identity_class": "organization",
            "description": "An AI provider sharing networks of accounts that distil its "
                           "models (Hydrascope)."}


def publication(content: dict[str, Any], values: list[Shared], *, identity_uuid: str,
                provider: str, collection_id: str, at: str,
                generation: int = 0) -> Publication:
    """The STIX objects of one case in one collection (`created`/`modified` both `at`;
    `app.sharing.publish` keeps the first `created` and bumps `modified` on change).

    `generation` counts the times the case's publication was revoked: a revoked
    object takes no further version, so a case published again afterwards
    speaks with new ids."""
    case, summary = content["case"], content["summary"]
    scope = [collection_id, case["case_id"]] + ([f"generation {generation}"] if generation
                                                else [])
    namespace = uuid.UUID(identity_uuid)
    identity = identity_object(identity_uuid, provider, at)
    base = {"spec_version": SPEC, "created": at, "modified": at,
            "created_by_ref": identity["id"]}
    conf = confidence(summary.get("score"), case["status"])
    network = case.get("network_id") or case["case_id"]
    first = _day(summary.get("first_day")) or at
    last = _day(summary.get("last_day"), end=True) or at
    reasons = [r.rstrip(".") + "." for r in summary.get("reasons") or []]
    decided = "confirmed" if case["status"] in DECIDED else "not yet decided"
    size = (f"{summary['accounts']:,} accounts, {summary['sessions']:,} sessions and "
            f"{summary['tokens']:,} tokens; the provider's decision: {decided}.")
    intrusion = {**base, "type": "intrusion-set",
                 "id": _id("intrusion-set", namespace, *scope),
                 "name": f"Distillation network {network}",
                 "description": " ".join([f"A network of accounts distilling an AI model: "
                                          f"{size}", *reasons]),
                 "first_seen": first, "last_seen": max(first, last), "confidence": conf,
                 "goals": ["model distillation"], "resource_level": "organization"}
    objects: list[dict[str, Any]] = [intrusion]
    refs = [intrusion["id"]]
    for value in values:
        indicator_id = _id("indicator", namespace, *scope, value.kind,
                           value.value)
        objects.append({
            **base, "type": "indicator", "id": indicator_id,
            "name": f"{KIND_WORDS[value.kind].capitalize()} of {network}",
            "description": (f"Used by {value.accounts:,} accounts of distillation network "
                            f"{network}." if value.accounts else
                            f"Linked to distillation network {network}."),
            "indicator_types": (["anonymization"] if value.kind in ("ip", "prefix", "asn",
                                                                    "proxy_provider")
                                else ["malicious-activity"]),
            "pattern": pattern_for(value.kind, value.value, value.hashed),
            "pattern_type": "stix", "valid_from": first, "confidence": conf,
            "labels": [value.kind, "model-distillation"]})
        relationship_id = _id("relationship", namespace, indicator_id, "indicates")
        objects.append({**base, "type": "relationship", "id": relationship_id,
                        "relationship_type": "indicates", "source_ref": indicator_id,
                        "target_ref": intrusion["id"]})
        refs += [indicator_id, relationship_id]
    objects.append({**base, "type": "report",
                    "id": _id("report", namespace, *scope),
                    "name": f"Distillation network {network}",
                    "description": intrusion["description"], "published": at,
                    "report_types": ["threat-actor"], "confidence": conf,
                    "object_refs": refs})
    return Publication(identity, objects)


def content_hash(obj: dict[str, Any]) -> str:
    """What an object says, without when: equal hashes need no new version."""
    body = {k: v for k, v in obj.items() if k not in ("created", "modified", "published")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def revoked(obj: dict[str, Any], at: str) -> dict[str, Any]:
    """The next version of a published object, withdrawn."""
    return {**obj, "modified": at, "revoked": True}


def _day(day: str | None, *, end: bool = False) -> str | None:
    if not day:
        return None
    return f"{day[:10]}T{'23:59:59' if end else '00:00:00'}.000Z"
