"""Cypher lives in files: load a named statement from cypher/."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from app.errors import HydrascopeError

_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")


class UnknownStatement(HydrascopeError):
    """No .cypher file of that name."""


@lru_cache(maxsize=512)
def load_statement(cypher_dir: Path, name: str) -> str:
    """The text of cypher/<name>.cypher (cached: the files do not change at run time)."""
    if not _NAME.match(name):
        raise UnknownStatement(f"not a statement name: {name!r}")
    path = cypher_dir / f"{name}.cypher"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownStatement(f"no Cypher file {path}") from None


def split_statements(text: str) -> list[str]:
    """Split a file of several statements at top-level semicolons.

    Semicolons inside strings or comments do not split; comment-only pieces
    are dropped.
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\" and i + 1 < n:
                current.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            current.append(text[i:end])
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            current.append(text[i:end])
            i = end
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    without = re.sub(r"//[^\n]*", "", statement)
    without = re.sub(r"/\*.*?\*/", "", without, flags=re.S)
    return bool(without.strip())
