"""Collections of shared intelligence: their policy (which kinds leave) and key.

The default collection, `confirmed-networks`, exists from the first use and
shares every kind; its key is `HYDRASCOPE_SHARING_KEY`. Another collection is
made with `hydrascope intel collection add NAME`, with its own kinds and its
own key (a file kept under the home directory, readable by its owner only):
one key per group of partners, so a partner of one collection cannot match
another's hashes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.db.graph import Graph
from app.sharing.stix import SHAREABLE, SharingError

DEFAULT = "confirmed-networks"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MIN_KEY_BYTES = 16


def provider_identity(graph: Graph) -> str:
    """This installation's producer UUID (made once, kept in the graph)."""
    rows = graph.write("sharing/provider", identity_uuid=str(uuid.uuid4()))
    return str(rows[0]["identity_uuid"])


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise SharingError(f"a collection name is 1-63 lower-case letters, digits and dashes, "
                           f"not {name[:70]!r}")
    return name


def ensure_collection(graph: Graph, name: str = DEFAULT, *, kinds: list[str] | None = None,
                      title: str = "", description: str = "") -> dict[str, Any]:
    """The collection of that name, made (with `kinds`, default all) if it is new."""
    name = check_name(name)
    kinds = list(kinds) if kinds else list(SHAREABLE)
    unknown = sorted(set(kinds) - set(SHAREABLE))
    if unknown:
        raise SharingError(f"cannot share {', '.join(unknown)}: kinds are "
                           f"{', '.join(SHAREABLE)}")
    identity = provider_identity(graph)
    collection_id = str(uuid.uuid5(uuid.UUID(identity), f"collection|{name}"))
    rows = graph.write("sharing/ensure_collection", name=name, collection_id=collection_id,
                       title=title or _title(name), description=description or
                       "Networks of accounts distilling AI models, as decided by the "
                       "provider's investigators.", kinds=[k for k in SHAREABLE if k in kinds])
    return dict(rows[0]["collection"])


def _title(name: str) -> str:
    return name.replace("-", " ").capitalize()


def list_collections(graph: Graph) -> list[dict[str, Any]]:
    return [{**row["collection"], "objects": row["objects"]}
            for row in graph.read("sharing/collections")]


def collections_by_id(graph: Graph, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The collections of these ids, by name (without counting their objects: a
    partner's every request reads them)."""
    return [row["collection"] for row in graph.read("sharing/collections_by_id",
                                                      ids=sorted(ids))]


def get_collection(graph: Graph, name: str) -> dict[str, Any]:
    """A collection by name; the default one is made on first use."""
    if name == DEFAULT:
        return ensure_collection(graph)
    for collection in list_collections(graph):
        if collection["name"] == name:
            return collection
    raise SharingError(f"no collection {name!r}: make it with "
                       f"`hydrascope intel collection add {name}`")


def key_file(graph: Graph, name: str) -> Path:
    return graph.settings.home / "sharing" / f"{name}.key"


def store_key(graph: Graph, name: str, key: bytes) -> Path:
    """Keep a collection's agreed key under the home directory (owner-only)."""
    if len(key) < MIN_KEY_BYTES:
        raise SharingError(f"a sharing key has at least {MIN_KEY_BYTES} bytes")
    path = key_file(graph, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key)
    return path


def sharing_key(graph: Graph, name: str) -> bytes | None:
    """The key a collection's personal identifiers are hashed under, or None."""
    path = key_file(graph, name)
    if path.exists():
        return path.read_bytes().strip() or None
    if name == DEFAULT and graph.settings.sharing_key:
        return graph.settings.sharing_key.encode()
    return None
