"""Sign-in state, roles and CSRF for the web app."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from urllib.parse import quote

from fastapi import HTTPException, Request

from app.auth.tokens import user_for_token
from app.auth.users import User, request_context
from app.db.graph import Graph

SESSION_USER = "user"
SESSION_SINCE = "since"
SESSION_CSRF = "csrf"


class SignInRequired(Exception):
    """Raised by route dependencies when nobody is signed in."""


class Forbidden(Exception):
    """Raised when the signed-in user's role is too low."""

    def __init__(self, role: str):
        super().__init__(role)
        self.role = role


def graph_of(request: Request) -> Graph:
    graph: Graph = request.app.state.graph
    return graph


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token (form field or header).

    Requests with a bearer token carry no cookie a browser could replay, so
    they need none; the token itself is checked by the sign-in dependency,
    which never falls back to the cookie when a bearer header is present.
    """
    if bearer_token(request) is not None:
        return
    expected = request.session.get(SESSION_CSRF)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise HTTPException(status_code=403, detail="the form expired or did not come from "
                                                    "this site: reload the page and try again")


def current_user(request: Request) -> User:
    """The signed-in user (re-read so a changed role or a disabled login counts at once).

    A bearer token, when sent, is the only credential looked at.
    """
    token = bearer_token(request)
    if token is not None:
        by_token = user_for_token(graph_of(request), token)
        if by_token is None:
            raise SignInRequired()
        request.state.user = by_token
        return by_token
    name = request.session.get(SESSION_USER)
    user = None
    if name:
        user, request.state.latest_run = request_context(graph_of(request), name)
    since = request.session.get(SESSION_SINCE)
    if user is None or not isinstance(since, (int, float)) or since < user.sessions_valid_after:
        # Unknown, disabled, or signed out everywhere after this session began.
        request.session.pop(SESSION_USER, None)
        raise SignInRequired()
    request.state.user = user
    return user


def require(role: str) -> Callable[[Request], User]:
    """A dependency that admits users of at least this role."""

    def dependency(request: Request) -> User:
        user = current_user(request)
        if not user.can(role):
            raise Forbidden(role)
        return user

    # Lets the route walk in the tests check every route declares a role.
    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency


def client_address(request: Request) -> str:
    """Where a request came from (uvicorn resolves trusted proxies' forwarding headers)."""
    return request.client.host if request.client else "unknown"


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
