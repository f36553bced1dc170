"""Privacy by default: identifiers of individuals are shown as stable aliases.

Payment tokens are always masked; an e-mail domain is masked while fewer
than `min_accounts` accounts use it (a personal or family domain says who
someone is; `gmail.com` or a throw-away domain shared by a network does
not). A masked value shows as an alias, the same for the same value, so an
investigator still sees that two accounts share one token without seeing
the token. Links carry an opaque token (the value encrypted with AES-SIV
under a key derived from the app's secret), so raw values never sit in
URLs, browser history or access logs; analysts reveal a value on request,
and the reveal is audited by the caller.

Pure: no database here. `Masked` is a `str` whose text is the alias, so
whatever renders or serialises it (Jinja, JSON, CSV) shows the alias only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from app.kinds import ALWAYS_MASKED, MASKED_WHEN_RARE, kind_of

# Kinds masked whatever their spread, and kinds masked while few accounts share them
# (app/kinds.py says which).
MASKED_KINDS = ALWAYS_MASKED | MASKED_WHEN_RARE
DEFAULT_MIN_ACCOUNTS = 5

_TOKEN_MAX = 600  # characters; a real token of a 200-character value is ~300


class BadToken(ValueError):
    """An opaque token that this server did not make (or made for another kind)."""


class Masked(str):
    """A masked value: its text is the alias; `token` names the value in links."""

    kind: str
    token: str

    def __new__(cls, alias: str, kind: str, token: str) -> Masked:
        masked = super().__new__(cls, alias)
        masked.kind = kind
        masked.token = token
        return masked

    def __reduce__(self) -> tuple[Any, ...]:
        return (Masked, (str(self), self.kind, self.token))


class Privacy:
    """Masks and unmasks values with keys derived from one secret."""

    def __init__(self, secret: str, min_accounts: int = DEFAULT_MIN_ACCOUNTS):
        root = hashlib.sha512(b"hydrascope privacy v1\x00" + secret.encode()).digest()
        self._siv = AESSIV(root)  # 64 bytes: AES-256-SIV
        # The web app's request threads share this object; the cipher's docs
        # promise nothing about concurrent use, so one use at a time.
        self._siv_lock = threading.Lock()
        self._alias_key = hashlib.sha256(b"alias\x00" + root).digest()
        self.min_accounts = min_accounts

    def is_masked(self, kind: str, accounts: int | None = None) -> bool:
        """Whether values of this kind are masked; `accounts` is how many accounts use
        the value (unknown counts as few: the safe side)."""
        if kind in ALWAYS_MASKED:
            return True
        if kind in MASKED_WHEN_RARE:
            return accounts is None or accounts < self.min_accounts
        return False

    def alias(self, kind: str, value: str) -> str:
        digest = hmac.new(self._alias_key, f"{kind}\x00{value}".encode(), "sha256").digest()
        code = base64.b32encode(digest[:5]).decode()
        found = kind_of(kind)
        return f"{found.alias if found else 'id'}-{code}"

    def mask(self, kind: str, value: Any, accounts: int | None = None) -> Any:
        """The value as it may be shown: a `Masked` alias, or the value itself."""
        if value is None or isinstance(value, Masked) or not self.is_masked(kind, accounts):
            return value
        text = str(value)
        with self._siv_lock:
            sealed = self._siv.encrypt(text.encode(), [kind.encode()])
        token = base64.urlsafe_b64encode(sealed).decode().rstrip("=")
        return Masked(self.alias(kind, text), kind, token)

    def unmask(self, kind: str, token: str) -> str:
        """The value behind a token; `BadToken` when it is not one of ours for this kind."""
        if not token or len(token) > _TOKEN_MAX:
            raise BadToken("not a masked value")
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            with self._siv_lock:
                opened = self._siv.decrypt(sealed, [kind.encode()])
            return opened.decode()
        except (InvalidTag, ValueError, UnicodeDecodeError) as exc:
            raise BadToken("not a masked value") from exc

    def mask_rows(self, rows: Iterable[dict[str, Any]], *, kind_field: str = "kind",
                  key_field: str = "key", count_field: str | None = None,
                  count_offset: int = 0) -> None:
        """Mask in place the key of each `{kind, key}` row whose kind is masked.

        `count_field` names the row's count of accounts using the entity (plus
        `count_offset`, e.g. 1 when the count leaves out the account itself).
        """
        for row in rows:
            kind = row.get(kind_field)
            if kind in MASKED_KINDS:
                count = row.get(count_field) if count_field else None
                accounts = None if count is None else int(count) + count_offset
                row[key_field] = self.mask(str(kind), row.get(key_field), accounts)


@lru_cache(maxsize=8)
def privacy_for(secret: str, min_accounts: int = DEFAULT_MIN_ACCOUNTS) -> Privacy:
    return Privacy(secret, min_accounts)


def mask_mapping(values: Mapping[str, Any], masks: Mapping[str, Masked]) -> dict[str, Any]:
    """A copy of a property map with every masked string value replaced by its alias."""
    return {k: masks.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
