"""Query parameters: declared types, and raw text (form, URL, CLI) parsed into values.

Values always reach Cypher as $parameters, never as text in the statement.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import HydrascopeError

TYPES = ("string", "int", "float", "bool", "list", "account", "date")
# Names the pages and the CLI use themselves; a parameter may not take them.
RESERVED = frozenset({"run", "format", "cypher", "csrf_token", "params", "limit_rows"})
NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
MAX_TEXT = 2000
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


class ParamError(HydrascopeError):
    """A parameter value that does not fit its declared type; the message says why."""


@dataclass(frozen=True)
class Param:
    """One declared parameter of a saved query."""

    name: str
    type: str
    default: str | None = None
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def describe_type(self) -> str:
        """The type as the header writes it, e.g. `int(1..500)`."""
        if self.minimum is None and self.maximum is None:
            return self.type
        low = "" if self.minimum is None else _number_text(self.minimum)
        high = "" if self.maximum is None else _number_text(self.maximum)
        return f"{self.type}({low}..{high})"

    def parse(self, raw: str | None) -> Any:
        """The Python value of a raw text value (the default when empty)."""
        text = (raw if raw is not None else "").strip()
        if text == "":
            if self.default is None:
                raise ParamError(f"{self.name}: a value is required")
            text = self.default
            if text == "" and self.type in ("string", "list"):
                return "" if self.type == "string" else []
        if len(text) > MAX_TEXT:
            raise ParamError(f"{self.name}: at most {MAX_TEXT} characters")
        value = _parse_typed(self.name, self.type, text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise ParamError(f"{self.name}: at least {_number_text(self.minimum)}")
            if self.maximum is not None and value > self.maximum:
                raise ParamError(f"{self.name}: at most {_number_text(self.maximum)}")
        return value


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _parse_typed(name: str, kind: str, text: str) -> Any:
    if kind == "string":
        return text
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ParamError(f"{name}: expected a whole number, got {text!r}") from None
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ParamError(f"{name}: expected a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ParamError(f"{name}: expected a finite number")
        return value
    if kind == "bool":
        lowered = text.lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise ParamError(f"{name}: expected true or false, got {text!r}")
    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == "account":
        if not ACCOUNT_ID.match(text):
            raise ParamError(f"{name}: {text!r} is not an account id")
        return text
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ParamError(f"{name}: expected a date as YYYY-MM-DD, got {text!r}") from None
    raise ParamError(f"{name}: unknown type {kind!r}")


def parse_values(params: list[Param], raw: dict[str, str]) -> dict[str, Any]:
    """All declared parameters parsed; every problem in one message."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for param in params:
        try:
            values[param.name] = param.parse(raw.get(param.name))
        except ParamError as exc:
            problems.append(str(exc))
    unknown = sorted(set(raw) - {p.name for p in params})
    if unknown:
        problems.append(f"unknown parameter{'s' if len(unknown) > 1 else ''}: "
                        + ", ".join(unknown))
    if problems:
        raise ParamError("; ".join(problems))
    return values


def infer_value(text: str) -> Any:
    """An undeclared (ad-hoc) parameter: JSON where it parses as JSON, else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, dict):
        return text
    return value


def parse_pairs(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`key=value` strings (CLI -p, the ad-hoc form) as a dict; bad ones are an error."""
    result: dict[str, str] = {}
    for pair in pairs:
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not NAME.match(key):
            raise ParamError(f"a parameter is written key=value, got {pair!r}")
        result[key] = value.strip()
    return result
