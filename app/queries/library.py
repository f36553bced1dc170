"""Saved-query files: the `//` comment header, and the built-in library under cypher/queries/.

A query file stays plain Cypher that pastes into any Neo4j client; its
metadata lives in the leading comment lines:

    // title: Accounts sharing a payment token with a banned account
    // description: One line of what it finds; repeat the key to go on.
    // category: Payments
    // param: min_accounts int(2..1000) = 2 -- Smallest group to show
    // param: account_id account -- An account id (no default: required)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.errors import HydrascopeError
from app.queries.params import NAME, RESERVED, TYPES, Param

QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_KEY = re.compile(r"^//\s*(title|description|category|param)\s*:\s?(.*)$", re.I)
_PARAM = re.compile(
    r"^(?P<name>\w+)\s+(?P<type>\w+)(?:\((?P<low>-?[\d.]*)\.\.(?P<high>-?[\d.]*)\))?"
    r"\s*(?:=\s*(?P<default>.*?))?\s*(?:--\s*(?P<help>.*))?$")
_USED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class QueryFileError(HydrascopeError):
    """A saved-query file whose header cannot be read; the message says where."""


class UnknownQuery(HydrascopeError):
    """No saved query of that name."""


@dataclass(frozen=True)
class QueryDef:
    """A saved query: metadata from its header plus its Cypher."""

    name: str
    title: str
    description: str
    category: str
    params: tuple[Param, ...]
    body: str
    source: str = "library"
    query_id: str = ""
    owner: str = ""
    shared: bool = True
    version: int = 1
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The whole file: header then Cypher."""
        return format_query_file(self)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def _split_header(text: str) -> tuple[list[str], str]:
    lines = text.strip("\ufeff").splitlines()
    header: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("//"):
            header.append(stripped)
            continue
        if not stripped and not header:
            continue
        return header, "\n".join(lines[index:]).strip()
    return header, ""


def parse_param(spec: str, where: str = "") -> Param:
    """One `param:` line's value: `name type[(min..max)] [= default] [-- help]`."""
    match = _PARAM.match(spec.strip())
    if not match:
        raise QueryFileError(f"{where}bad parameter line {spec!r}: write "
                             "'name type = default -- help'")
    name, kind = match["name"], match["type"].lower()
    if not NAME.match(name) or name in RESERVED:
        raise QueryFileError(f"{where}parameter name {name!r} is not allowed")
    if kind not in TYPES:
        raise QueryFileError(f"{where}parameter {name}: unknown type {kind!r} "
                             f"(one of {', '.join(TYPES)})")
    default = match["default"]
    if default is not None and len(default) >= 2 and default[0] == default[-1] == '"':
        default = default[1:-1]
    try:
        low = float(match["low"]) if match["low"] else None
        high = float(match["high"]) if match["high"] else None
    except ValueError:
        raise QueryFileError(f"{where}parameter {name}: bad bounds") from None
    param = Param(name=name, type=kind, default=default, help=(match["help"] or "").strip(),
                  minimum=low, maximum=high)
    if default not in (None, ""):
        param.parse(default)  # a default that does not fit its own type is a file error
    return param


def parse_query_file(text: str, name: str, where: str = "") -> QueryDef:
    """A query file's header and body; errors name the problem (`where` prefixes them)."""
    header, body = _split_header(text)
    fields: dict[str, list[str]] = {"title": [], "description": [], "category": [],
                                    "param": []}
    for line in header:
        match = _KEY.match(line)
        if match:
            fields[match[1].lower()].append(match[2].strip())
    if not fields["title"]:
        raise QueryFileError(f"{where}no '// title:' line in the header")
    if not body:
        raise QueryFileError(f"{where}no Cypher after the header")
    params = tuple(parse_param(spec, where) for spec in fields["param"])
    names = [p.name for p in params]
    if len(names) != len(set(names)):
        raise QueryFileError(f"{where}a parameter is declared twice")
    return QueryDef(name=name, title=fields["title"][0],
                    description=" ".join(fields["description"]),
                    category=(fields["category"] or ["Other"])[0], params=params, body=body)


def format_param(param: Param) -> str:
    line = f"{param.name} {param.describe_type()}"
    if param.default is not None:
        line += f' = {param.default}' if param.default != "" else ' = ""'
    if param.help:
        line += f" -- {param.help}"
    return line


def format_query_file(query: QueryDef) -> str:
    """Header and body as one `.cypher` file (parse_query_file reads it back)."""
    lines = [f"// title: {query.title}"]
    if query.description:
        lines.append(f"// description: {query.description}")
    lines.append(f"// category: {query.category}")
    lines += [f"// param: {format_param(p)}" for p in query.params]
    return "\n".join(lines) + "\n" + query.body.strip() + "\n"


def used_parameters(body: str) -> set[str]:
    """The $names a Cypher text uses (outside comments and strings)."""
    return set(_USED.findall(strip_comments_and_strings(body)))


def strip_comments_and_strings(text: str) -> str:
    """Cypher with comments removed and string literals emptied (for scanning)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            out.append(ch + ch)
            i = j + 1
        elif ch == "`":
            j = text.find("`", i + 1)
            j = n if j == -1 else j
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append(" ")
            i = n if j == -1 else j + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def library_dir(cypher_dir: Path) -> Path:
    return cypher_dir / "queries"


@lru_cache(maxsize=4)
def load_library(cypher_dir: Path) -> tuple[QueryDef, ...]:
    """Every built-in query, by title (files are read once per process)."""
    queries = []
    for path in sorted(library_dir(cypher_dir).glob("*.cypher")):
        name = path.stem
        if not QUERY_NAME.match(name):
            raise QueryFileError(f"{path.name}: a query file name is lower-case letters, "
                                 "digits and _")
        queries.append(parse_query_file(path.read_text(encoding="utf-8"), name,
                                        where=f"{path.name}: "))
    return tuple(sorted(queries, key=lambda q: (q.category, q.title)))


def library_query(cypher_dir: Path, name: str) -> QueryDef:
    """One built-in query by name."""
    for query in load_library(cypher_dir):
        if query.name == name:
            return query
    raise UnknownQuery(f"no saved query {name!r} (see 'hydrascope query list')")


def search(queries: list[QueryDef] | tuple[QueryDef, ...], text: str = "",
           category: str = "") -> list[QueryDef]:
    """Queries whose title, description, name or Cypher hold every word of `text`."""
    words = text.lower().split()
    found = []
    for query in queries:
        if category and query.category != category:
            continue
        haystack = " ".join((query.name, query.title, query.description, query.category,
                             query.body)).lower()
        if all(word in haystack for word in words):
            found.append(query)
    return found


