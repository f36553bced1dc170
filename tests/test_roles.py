"""Walk every route as a stranger, a viewer, an analyst and an admin: each
route declares the role it needs, strangers never get in, lower roles get
403, and those with the role are let through (to a page, a redirect or an
input error, never a refusal). The TAXII routes take a partner's token and
no sign-in: every login without one gets 401."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.auth.users import ROLES, create_user
from app.config import Settings
from app.db.graph import Graph
from app.web.app import create_app
from tests.routes import api_routes
from tests.test_web import PASSWORD, sign_in, soup

OPEN = {"/login", "/logout", "/healthz", "/about"}
PARTNER = "partner"
VALUES = {"network_id": "HN-00001", "account_id": "nobody", "key": "x", "name": "no-such-query",
          "fmt": "csv", "username": "nobody", "token_id": "0000000000000000",
          "case_id": "CASE-00000", "note_id": "x", "query_id": "x"}


def required_role(route: APIRoute) -> str | None:
    def walk(dependant: Any) -> str | None:
        role = getattr(dependant.call, "required_role", None)
        if role:
            return str(role)
        for sub in dependant.dependencies:
            found = walk(sub)
            if found:
                return found
        return None
    return walk(route.dependant)


def fill(path: str) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: VALUES.get(m.group(1), "x"), path)


@pytest.fixture
def app_routes(graph: Graph, neo4j_settings: Settings) -> Iterator[TestClient]:
    for role in ROLES:
        create_user(graph, f"{role}-user", PASSWORD, role)
    with TestClient(create_app(neo4j_settings)) as client:
        yield client


def call(client: TestClient, method: str, url: str, token: str) -> int:
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    return client.request(method, url, data={"csrf_token": token},
                          headers={"X-CSRF-Token": token},
                          follow_redirects=False).status_code


def test_every_route_answers_each_role_as_it_must(app_routes: TestClient,
                                                  neo4j_settings: Settings) -> None:
    routes = [r for r in api_routes(app_routes.app.routes)  # type: ignore[attr-defined]
              if r.path not in OPEN]
    assert len(routes) > 30
    undeclared = [r.path for r in routes if required_role(r) is None]
    assert not undeclared, f"routes without a role: {undeclared}"
    checked = 0
    for role in (None, *ROLES):
        with TestClient(create_app(neo4j_settings)) as client:
            if role:
                sign_in(client, f"{role}-user")
            token = soup(client.get("/login")).select_one("input[name=csrf_token]")["value"] \
                if role is None else soup(client.get("/")).select_one(
                    "input[name=csrf_token]")["value"]
            for route in routes:
                needed = required_role(route)
                assert needed is not None
                for method in sorted(route.methods):
                    status = call(client, method, fill(route.path), token)
                    where = f"{method} {route.path} as {role or 'stranger'}"
                    if needed == PARTNER:
                        assert status == 401, where
                    elif role is None:
                        assert status in (401, 303) if route.path.startswith("/api/") is False \
                            else status == 401, where
                        if status == 303:
                            assert route.path.startswith("/api/") is False, where
                    elif ROLES.index(role) < ROLES.index(needed):
                        assert status == 403, where
                    else:
                        assert status not in (401, 403) and status < 500, f"{where}: {status}"
                    checked += 1
    assert checked >= 4 * len(routes)
