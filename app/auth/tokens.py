"""API tokens for scripts: `Authorization: Bearer hs_<id>_<secret>`.

The secret is 32 random bytes, so a plain SHA-256 of it is a safe stored
form (no password stretching needed); the id finds the token in one lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from app.auth.users import User, UserError
from app.db.graph import Graph

TOKEN = re.compile(r"^hs_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(graph: Graph, username: str, label: str) -> str:
    """A new token for the login; the only time its full text is known."""
    label = label.strip()
    if not label or len(label) > 100:
        raise UserError("a token needs a label of 1-100 characters (what script uses it)")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    rows = graph.write("tokens/create_token", username=username, token_id=token_id,
                       secret_hash=secret_digest(secret), label=label)
    if not rows:
        raise UserError(f"no user {username!r}")
    return f"hs_{token_id}_{secret}"


def user_for_token(graph: Graph, token: str) -> User | None:
    """The active login a valid, unrevoked token belongs to; None otherwise."""
    match = TOKEN.match(token.strip())
    if match is None:
        return None
    token_id, secret = match.groups()
    rows = graph.read("tokens/token_user", token_id=token_id)
    if not rows:
        return None
    row = rows[0]
    if not hmac.compare_digest(row["secret_hash"], secret_digest(secret)):
        return None
    if row["revoked"] or not row["active"]:
        return None
    graph.write("tokens/touch_token", token_id=token_id)
    return User(row["username"], row["role"])


def list_tokens(graph: Graph, username: str) -> list[dict[str, Any]]:
    return graph.read("tokens/list_tokens", username=username)


def revoke_token(graph: Graph, username: str, token_id: str) -> bool:
    """True when the login had this token (now revoked)."""
    return bool(graph.write("tokens/revoke_token", username=username, token_id=token_id))
