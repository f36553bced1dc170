"""One page of a long list, as every table and API answer pages it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    rows: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def parse_json(value: str | None, default: Any) -> Any:
    """A JSON property read back from Neo4j; `default` when empty or broken."""
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default
