"""Logins: argon2 password hashes in Neo4j, three roles in one order."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j.exceptions import ConstraintError

from app.db.graph import Graph
from app.errors import HydrascopeError

ROLES = ("viewer", "analyst", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of a
# failed sign-in the same whether or not the name exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


class UserError(HydrascopeError):
    """A login that cannot be created as asked."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    # Epoch seconds: sessions that began before this no longer count.
    sessions_valid_after: float = 0.0

    def can(self, role: str) -> bool:
        """True when this user's role is at least `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip() != password or not password.isprintable():
        raise UserError("the password must not start or end with spaces or hold control "
                        "characters")


def create_user(graph: Graph, username: str, password: str, role: str) -> User:
    """Create a login; errors for a bad name, role or password, or a taken name."""
    if not USERNAME.match(username):
        raise UserError("a user name is 2-64 letters, digits or . _ @ - and starts with a "
                        "letter or digit")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    check_password_rules(password)
    try:
        graph.write("users/create_user", username=username,
                    password_hash=_hasher.hash(password), role=role)
    except ConstraintError:
        raise UserError(f"user {username!r} already exists") from None
    return User(username, role)


def authenticate(graph: Graph, username: str, password: str) -> User | None:
    """The user when name and password match an active login, else None."""
    rows = graph.read("users/get_user", username=username)
    row = rows[0] if rows else None
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["active"]:
        return None
    if _hasher.check_needs_rehash(stored):
        graph.write("users/set_password_hash", username=username,
                    password_hash=_hasher.hash(password))
    return User(row["username"], row["role"])


def request_context(graph: Graph, username: str) -> tuple[User | None, str | None]:
    """The active login of this name (None when unknown or disabled) and the latest
    complete detection run's id, in one round trip."""
    row = graph.read("users/request_context", username=username)[0]
    return _active_user(row), row["latest_run"]


def _active_user(row: dict[str, Any]) -> User | None:
    if not row["active"]:
        return None
    return User(row["username"], row["role"], row["sessions_valid_after"] or 0.0)


def end_sessions(graph: Graph, username: str) -> None:
    """Sign a login out everywhere: every session begun before now stops counting."""
    graph.write("users/end_sessions", username=username, now=time.time())


def count_users(graph: Graph) -> int:
    return int(graph.read("users/count_users")[0]["users"])


def ensure_demo_admin(graph: Graph) -> tuple[str, str] | None:
    """Create a demo admin when no login exists; (name, password) once, else None."""
    if count_users(graph):
        return None
    password = secrets.token_urlsafe(12)
    create_user(graph, "admin", password, "admin")
    return "admin", password


def list_users(graph: Graph) -> list[dict[str, Any]]:
    return graph.read("users/list_users")


def update_user(graph: Graph, username: str, *, role: str | None = None,
                active: bool | None = None) -> None:
    """Change a login's role, or switch it off (its sessions end at once) or on."""
    if role is not None and role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not graph.write("users/update_user", username=username, role=role, active=active):
        raise UserError(f"no user {username!r}")
