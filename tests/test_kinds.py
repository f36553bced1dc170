"""One registry of entity kinds (app/kinds.py): every layer's spellings agree with it."""

from __future__ import annotations

from typing import get_args

from app.detect.evidence import USE_KINDS
from app.detect.project import BASE_WEIGHT
from app.ingest.shape import graph_shape
from app.kinds import (
    CASE_KIND_OF_LINK,
    CASE_KINDS,
    ENTITY_KINDS,
    KINDS,
    RELATION_KINDS,
    account_url,
    entity_url,
    kind_of,
    node_url,
)
from app.privacy import MASKED_KINDS, Masked, Privacy
from app.web.pages import MaskedKind

# Signals of the projection that are not kinds of entity.
SIGNALS = {"signup_burst", "coactivity"}


def test_labels_keys_and_rollups_are_those_of_the_loaded_graph() -> None:
    shape = graph_shape()
    for kind in KINDS:
        if kind.label is not None:
            assert shape.key(kind.label) == kind.key, kind.name
        for rel in kind.rollups:
            assert shape.ends(rel) == ("Account", kind.label), rel


def test_both_spellings_name_one_kind_and_never_another() -> None:
    names = [k.name for k in KINDS]
    stored = [k.stored for k in KINDS]
    assert len(set(names)) == len(names) and len(set(stored)) == len(stored)
    for kind in KINDS:
        assert kind_of(kind.name) is kind and kind_of(kind.stored) is kind
        for rel in kind.rollups:
            assert kind_of(rel) is kind
    assert kind_of("nothing") is None


def test_stored_spellings_stay_as_cases_and_exports_already_have_them() -> None:
    # A case entity's `kind` and the case JSON (whose digest `case verify`
    # checks) use these: renaming one would change old cases' digests.
    assert tuple(CASE_KINDS) == ("ip", "prefix", "device", "payment", "api_key",
                                 "user_agent", "template")
    assert CASE_KIND_OF_LINK == {"USED_IP": "ip", "SIGNED_UP_FROM": "ip",
                                 "USED_DEVICE": "device", "USED_KEY": "api_key",
                                 "USED_AGENT": "user_agent", "PAID_WITH": "payment"}
    assert RELATION_KINDS["IN_ORG"] == "org" and RELATION_KINDS["EMAIL_AT"] == "email domain"


def test_the_detector_spells_entity_kinds_as_the_registry_stores_them() -> None:
    stored = {k.stored for k in KINDS}
    assert set(BASE_WEIGHT) - SIGNALS <= stored
    assert set(USE_KINDS) <= stored


def test_masking_follows_the_registry() -> None:
    assert {k.name for k in KINDS if k.masked} == MASKED_KINDS
    assert set(get_args(MaskedKind)) == set(MASKED_KINDS)
    privacy = Privacy("a secret for tests")
    assert str(privacy.mask("payment", "tok_1")).startswith("pay-")
    assert str(privacy.mask("email domain", "me.example", 1)).startswith("mail-")


def test_every_spelling_of_a_kind_links_to_the_same_page() -> None:
    assert entity_url("ip", "10.0.0.1") == entity_url("address", "10.0.0.1") == \
        entity_url("USED_IP", "10.0.0.1") == "/addresses/10.0.0.1"
    assert entity_url("user_agent", "a/b c") == "/user-agents/a%2Fb%20c"
    assert entity_url("proxy provider", "x") is None  # no page for that kind
    assert entity_url("ip", None) is None
    masked = Masked("pay-ABC", "payment", "opaque")
    assert entity_url("payment", masked) == "/payments/~opaque"
    for name, kind in ENTITY_KINDS.items():
        assert kind.path and kind.label and kind.key
        assert node_url({kind.label}, {kind.key: "k"}) == entity_url(name, "k")
    assert node_url({"Account"}, {"account_id": "a 1"}) == account_url("a 1") == "/accounts/a%201"
