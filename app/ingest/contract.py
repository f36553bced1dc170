"""The ingest contract (../shared/contract/INGEST.md) as data and value parsers.

Each table is a list of columns; each column has a parser that turns a raw
cell (a string from CSV, or a JSON / Parquet value) into a clean value or
raises ``BadValue`` with a reason in plain words. Missing values (empty cell,
missing key, null) never reach a parser.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

Parser = Callable[[Any], Any]


class BadValue(ValueError):
    """A value that breaks the contract; the message is the reason."""


@dataclass(frozen=True)
class Column:
    name: str
    parse: Parser
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]
    required_file: bool = True
    by_name: dict[str, Column] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.columns})

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


# -- value formatting (the inverse: values back into CSV cells) ----------------


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a Z, as most exports write it."""
    return value.isoformat().replace("+00:00", "Z")


def format_cell(value: Any) -> str:
    """A value as a CSV cell the loader reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


# -- value parsers -----------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, dict, list)):
        raise BadValue(f"expected text, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_id(value: Any) -> str:
    """An id: 1-128 characters, compared exactly (case-sensitive, not trimmed)."""
    text = _text(value)
    if not text.strip():
        raise BadValue("is blank")
    if len(text) > 128:
        raise BadValue(f"is {len(text)} characters long; at most 128 are allowed")
    return text


def parse_string(value: Any) -> str:
    return _text(value)


def parse_lower(value: Any) -> str:
    return parse_string(value).strip().lower()


def parse_timestamp(value: Any) -> datetime:
    """RFC 3339 / ISO 8601 with an offset, returned in UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = _text(value).strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadValue(f"{text!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is UTC:
        return parsed  # written with Z or +00:00: the common case, fast
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise BadValue(f"{value!s} has no UTC offset (write Z or +HH:MM)")
    return parsed.astimezone(UTC)


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


_BOOL_TEXT = {"true": True, "false": False}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if type(value) is str and value in _BOOL_TEXT:
        return _BOOL_TEXT[value]  # the common case, fast
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{value!r} is not a boolean (true/false, 1/0, yes/no)")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)  # the common case, fast
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise BadValue(f"{value!r} is not an integer")
    text = _text(value).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise BadValue(f"{text!r} is not an integer")
    return int(text)


def parse_count(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise BadValue(f"{number} is negative")
    return number


def parse_positive(value: Any) -> int:
    number = _integer(value)
    if number < 1:
        raise BadValue(f"{number} is less than 1")
    return number


def parse_asn(value: Any) -> int:
    number = _integer(value)
    if not 0 <= number <= 4_294_967_295:
        raise BadValue(f"{number} is not an AS number")
    return number


def parse_ip(value: Any) -> str:
    """An IPv4 or IPv6 address in canonical (compressed, lower-case) form."""
    return _canonical_ip(_text(value).strip())


@lru_cache(maxsize=100_000)
def _canonical_ip(text: str) -> str:
    # Cached: a log repeats the same addresses many times over.
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise BadValue(f"{text!r} is not an IPv4 or IPv6 address") from None


def parse_country(value: Any) -> str:
    text = _text(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise BadValue(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return text


_HEX16 = re.compile(r"[0-9a-fA-F]{16}")


def parse_simhash(value: Any) -> str:
    text = _text(value).strip()
    if not _HEX16.fullmatch(text):
        raise BadValue(f"{text!r} is not 16 hex digits")
    return text.lower()


def one_of(*allowed: str) -> Parser:
    def parse(value: Any) -> str:
        text = _text(value).strip().lower()
        if text not in allowed:
            raise BadValue(f"{value!r} is not one of {', '.join(allowed)}")
        return text

    return parse


PLANS = ("free", "pro", "team", "enterprise", "api")
STATUSES = ("active", "suspended", "banned")
NETWORK_TYPES = ("residential", "mobile", "datacenter", "vpn", "tor", "proxy", "education",
                 "corporate", "unknown")

ACCOUNTS = Table("accounts", key="account_id", columns=(
    Column("account_id", parse_id, required=True),
    Column("created_at", parse_timestamp, required=True),
    Column("email_domain", parse_lower),
    Column("signup_ip", parse_ip),
    Column("country", parse_country),
    Column("payment_fingerprint", parse_string),
    Column("org_id", parse_string),
    Column("plan", one_of(*PLANS)),
    Column("status", one_of(*STATUSES), default="active"),
    Column("status_changed_at", parse_timestamp),
))

SESSIONS = Table("sessions", key="session_id", columns=(
    Column("session_id", parse_id, required=True),
    Column("account_id", parse_id, required=True),
    Column("started_at", parse_timestamp, required=True),
    Column("ended_at", parse_timestamp),
    Column("ip", parse_ip, required=True),
    Column("user_agent", parse_string),
    Column("device_fingerprint", parse_string),
    Column("api_key_id", parse_string),
    Column("model", parse_string),
    Column("requests", parse_positive, default=1),
    Column("input_tokens", parse_count),
    Column("output_tokens", parse_count),
    Column("prompt_fingerprint", parse_simhash),
    Column("prompt_category", parse_lower),
    Column("reasoning_request", parse_bool),
    Column("sensitive_rewrite", parse_bool),
    Column("refusals", parse_count),
))

IP_INTEL = Table("ip_intel", key="ip", required_file=False, columns=(
    Column("ip", parse_ip, required=True),
    Column("asn", parse_asn),
    Column("as_org", parse_string),
    Column("country", parse_country),
    Column("network_type", one_of(*NETWORK_TYPES), default="unknown"),
    Column("proxy_provider", parse_string),
))

TABLES = (ACCOUNTS, IP_INTEL, SESSIONS)


@dataclass
class RowProblem:
    column: str
    reason: str


def clean_row(table: Table, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, RowProblem | None]:
    """Validate one raw row: the clean row, or the first problem found.

    Unknown columns are left out of the clean row (the caller counts them).
    """
    clean: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        value = raw.get(name)
        if value is None or value == "":
            if column.required:
                return None, RowProblem(name, f"{name} is required but missing")
            clean[name] = column.default
            continue
        try:
            clean[name] = column.parse(value)
        except BadValue as exc:
            return None, RowProblem(name, f"{name} {exc}")
    problem = _cross_checks(table, clean)
    if problem:
        return None, problem
    return clean, None


def _cross_checks(table: Table, row: dict[str, Any]) -> RowProblem | None:
    if table is SESSIONS and row["ended_at"] is not None and row["ended_at"] < row["started_at"]:
        return RowProblem("ended_at", "ended_at is before started_at")
    return None
