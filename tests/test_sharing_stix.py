"""What a published network looks like, built by hand and read back: valid STIX
2.1 (the OASIS validator and the stix2 library), nothing personal in clear,
ids that update instead of duplicating and never collide across providers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from app.sharing.stix import (
    SHAREABLE,
    SharingError,
    confidence,
    content_hash,
    keyed_hash,
    pattern_for,
    publication,
    revoked,
    shared_values,
)

KEY = b"agreed-between-partners-0001"
CONTENT: dict[str, Any] = {
    "case": {"case_id": "CASE-00001", "network_id": "HN-00007", "status": "confirmed",
             "title": "Farm"},
    "summary": {"accounts": 40, "sessions": 900, "tokens": 12_345, "score": 0.9,
                "first_day": "2026-01-02", "last_day": "2026-02-03",
                "reasons": ["Shares 12 proxy exits", "Sends 40 task templates."]},
}
ENTITIES = [
    {"kind": "ip", "key": "198.51.100.7", "accounts": 30, "proxy_provider": "ExitCo"},
    {"kind": "prefix", "key": "198.51.100.0/24", "accounts": 30},
    {"kind": "payment", "key": "tok_4242", "accounts": 5},
    {"kind": "device", "key": "fp-device-9", "accounts": 4},
    {"kind": "template", "key": "abcd1234", "accounts": 20},
    {"kind": "user_agent", "key": "Mozilla/5.0 (it's)", "accounts": 20},
    {"kind": "api_key", "key": "key-internal-1", "accounts": 3},
]
ASNS = [{"asn": 64500, "accounts": 30}]
DOMAINS = [{"domain": "Family-Smith.example", "accounts": 2},
           {"domain": "farm-mail.example", "accounts": 12}]


def values(kinds: tuple[str, ...] = SHAREABLE, key: bytes | None = KEY) -> list:
    return shared_values(ENTITIES, ASNS, DOMAINS, list(kinds), key, min_accounts=5)


def build(identity: str = "6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0001", collection: str = "c-1",
          content: dict = CONTENT, at: str = "2026-12-03T05:00:00.000Z") -> list[dict]:
    pub = publication(content, values(), identity_uuid=identity, provider="Provider A",
                      collection_id=collection, at=at)
    return [pub.identity, *pub.objects]


def test_keyed_hash_depends_on_key_kind_and_value() -> None:
    h = keyed_hash(KEY, "payment", "tok_4242")
    assert h == keyed_hash(KEY, "payment", " tok_4242 ") and len(h) == 64
    assert h != keyed_hash(b"another-partners-key-000", "payment", "tok_4242")
    assert h != keyed_hash(KEY, "device", "tok_4242")
    assert h != keyed_hash(KEY, "payment", "tok_4243")


def test_identifiers_of_people_never_leave_in_clear() -> None:
    shared = values()
    by_kind: dict[str, list] = {}
    for s in shared:
        by_kind.setdefault(s.kind, []).append(s)
    assert [s.value for s in by_kind["payment"]] == [keyed_hash(KEY, "payment", "tok_4242")]
    assert [s.value for s in by_kind["device"]] == [keyed_hash(KEY, "device", "fp-device-9")]
    # A domain two accounts use is personal (the pages mask it): hashed, lower-cased
    # first; a domain twelve of the network's accounts use goes in clear.
    assert {s.value for s in by_kind["email_domain"]} == {
        keyed_hash(KEY, "email_domain", "family-smith.example"), "farm-mail.example"}
    assert "api_key" not in by_kind  # never shared: it is the provider's own id
    assert by_kind["proxy_provider"][0].value == "ExitCo"
    assert by_kind["asn"][0].value == "64500"
    text = json.dumps(build())
    for secret in ("tok_4242", "fp-device-9", "Family-Smith", "family-smith", "key-internal"):
        assert secret not in text


def test_a_policy_limits_the_kinds_and_needs_a_key_only_for_personal_ones() -> None:
    only = values(("ip", "template"), key=None)
    assert {s.kind for s in only} == {"ip", "template"}
    with pytest.raises(SharingError, match="no sharing key"):
        values(("ip", "payment"), key=None)
    with pytest.raises(SharingError, match="cannot share api_key"):
        values(("ip", "api_key"))


def test_every_object_is_valid_stix_21() -> None:
    objects = build()
    options = ValidationOptions(version="2.1")
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])
        assert not result.warnings, (obj["id"], [str(w) for w in result.warnings])
        stix2.parse(obj, allow_custom=False)
    types = [o["type"] for o in objects]
    assert types.count("indicator") == 10 and types.count("relationship") == 10
    assert types[0] == "identity" and types.count("intrusion-set") == 1 and types[-1] == "report"
    network = objects[1]
    assert network["first_seen"] == "2026-01-02T00:00:00.000Z"
    assert network["last_seen"] == "2026-02-03T23:59:59.000Z"
    assert "40 accounts" in network["description"]
    assert "Sends 40 task templates." in network["description"]
    assert network["confidence"] == 96
    refs = set(objects[-1]["object_refs"])
    assert refs == {o["id"] for o in objects[1:-1]}


def test_ids_update_instead_of_duplicating_and_never_collide() -> None:
    first = build()
    later = build(at="2026-12-04T05:00:00.000Z")
    assert [o["id"] for o in first] == [o["id"] for o in later]
    assert [content_hash(o) for o in first] == [content_hash(o) for o in later]
    other_provider = build(identity="6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0002")
    other_collection = build(collection="c-2")
    ids = {o["id"] for o in first}
    assert not ids & {o["id"] for o in other_provider}
    assert not ids & {o["id"] for o in other_collection} - {first[0]["id"]}
    for obj in first:
        assert uuid.UUID(obj["id"].partition("--")[2]).version == 4
    # After a revocation the case publishes under a new generation of ids.
    regenerated = publication(CONTENT, values(), identity_uuid="6b3c1b0e-0a51-4c7a-9d3e-"
                              "6c1a0c7f0001", provider="Provider A", collection_id="c-1",
                              at="2026-12-03T05:00:00.000Z", generation=1)
    assert not {o["id"] for o in first[1:]} & {o["id"] for o in regenerated.objects}


def test_confidence_rests_on_the_decision_and_the_score() -> None:
    assert confidence(0.0, "confirmed") == 60 and confidence(1.0, "confirmed") == 100
    assert confidence(0.5, "actioned") == 80
    assert confidence(1.0, "investigating") == 59 and confidence(None, "open") == 20
    decided_low, undecided_high = confidence(0.1, "confirmed"), confidence(0.99, "open")
    assert decided_low > undecided_high


def test_a_changed_case_changes_the_content_hash_and_revoking_makes_a_new_version() -> None:
    changed = {**CONTENT, "summary": {**CONTENT["summary"], "accounts": 41}}
    before, after = build(), build(content=changed)
    assert content_hash(before[1]) != content_hash(after[1])
    withdrawn = revoked(before[2], "2026-12-05T00:00:00.000Z")
    assert withdrawn["revoked"] is True and withdrawn["id"] == before[2]["id"]
    assert validate_instance(withdrawn, ValidationOptions(version="2.1")).is_valid


def test_patterns_quote_values_and_refuse_unknown_kinds() -> None:
    assert pattern_for("user_agent", "a'b\\c", False).endswith("= 'a\\'b\\\\c']")
    assert pattern_for("prefix", "2001:db8::/48", False) == \
        "[ipv6-addr:value ISSUBSET '2001:db8::/48']"
    assert pattern_for("asn", "64500", False) == "[autonomous-system:number = 64500]"
    with pytest.raises(SharingError):
        pattern_for("api_key", "k", False)


def test_patterns_read_back_into_kinds_and_values() -> None:
    from app.sharing.intake import parse_pattern

    for kind, value in (("ip", "198.51.100.7"), ("prefix", "198.51.100.0/24"),
                        ("asn", "64500"), ("user_agent", "Mozilla/5.0 (it's) \\ x"),
                        ("email_domain", "farm-mail.example"),
                        ("template", "00ff00ff00ff00ff"), ("proxy_provider", "Acme 'Rotating'")):
        assert parse_pattern(pattern_for(kind, value, False)) == (kind, value, False)
    digest = keyed_hash(KEY, "payment", "tok_4242")
    assert parse_pattern(pattern_for("payment", digest, True)) == ("payment", digest, True)
    assert parse_pattern("[ipv6-addr:value = '2001:0db8::0001']") == \
        ("ip", "2001:db8::1", False)
    assert parse_pattern("[ipv4-addr:value = '10.0.0.0/8']") == ("prefix", "10.0.0.0/8", False)
    # Patterns naming something we do not hold, or more than one thing, match nothing.
    assert parse_pattern("[file:hashes.'SHA-256' = 'aa']") is None
    assert parse_pattern("[ipv4-addr:value = '10.0.0.1'] OR [ipv4-addr:value = '10.0.0.2']") \
        is None
    assert parse_pattern("[ipv4-addr:value = 'not an address']") is None


@pytest.mark.parametrize(("data", "says"), [
    (b"{not json", "not JSON"),
    (b'{"type": "report"}', "not a STIX bundle"),
    (b'{"type": "bundle", "id": "bundle--0", "objects": [{"type": "x-unknown-thing", '
     b'"spec_version": "2.1", "id": "x-unknown-thing--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0001"}]}',
     "object 1 (x-unknown-thing--6b3c1b0e"),
    (b'{"type": "bundle", "id": "bundle--0", "objects": [{"type": "indicator", '
     b'"spec_version": "2.0", "id": "indicator--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0001"}]}',
     "spec_version '2.0'"),
])
def test_a_bad_bundle_is_refused_whole_with_where_and_why(data: bytes, says: str) -> None:
    from app.sharing.intake import BundleError, read_bundle

    with pytest.raises(BundleError, match="partner.json") as refused:
        read_bundle(data, "partner.json")
    assert says in str(refused.value)


def test_a_bundle_with_one_bad_pattern_is_refused_whole() -> None:
    from app.sharing.intake import BundleError, read_bundle

    good = build()
    bad = {**good[2], "id": "indicator--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0009",
           "pattern": "[ipv4-addr:value = "}
    data = json.dumps({"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0000",
                       "objects": [*good, bad]}).encode()
    with pytest.raises(BundleError, match=f"object {len(good) + 1} "):
        read_bundle(data, "partner.json")
    ok = json.dumps({"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0000",
                     "objects": good}).encode()
    assert len(read_bundle(ok, "partner.json")) == len(good)


@pytest.mark.parametrize("block", [1000, 2])
def test_simhash_links_each_of_ours_to_its_nearest_report_and_every_report_in_reach(
        block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.sharing import intake
    from app.sharing.intake import _simhash_matches

    monkeypatch.setattr(intake, "SIMHASH_BLOCK", block)  # reports read in blocks

    ours = ["0000000000000000", "0000000000000003", "00000000000000ff", "ffffffffffffffff"]
    # a: 1 bit from ours[0] and ours[1]; b: ours[0] itself; c: 1 bit from ours[2];
    # d: 1 bit from ours[0] but nearest of none of ours; e: 10 bits from the nearest.
    reported = [("a", 0x1), ("b", 0x0), ("c", 0x7F), ("d", 0x100), ("e", 0x3FF00)]
    found = {(m["indicator_id"], m["key"], m["distance"])
             for m in _simhash_matches(reported, ours)}
    assert found == {("b", ours[0], 0), ("a", ours[1], 1), ("c", ours[2], 1),
                     ("d", ours[0], 1)}
    assert _simhash_matches(reported, []) == [] and _simhash_matches([], ours) == []
