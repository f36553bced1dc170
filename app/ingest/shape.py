"""The shape of the evidence graph a load builds (`cypher/ingest/graph.toml`),
and how a value becomes a node key."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from app.config import PROJECT_ROOT

SHAPE_FILE = PROJECT_ROOT / "cypher" / "ingest" / "graph.toml"
USER_AGENT_KEY_LIMIT = 512


@dataclass(frozen=True)
class GraphShape:
    nodes: dict[str, str]  # label -> key property
    relationships: dict[str, tuple[str, str]]  # type -> (start label, end label)

    def key(self, label: str) -> str:
        return self.nodes[label]

    def ends(self, rel_type: str) -> tuple[str, str]:
        return self.relationships[rel_type]


@lru_cache(maxsize=1)
def graph_shape() -> GraphShape:
    with open(SHAPE_FILE, "rb") as fh:
        data = tomllib.load(fh)
    return GraphShape(
        nodes=dict(data["nodes"]),
        relationships={name: (start, end) for name, (start, end)
                       in data["relationships"].items()},
    )


def user_agent_key(value: str) -> str:
    """The UserAgent node key: the value, or for a huge one a prefix plus its digest."""
    if len(value) <= USER_AGENT_KEY_LIMIT:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{value[:USER_AGENT_KEY_LIMIT]}…#{digest}"
