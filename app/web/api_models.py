"""What the JSON API answers with, as the OpenAPI schema documents it.

The envelopes and the fields a script relies on are typed; the rows carry more
properties than are named here (they follow the graph), so row models allow
extra fields. FastAPI checks every answer against these models, and the
schemathesis test checks the schema against the answers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A record whose named fields are guaranteed and whose other fields pass through."""

    model_config = ConfigDict(extra="allow")


class Paged(BaseModel):
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    pages: int = Field(ge=1)


# -- networks, accounts, entities, search ------------------------------------------


class NetworkRow(Open):
    network_id: str
    score: float | None
    size: int


class NetworkList(BaseModel):
    """Networks of the latest run; `run` is null (and the list empty) before the first."""

    run: dict[str, Any] | None
    networks: list[NetworkRow]
    total: int = Field(ge=0)
    page: int | None = Field(default=None, ge=1)
    pages: int | None = Field(default=None, ge=1)


class Network(Open):
    network_id: str
    run_id: str
    score: float | None
    size: int
    features: list[dict[str, Any]]
    lineage: dict[str, Any]


class MemberRow(Open):
    account_id: str


class Members(Paged):
    network_id: str
    run_id: str
    members: list[MemberRow]


class Infrastructure(BaseModel):
    network_id: str
    run_id: str
    shared: dict[str, list[dict[str, Any]]]


class NetworkGraph(Open):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    collapsed: bool


class Entity(Open):
    kind: str
    key: str
    title: str
    accounts: list[MemberRow]
    total_accounts: int = Field(ge=0)
    page: int = Field(ge=1)
    pages: int = Field(ge=1)
    networks: list[dict[str, Any]]
    related: list[dict[str, Any]]


class Account(Open):
    account_id: str
    networks: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    recent_sessions: list[dict[str, Any]]
    neighbours: list[dict[str, Any]]


class SearchHit(Open):
    kind: str
    key: str
    url: str | None


class SearchResults(BaseModel):
    q: str
    results: list[SearchHit]


# -- audit ----------------------------------------------------------------------------


class AuditEvent(Open):
    event_id: str
    actor: str | None
    action: str
    outcome: str | None
    at: str


class AuditPage(Paged):
    events: list[AuditEvent]


# -- queries --------------------------------------------------------------------------


class QueryParameter(BaseModel):
    name: str
    type: str
    default: str | None
    required: bool
    help: str
    minimum: float | None
    maximum: float | None


class QueryDescription(BaseModel):
    name: str
    title: str
    description: str
    category: str
    source: str
    owner: str | None
    shared: bool
    version: int | None
    parameters: list[QueryParameter]
    cypher: str


class QueryList(BaseModel):
    queries: list[QueryDescription]
    total: int = Field(ge=0)


class Limits(BaseModel):
    timeout_seconds: float
    max_rows: int
    max_bytes: int


class QueryRun(BaseModel):
    """One run's rows (as JSON values) and how it went."""

    query: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int = Field(ge=0)
    truncated: bool
    stopped_at: str | None
    seconds: float
    parameters: dict[str, Any]
    limits: Limits


# -- cases ----------------------------------------------------------------------------


class CaseRow(Open):
    case_id: str
    title: str
    status: str


class CaseList(Paged):
    cases: list[CaseRow]


class CaseOpened(BaseModel):
    case_id: str


class EvidencePinned(BaseModel):
    evidence_id: str


class CaseDocument(Open):
    """The case as its JSON export holds it, with its digest and timeline."""

    format: str
    case: dict[str, Any]
    members: list[MemberRow]
    entities: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    sha256: str
    timeline: list[dict[str, Any]]
