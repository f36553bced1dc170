"""How long a query may run and how much it may return: admin-set, within ceilings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.config import Settings
from app.db.graph import Graph
from app.errors import HydrascopeError


class LimitsError(HydrascopeError):
    """Limits outside what the settings allow."""


@dataclass(frozen=True)
class QueryLimits:
    timeout_seconds: float
    max_rows: int
    max_bytes: int
    updated_by: str = ""
    updated_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Ceilings:
    timeout_seconds: float
    max_rows: int
    max_bytes: int


def ceilings(settings: Settings) -> Ceilings:
    """The most an admin may allow (from the environment)."""
    return Ceilings(settings.query_timeout_max, settings.query_max_rows_ceiling,
                    settings.query_max_bytes_ceiling)


def default_limits(settings: Settings) -> QueryLimits:
    top = ceilings(settings)
    return QueryLimits(min(settings.query_timeout_seconds, top.timeout_seconds),
                       min(settings.query_max_rows, top.max_rows),
                       min(settings.query_max_bytes, top.max_bytes))


def current_limits(graph: Graph) -> QueryLimits:
    """The limits in force: the admin's, else the defaults; never above the ceilings."""
    rows = graph.read("query_store/get_limits")
    base = default_limits(graph.settings)
    if not rows:
        return base
    row = rows[0]
    top = ceilings(graph.settings)
    return QueryLimits(
        timeout_seconds=min(float(row["timeout_seconds"] or base.timeout_seconds),
                            top.timeout_seconds),
        max_rows=min(int(row["max_rows"] or base.max_rows), top.max_rows),
        max_bytes=min(int(row["max_bytes"] or base.max_bytes), top.max_bytes),
        updated_by=row["updated_by"] or "", updated_at=row["updated_at"] or "")


def set_limits(graph: Graph, admin: str, *, timeout_seconds: float, max_rows: int,
               max_bytes: int) -> QueryLimits:
    """Store new limits; each must lie between a floor and the settings' ceiling."""
    top = ceilings(graph.settings)
    problems = []
    if not 0.5 <= timeout_seconds <= top.timeout_seconds:
        problems.append(f"timeout must be 0.5 to {top.timeout_seconds:g} seconds")
    if not 1 <= max_rows <= top.max_rows:
        problems.append(f"row cap must be 1 to {top.max_rows:,}")
    if not 10_000 <= max_bytes <= top.max_bytes:
        problems.append(f"size cap must be 10,000 to {top.max_bytes:,} bytes")
    if problems:
        raise LimitsError("; ".join(problems))
    graph.write("query_store/set_limits", timeout_seconds=float(timeout_seconds),
                max_rows=int(max_rows), max_bytes=int(max_bytes), updated_by=admin)
    return current_limits(graph)
