"""Query results as plain data: JSON-safe values, table cells, CSV, and a graph.

Neo4j nodes, relationships and paths become dicts; the graph view gets
`{nodes: [{id, label, type, href, status}], edges: [{source, target, type}]}`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from neo4j.graph import Node, Path, Relationship

from app.kinds import entity_url, node_url
from app.privacy import Masked, mask_mapping

# Values to show masked (payment tokens, personal e-mail domains), by value.
Masks = Mapping[str, Masked]
NO_MASKS: Masks = {}

# The property that names a node of each label, for labels and links.
KEY_PROPERTIES = ("account_id", "network_id", "address", "fingerprint", "api_key_id",
                  "name", "asn", "cidr", "org_id", "value", "session_id", "run_id",
                  "query_id", "case_id", "username")
MAX_CELL = 300


def node_label(node: Node, masks: Masks = NO_MASKS) -> str:
    """A short name for a node: its key property, else its label."""
    props = dict(node)
    for key in KEY_PROPERTIES:
        if props.get(key) is not None:
            return str(masks.get(props[key], props[key]) if isinstance(props[key], str)
                       else props[key])
    return next(iter(node.labels), "node")


def _node_url(node: Node, masks: Masks) -> str:
    return node_url(node.labels, mask_mapping(dict(node), masks) if masks else dict(node))


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere in a value read from Neo4j (node and relationship
    properties included): what masking has to look at."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (Node, Relationship)):
        for item in dict(value).values():
            yield from strings_in(item)
    elif isinstance(value, Path):
        for part in (*value.nodes, *value.relationships):
            yield from strings_in(part)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_in(item)


def node_type(node: Node) -> str:
    return sorted(node.labels)[0] if node.labels else "Node"


def to_plain(value: Any, masks: Masks = NO_MASKS) -> Any:
    """A JSON-safe copy of a value read from Neo4j (masked strings as their aliases)."""
    if isinstance(value, Node):
        return {"kind": "node", "id": value.element_id, "labels": sorted(value.labels),
                "properties": {k: to_plain(v, masks) for k, v in dict(value).items()}}
    if isinstance(value, Relationship):
        return {"kind": "relationship", "id": value.element_id, "type": value.type,
                "start": value.start_node.element_id if value.start_node else None,
                "end": value.end_node.element_id if value.end_node else None,
                "properties": {k: to_plain(v, masks) for k, v in dict(value).items()}}
    if isinstance(value, Path):
        return {"kind": "path", "nodes": [to_plain(n, masks) for n in value.nodes],
                "relationships": [to_plain(r, masks) for r in value.relationships]}
    if isinstance(value, dict):
        return {str(k): to_plain(v, masks) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, masks) for v in value]
    if isinstance(value, str):
        return str(masks[value]) if value in masks else value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "iso_format"):
        return str(value.iso_format())
    return str(value)


def plain_size(values: list[Any]) -> int:
    """Bytes a row takes as JSON (what the result-size cap counts)."""
    return len(json.dumps(to_plain(values), default=str))


@dataclass(frozen=True)
class Cell:
    """A table cell: text, and a link where the value is an account or a network."""

    text: str
    href: str = ""
    parts: tuple[Cell, ...] = ()


def cell(value: Any, masks: Masks = NO_MASKS) -> Cell:
    """How a value shows in the result table."""
    if isinstance(value, str) and value in masks:
        masked = masks[value]
        return Cell(str(masked), entity_url(masked.kind, masked) or "")
    if isinstance(value, Node):
        return Cell(f"{node_type(value)} {node_label(value, masks)}", _node_url(value, masks))
    if isinstance(value, Relationship):
        return Cell(f"-[:{value.type}]->")
    if isinstance(value, Path):
        parts: list[Cell] = []
        for index, node in enumerate(value.nodes):
            parts.append(cell(node, masks))
            if index < len(value.relationships):
                rel = value.relationships[index]
                forward = rel.start_node is not None and \
                    rel.start_node.element_id == node.element_id
                parts.append(Cell(f"-[:{rel.type}]->" if forward else f"<-[:{rel.type}]-"))
        return Cell(" ".join(p.text for p in parts), parts=tuple(parts))
    if isinstance(value, (list, tuple)):
        items = [cell(v, masks) for v in value]
        return Cell(", ".join(c.text for c in items)[:MAX_CELL],
                    parts=tuple(items) if any(c.href for c in items) else ())
    if isinstance(value, dict):
        return Cell(json.dumps(to_plain(value, masks), default=str)[:MAX_CELL])
    if value is None:
        return Cell("")
    if isinstance(value, bool):
        return Cell("true" if value else "false")
    if isinstance(value, float):
        return Cell(f"{value:.6g}")
    if hasattr(value, "iso_format"):
        return Cell(str(value.iso_format())[:19].replace("T", " ") if hasattr(value, "hour")
                    else str(value.iso_format()))
    return Cell(str(value)[:MAX_CELL])


@dataclass
class GraphData:
    nodes: list[dict[str, str]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}


def graph_of(records: list[list[Any]], masks: Masks = NO_MASKS) -> GraphData:
    """The nodes and relationships anywhere in the records, each once."""
    data = GraphData()
    seen_nodes: set[str] = set()
    seen_edges: set[str] = set()

    def add_node(node: Node) -> None:
        if node.element_id not in seen_nodes:
            seen_nodes.add(node.element_id)
            data.nodes.append({"id": node.element_id, "label": node_label(node, masks),
                               "type": node_type(node), "href": _node_url(node, masks),
                               "status": str(node.get("status") or "")})

    def visit(value: Any) -> None:
        if isinstance(value, Node):
            add_node(value)
        elif isinstance(value, Relationship):
            if value.start_node is None or value.end_node is None:
                return
            add_node(value.start_node)
            add_node(value.end_node)
            if value.element_id not in seen_edges:
                seen_edges.add(value.element_id)
                data.edges.append({"source": value.start_node.element_id,
                                   "target": value.end_node.element_id, "type": value.type})
        elif isinstance(value, Path):
            for node in value.nodes:
                add_node(node)
            for rel in value.relationships:
                visit(rel)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    for record in records:
        visit(record)
    return data


def to_csv(columns: list[str], records: list[list[Any]], masks: Masks = NO_MASKS) -> str:
    """Rows as CSV: text cells, JSON for nested values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_value(v, masks) for v in record])
    return out.getvalue()


def _csv_value(value: Any, masks: Masks) -> str:
    if isinstance(value, (Node, Relationship, Path)):
        return cell(value, masks).text
    plain = to_plain(value, masks)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, (list, dict)):
        return json.dumps(plain, default=str)
    text = str(plain)
    # Cells that a spreadsheet would run as a formula are quoted.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
