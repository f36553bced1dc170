"""Every route of the app, whatever way FastAPI keeps included routers."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute


def all_routes(routes: list[Any]) -> list[Any]:
    """Routes flattened: FastAPI 0.16x keeps included routers as one lazy entry each."""
    flat: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            flat += all_routes(list(inner.routes))
        else:
            flat.append(route)
    return flat


def api_routes(routes: list[Any]) -> list[APIRoute]:
    return [r for r in all_routes(routes) if isinstance(r, APIRoute)]
