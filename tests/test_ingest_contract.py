"""Each rule of the ingest contract, on single values and rows (no database)."""

import random
import re
from datetime import UTC, datetime

import pytest

from app.config import PROJECT_ROOT
from app.ingest.contract import (
    ACCOUNTS,
    IP_INTEL,
    SESSIONS,
    BadValue,
    clean_row,
    parse_bool,
    parse_country,
    parse_id,
    parse_ip,
    parse_simhash,
    parse_timestamp,
)
from app.ingest.importfile import SESSION_COLUMNS
from app.ingest.validate import DuplicateGuard

GOOD_SESSION = {
    "session_id": "s-1", "account_id": "a-1", "started_at": "2026-03-02T09:00:00Z",
    "ended_at": "2026-03-02T09:20:00Z", "ip": "81.2.69.160", "requests": "7",
    "input_tokens": "10", "output_tokens": "20", "prompt_fingerprint": "3F09A1C2D4E5B607",
    "reasoning_request": "Yes", "sensitive_rewrite": "0", "refusals": "0",
}


def test_timestamps_are_stored_in_utc() -> None:
    assert parse_timestamp("2026-01-05T23:59:59.999999+14:00") == datetime(
        2026, 1, 5, 9, 59, 59, 999999, tzinfo=UTC)
    assert parse_timestamp("2026-03-02T09:20:00.5Z").microsecond == 500000
    assert parse_timestamp("2026-02-01T00:00:00-08:00") == datetime(2026, 2, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-01-05T13:02:11", "not-a-date", "2026-13-01T00:00:00Z", ""])
def test_timestamps_without_offset_or_garbage_are_refused(text: str) -> None:
    with pytest.raises(BadValue):
        parse_timestamp(text)


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("TRUE", True), ("Yes", True), ("1", True),
    ("false", False), ("False", False), ("no", False), ("0", False), (True, True), (0, False),
])
def test_booleans(text: object, value: bool) -> None:
    assert parse_bool(text) is value


def test_bad_boolean() -> None:
    with pytest.raises(BadValue, match="not a boolean"):
        parse_bool("maybe")


def test_addresses_are_canonical() -> None:
    assert parse_ip("2001:DB8:85A3:0:0:8A2E:370:7334") == "2001:db8:85a3::8a2e:370:7334"
    assert parse_ip(" 81.2.69.160 ") == "81.2.69.160"
    for bad in ("999.1.1.1", "81.2.69", "example.com"):
        with pytest.raises(BadValue, match="not an IPv4 or IPv6 address"):
            parse_ip(bad)


def test_ids_are_exact_and_bounded() -> None:
    assert parse_id("Q-003") == "Q-003"
    assert parse_id("q-003") != parse_id("Q-003")
    with pytest.raises(BadValue, match="at most 128"):
        parse_id("x" * 129)
    with pytest.raises(BadValue, match="blank"):
        parse_id("   ")


def test_simhash_hex_is_case_insensitive() -> None:
    assert parse_simhash("3F09A1C2D4E5B607") == "3f09a1c2d4e5b607"
    for bad in ("3f09", "3f09a1c2d4e5b60z", "3f09a1c2d4e5b6071"):
        with pytest.raises(BadValue, match="16 hex digits"):
            parse_simhash(bad)


def test_country_codes() -> None:
    assert parse_country("gb") == "GB"
    with pytest.raises(BadValue):
        parse_country("GBR")


def test_a_good_session_row_is_cleaned() -> None:
    clean, problem = clean_row(SESSIONS, {**GOOD_SESSION, "extra": "ignored"})
    assert problem is None and clean is not None
    assert clean["requests"] == 7
    assert clean["reasoning_request"] is True
    assert clean["sensitive_rewrite"] is False
    assert clean["prompt_fingerprint"] == "3f09a1c2d4e5b607"
    assert "extra" not in clean


def test_defaults_for_missing_optional_values() -> None:
    clean, problem = clean_row(SESSIONS, {k: GOOD_SESSION[k] for k in (
        "session_id", "account_id", "started_at", "ip")})
    assert problem is None and clean is not None
    assert clean["requests"] == 1
    assert clean["ended_at"] is None
    clean, _ = clean_row(IP_INTEL, {"ip": "1.2.3.4"})
    assert clean is not None and clean["network_type"] == "unknown"


# Every rule of the contract with a row that breaks it: (table, change, column).
BROKEN = [
    (SESSIONS, {"session_id": ""}, "session_id"),
    (SESSIONS, {"account_id": None}, "account_id"),
    (SESSIONS, {"started_at": "yesterday"}, "started_at"),
    (SESSIONS, {"started_at": "2026-03-02T09:00:00"}, "started_at"),
    (SESSIONS, {"ended_at": "2026-03-02T08:00:00Z"}, "ended_at"),
    (SESSIONS, {"ip": "300.1.1.1"}, "ip"),
    (SESSIONS, {"ip": ""}, "ip"),
    (SESSIONS, {"requests": "0"}, "requests"),
    (SESSIONS, {"requests": "2.5"}, "requests"),
    (SESSIONS, {"input_tokens": "-1"}, "input_tokens"),
    (SESSIONS, {"output_tokens": "lots"}, "output_tokens"),
    (SESSIONS, {"refusals": "-3"}, "refusals"),
    (SESSIONS, {"prompt_fingerprint": "xyz"}, "prompt_fingerprint"),
    (SESSIONS, {"reasoning_request": "perhaps"}, "reasoning_request"),
    (SESSIONS, {"sensitive_rewrite": "2"}, "sensitive_rewrite"),
    (SESSIONS, {"session_id": "s" * 129}, "session_id"),
]


@pytest.mark.parametrize(("table", "change", "column"), BROKEN)
def test_each_broken_rule_names_its_column(table: object, change: dict, column: str) -> None:
    clean, problem = clean_row(SESSIONS, {**GOOD_SESSION, **change})
    assert clean is None and problem is not None
    assert problem.column == column
    assert column in problem.reason


@pytest.mark.parametrize(("change", "column"), [
    ({"account_id": ""}, "account_id"),
    ({"created_at": "2026-02-30T00:00:00Z"}, "created_at"),
    ({"signup_ip": "1.2.3"}, "signup_ip"),
    ({"country": "Britain"}, "country"),
    ({"plan": "platinum"}, "plan"),
    ({"status": "deleted"}, "status"),
    ({"status_changed_at": "soon"}, "status_changed_at"),
])
def test_broken_account_rows(change: dict, column: str) -> None:
    good = {"account_id": "a", "created_at": "2026-01-03T08:15:00Z"}
    clean, problem = clean_row(ACCOUNTS, {**good, **change})
    assert clean is None and problem is not None and problem.column == column


@pytest.mark.parametrize(("change", "column"), [
    ({"ip": "nope"}, "ip"),
    ({"asn": "AS123"}, "asn"),
    ({"network_type": "satellite"}, "network_type"),
    ({"country": "X"}, "country"),
])
def test_broken_intel_rows(change: dict, column: str) -> None:
    clean, problem = clean_row(IP_INTEL, {"ip": "1.2.3.4", **change})
    assert clean is None and problem is not None and problem.column == column


def test_the_duplicate_guard_flags_exactly_the_repeats_across_batches() -> None:
    rng = random.Random(7)
    guard = DuplicateGuard()
    seen: set[str] = set()
    for _batch in range(60):
        keys = [f"s{rng.randrange(20_000)}" for _ in range(rng.randrange(1, 2_000))]
        expected = []
        for key in keys:
            expected.append(key in seen)
            seen.add(key)
        assert guard.repeated(keys) == expected
    assert len(guard) == len(seen)
    # Runs merge like a binary counter: few of them, however many batches.
    assert len(guard._runs) <= 2 * len(seen).bit_length()


def test_both_load_paths_store_every_session_column() -> None:
    # The transactional create names each property; the bulk path lists its
    # columns. A column added to the contract must reach the graph on both.
    stored = {c.name for c in SESSIONS.columns} - {"device_fingerprint"}  # a link, not a property
    create = (PROJECT_ROOT / "cypher" / "ingest" / "sessions_create.cypher").read_text()
    named = set(re.findall(r"(\w+): (?:row\.\1\b|datetime|CASE)", create))
    assert named == stored
    assert {column for column, _header in SESSION_COLUMNS} == stored
