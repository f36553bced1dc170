"""Signing in and out, with throttling and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import record
from app.auth.throttle import WINDOW_SECONDS, sign_in_throttle
from app.auth.users import User, authenticate, end_sessions
from app.db.graph import Graph

WRONG = "Wrong user name or password."
THROTTLED = (f"Too many failed sign-ins for this name or from this address: wait "
             f"{WINDOW_SECONDS // 60} minutes and try again.")


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None
    status: int = 200


def sign_in(graph: Graph, username: str, password: str, source: str) -> SignIn:
    """Check a sign-in; every attempt lands in the audit trail."""
    if sign_in_throttle(graph, username, source).blocked:
        record(graph, username, "login.throttled", source=source, outcome="refused")
        return SignIn(None, THROTTLED, 429)
    user = authenticate(graph, username, password)
    if user is None:
        # One message whether the name exists or not.
        record(graph, username, "login.failed", source=source, outcome="failed")
        return SignIn(None, WRONG, 401)
    record(graph, user.username, "login.ok", source=source)
    return SignIn(user)


def sign_out(graph: Graph, username: str, source: str, everywhere: bool = False) -> None:
    if everywhere:
        end_sessions(graph, username)
    record(graph, username, "logout.everywhere" if everywhere else "logout", source=source)
