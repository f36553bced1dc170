"""Read-side services for the investigator pages: runs, networks, accounts,
entities and search, each in its module; the names pages use, here."""

from __future__ import annotations

from app.explore.accounts import get_account
from app.explore.entities import entity_lookup_params, get_entity
from app.explore.masking import mask_account, mask_picture, privacy_of, resolve_key, reveal
from app.explore.networks import (
    INFRASTRUCTURE_KINDS,
    activity_heatmap,
    get_network,
    list_networks,
    network_activity,
    network_graph,
    network_infrastructure,
    network_members,
)
from app.explore.runs import get_run, latest_run, latest_run_id
from app.explore.search import SEARCH_LIMIT, search
from app.paging import Page

__all__ = [
    "INFRASTRUCTURE_KINDS", "SEARCH_LIMIT", "Page", "activity_heatmap", "entity_lookup_params",
    "get_account", "get_entity", "get_network", "get_run", "latest_run", "latest_run_id",
    "list_networks", "mask_account", "mask_picture", "network_activity", "network_graph",
    "network_infrastructure", "network_members", "privacy_of", "resolve_key", "reveal",
    "search",
]
