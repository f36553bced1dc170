"""Investigator pages and the JSON API that mirrors them. Thin: parse, call, render.

A page and its htmx fragment come from the same URL: with an `HX-Request`
header only the named block of the same template is rendered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from app import alerts, explore
from app.alerts import open_count
from app.auth.signin import sign_in, sign_out
from app.auth.users import User
from app.explore import resolve_key
from app.kinds import ENTITY_KINDS
from app.memo import Memo
from app.privacy import BadToken
from app.sharing.indicators import account_reports, entity_reports, network_reports
from app.web.api_models import (
    Account,
    Entity,
    Infrastructure,
    Members,
    Network,
    NetworkGraph,
    NetworkList,
    SearchResults,
)
from app.web.problems import API_PROBLEMS, problems
from app.web.security import (
    SESSION_SINCE,
    SESSION_USER,
    check_csrf,
    client_address,
    csrf_token,
    graph_of,
    require,
    safe_next,
)

router = APIRouter()
api = APIRouter(prefix="/api", tags=["api"], responses=API_PROBLEMS)
NOT_FOUND = problems(404)
Viewer = Annotated[User, Depends(require("viewer"))]
Analyst = Annotated[User, Depends(require("analyst"))]
MaskedKind = Literal["payment", "email domain"]
MaskToken = Annotated[str, Query(min_length=1, max_length=600,
                                 description="the opaque token of a masked value's link")]
NetworkSort = Literal["score", "size", "tokens", "sessions", "growth", "new_heads"]
MemberSort = Literal["score", "sessions", "tokens", "created", "reasoning"]
Order = Literal["asc", "desc"]


# Rendered fragments that can never change (their data belongs to a complete
# run and they show nothing of the user's), by template, block and data key.
_FRAGMENTS: Memo[bytes] = Memo(64)


def render(request: Request, name: str, context: dict[str, Any], block: str | None = None,
           status_code: int = 200, immutable: tuple[Any, ...] | None = None) -> Response:
    """The page, or with an `HX-Request` header only its `block`.

    `immutable` names the data of a block that never changes (e.g. a complete
    run's network): its rendered fragment is then kept per process.
    """
    templates = request.app.state.templates
    fragment = block is not None and request.headers.get("hx-request") == "true"
    key = (name, block, *immutable) if fragment and immutable is not None else None
    if key is not None:
        body = _FRAGMENTS.get(key)
        if body is not None:
            return HTMLResponse(body, status_code=status_code)
    user = getattr(request.state, "user", None)
    context = {"user": user, "csrf_token": csrf_token(request), **context}
    if not fragment:
        if user is not None and "open_alerts" not in context:  # the top bar's count
            context["open_alerts"] = open_count(graph_of(request))
        return templates.TemplateResponse(request, name, context, status_code=status_code)
    response = templates.TemplateResponse(request, name, context, status_code=status_code,
                                          block_name=block)
    if key is not None:
        _FRAGMENTS.put(key, bytes(response.body))
    return response


# -- sign-in ------------------------------------------------------------------


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
def login(request: Request, username: Annotated[str, Form(max_length=200)],
          password: Annotated[str, Form(max_length=1000)],
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    attempt = sign_in(graph_of(request), username, password, client_address(request))
    if attempt.user is None:
        return render(request, "login.html", {"next": safe_next(next), "error": attempt.error},
                      status_code=attempt.status)
    request.session.clear()
    request.session[SESSION_USER] = attempt.user.username
    request.session[SESSION_SINCE] = time.time()
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
def logout(request: Request, everywhere: Annotated[bool, Form()] = False) -> Response:
    name = request.session.get(SESSION_USER)
    if name:
        sign_out(graph_of(request), str(name), client_address(request), everywhere=everywhere)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# -- dashboard ------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def dashboard(request: Request, user: Viewer,
              suspected: bool = True,
              min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
              min_size: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
              sort: NetworkSort = "score", order: Order = "desc",
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              per_page: Annotated[int, Query(ge=5, le=200)] = 25) -> Response:
    graph = graph_of(request)
    run = explore.get_run(graph, latest_run_id(request))
    networks = None
    if run:
        networks = explore.list_networks(
            graph, run["run_id"], suspected_only=suspected, min_score=min_score,
            min_size=min_size, sort=sort, descending=order == "desc", page=page,
            per_page=per_page)
    filters = {"suspected": suspected, "min_score": min_score, "min_size": min_size,
               "sort": sort, "order": order, "per_page": per_page}
    return render(request, "dashboard.html", {"run": run, "networks": networks,
                                              "filters": filters}, block="networks")


# -- network ----------------------------------------------------------------------


RunId = Annotated[str | None, Query(max_length=64, description="a detection run id; "
                                                           "the latest run when absent")]


_UNKNOWN = object()


def latest_run_id(request: Request) -> str | None:
    """The latest complete detection run's id (None before the first): read with the
    signed-in user (see security.current_user), else now."""
    run_id = getattr(request.state, "latest_run", _UNKNOWN)
    if run_id is _UNKNOWN:
        run_id = request.state.latest_run = explore.latest_run_id(graph_of(request))
    return run_id if isinstance(run_id, str) else None


def _network_or_404(request: Request, network_id: str, run: str | None) -> dict[str, Any]:
    """The network in the chosen run (the latest by default), or a 404 that says why."""
    run_id = run or latest_run_id(request)
    network = explore.get_network(graph_of(request), run_id, network_id) if run_id else None
    if network is None:
        raise _no_network(network_id, run)
    return network


def _no_network(network_id: str, run: str | None) -> HTTPException:
    return HTTPException(404, f"no network {network_id} in run {run}" if run else
                         f"no network {network_id} in the latest detection run")


def _with_members(request: Request, network_id: str, run: str | None, sort: str, order: str,
                  page: int, per_page: int) -> tuple[dict[str, Any], explore.Page]:
    """The network and a page of its members, or the 404 of `_network_or_404`."""
    network = _network_or_404(request, network_id, run)
    members = explore.network_members(graph_of(request), network["run_id"], network_id,
                                      sort=sort, descending=order == "desc", page=page,
                                      per_page=per_page, total=network["size"] or 0)
    return network, members


@router.get("/networks/{network_id}", include_in_schema=False)
def network_page(request: Request, user: Viewer, network_id: str, run: RunId = None,
                 sort: MemberSort = "score", order: Order = "desc",
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 per_page: Annotated[int, Query(ge=10, le=500)] = 50) -> Response:
    network, members = _with_members(request, network_id, run, sort, order, page, per_page)
    history, reports = None, []
    if request.headers.get("HX-Request") != "true":
        history = alerts.alerts_page(graph_of(request), network_id=network_id, per_page=10)
        reports = network_reports(graph_of(request), network["run_id"], network_id)
    return render(request, "network.html", {
        "network": network, "run_id": network["run_id"], "members": members,
        "alerts": history, "reports": reports,
        "filters": {"sort": sort, "order": order, "per_page": per_page},
    }, block="members")


@router.get("/networks/{network_id}/infrastructure", include_in_schema=False)
def network_infrastructure(request: Request, user: Viewer, network_id: str,
                           run: RunId = None) -> Response:
    network = _network_or_404(request, network_id, run)
    shared = explore.network_infrastructure(graph_of(request), network["run_id"], network_id)
    return render(request, "network_infrastructure.html",
                  {"network": network, "run_id": network["run_id"], "shared": shared,
                   "kind_names": explore.INFRASTRUCTURE_KINDS},
                  block="panel")


@router.get("/networks/{network_id}/activity", include_in_schema=False)
def network_activity(request: Request, user: Viewer, network_id: str,
                     run: RunId = None) -> Response:
    network = _network_or_404(request, network_id, run)
    activity = explore.network_activity(graph_of(request), network["run_id"], network_id)
    return render(request, "network_activity.html",
                  {"network": network, "run_id": network["run_id"], **activity},
                  block="panel", immutable=(graph_of(request).database, network["run_id"],
                                            network_id))


# -- account ----------------------------------------------------------------------


@router.get("/accounts/{account_id}", include_in_schema=False)
def account_page(request: Request, user: Viewer, account_id: str) -> Response:
    account = explore.get_account(graph_of(request), account_id)
    if account is None:
        raise HTTPException(404, f"no account {account_id}")
    return render(request, "account.html", {
        "account": account, "reports": account_reports(graph_of(request), [account_id])})


# -- entities: addresses, prefixes, ASNs, devices, payment tokens, keys, ... -------------

EntityPage = Annotated[int, Query(ge=1, le=100_000)]
EntityPerPage = Annotated[int, Query(ge=10, le=500)]


def _entity_or_404(request: Request, kind: str, key: str, run: str | None, page: int,
                   per_page: int) -> dict[str, Any]:
    run_id = run or latest_run_id(request)
    entity = explore.get_entity(graph_of(request), kind, key, run_id=run_id, page=page,
                                per_page=per_page)
    if entity is None:
        raise HTTPException(404, f"no {ENTITY_KINDS[kind].title.lower()} {key}")
    entity["run_id"] = run_id
    return entity


def _entity_page(kind: str) -> Callable[..., Response]:
    def entity_page(request: Request, user: Viewer, key: str, run: RunId = None,
                    page: EntityPage = 1, per_page: EntityPerPage = 50) -> Response:
        entity = _entity_or_404(request, kind, key, run, page, per_page)
        value = resolve_key(graph_of(request), kind, key)
        reports = entity_reports(graph_of(request), kind, value) if value else []
        return render(request, "entity.html", {"entity": entity, "reports": reports,
                                               "filters": {"run": run or "",
                                                           "per_page": per_page}},
                      block="accounts")
    return entity_page


def _entity_api(kind: str) -> Callable[..., dict[str, Any]]:
    def entity_api(request: Request, user: Viewer, key: str, run: RunId = None,
                   page: EntityPage = 1, per_page: EntityPerPage = 100) -> dict[str, Any]:
        entity = _entity_or_404(request, kind, key, run, page, per_page)
        accounts: explore.Page = entity.pop("accounts")
        return {**entity, "accounts": accounts.rows, "total_accounts": accounts.total,
                "page": page, "pages": accounts.pages}
    entity_api.__doc__ = f"One {ENTITY_KINDS[kind].title.lower()}: intel, accounts using it " \
                         "(a page), their networks, related entities."
    return entity_api


# -- reveal a masked value ---------------------------------------------------------------


@router.get("/reveal", include_in_schema=False)
def reveal_form(request: Request, user: Analyst, kind: MaskedKind, token: MaskToken) -> Response:
    """Without scripts, a reveal link lands here and asks before it shows the value."""
    privacy = explore.privacy_of(graph_of(request))
    try:
        alias = privacy.alias(kind, privacy.unmask(kind, token))
    except BadToken:
        raise HTTPException(404, "this link does not name a masked value") from None
    return render(request, "reveal.html", {"kind": kind, "token": token, "alias": alias,
                                           "value": None})


@router.post("/reveal", include_in_schema=False, dependencies=[Depends(check_csrf)])
def reveal(request: Request, user: Analyst, kind: Annotated[MaskedKind, Form()],
           token: Annotated[str, Form(min_length=1, max_length=600)]) -> Response:
    try:
        alias, value = explore.reveal(graph_of(request), kind, token, actor=user.username,
                                      source=client_address(request))
    except BadToken:
        raise HTTPException(404, "this link does not name a masked value") from None
    return render(request, "reveal.html", {"kind": kind, "token": token, "alias": alias,
                                           "value": value}, block="value")


class RevealRequest(BaseModel):
    kind: MaskedKind
    token: str = Field(min_length=1, max_length=600,
                       description="the opaque token from a masked value's link (after '~')")


class Revealed(BaseModel):
    kind: str
    alias: str
    value: str


@api.post("/reveal", dependencies=[Depends(check_csrf)], responses=problems(400, 404))
def api_reveal(request: Request, user: Analyst, body: RevealRequest) -> Revealed:
    """The value behind a masked payment token or personal e-mail domain (analysts;
    audited)."""
    try:
        alias, value = explore.reveal(graph_of(request), body.kind, body.token,
                                      actor=user.username, source=client_address(request))
    except BadToken:
        raise HTTPException(404, "this token does not name a masked value") from None
    return Revealed(kind=body.kind, alias=alias, value=value)


# -- search -----------------------------------------------------------------------------


SearchText = Annotated[str, Query(max_length=200, description="what to look for")]


@router.get("/search", include_in_schema=False)
def search_page(request: Request, user: Viewer, q: SearchText = "") -> Response:
    results = explore.search(graph_of(request), q)
    return render(request, "search.html", {"q": q, "results": results,
                                           "limit": explore.SEARCH_LIMIT}, block="results")


@api.get("/search", response_model=SearchResults)
def api_search(request: Request, user: Viewer, q: SearchText) -> dict[str, Any]:
    """Entities whose key starts with `q`: accounts, addresses, prefixes, ASNs,
    fingerprints, API keys, e-mail domains, org ids."""
    return {"q": q, "results": explore.search(graph_of(request), q)}


# -- JSON API -------------------------------------------------------------------------


@api.get("/networks", response_model=NetworkList)
def api_networks(request: Request, user: Viewer, suspected: bool = True,
                 min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
                 min_size: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                 sort: NetworkSort = "score", order: Order = "desc",
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Networks of the latest run (or none before the first run)."""
    run = explore.get_run(graph_of(request), latest_run_id(request))
    if run is None:
        return {"run": None, "networks": [], "total": 0}
    result = explore.list_networks(graph_of(request), run["run_id"], suspected_only=suspected,
                                   min_score=min_score, min_size=min_size, sort=sort,
                                   descending=order == "desc", page=page, per_page=per_page)
    return {"run": run, "networks": result.rows, "total": result.total, "page": page,
            "pages": result.pages}


@api.get("/networks/{network_id}", response_model=Network, responses=NOT_FOUND)
def api_network(request: Request, user: Viewer, network_id: str,
                run: RunId = None) -> dict[str, Any]:
    """One network with its evidence."""
    network = _network_or_404(request, network_id, run)
    network.pop("evidence", None)
    return network


@api.get("/networks/{network_id}/members", response_model=Members, responses=NOT_FOUND)
def api_network_members(request: Request, user: Viewer, network_id: str, run: RunId = None,
                        sort: MemberSort = "score", order: Order = "desc",
                        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                        per_page: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """A page of a network's members."""
    network, members = _with_members(request, network_id, run, sort, order, page, per_page)
    return {"network_id": network_id, "run_id": network["run_id"], "members": members.rows,
            "total": members.total, "page": page, "pages": members.pages}


@api.get("/networks/{network_id}/infrastructure", response_model=Infrastructure,
         responses=NOT_FOUND)
def api_network_infrastructure(request: Request, user: Viewer, network_id: str,
                               run: RunId = None) -> dict[str, Any]:
    """What members share (addresses, prefixes, ASNs, proxy providers, devices, ...)."""
    network = _network_or_404(request, network_id, run)
    return {"network_id": network_id, "run_id": network["run_id"],
            "shared": explore.network_infrastructure(graph_of(request), network["run_id"],
                                                     network_id)}


@api.get("/networks/{network_id}/graph", response_model=NetworkGraph, responses=NOT_FOUND)
def api_network_graph(request: Request, user: Viewer, network_id: str, run: RunId = None,
                      max_nodes: Annotated[int, Query(ge=20, le=2000)] = 300) -> dict[str, Any]:
    """Members and shared entities as graph elements; summary nodes beyond `max_nodes`."""
    network = _network_or_404(request, network_id, run)
    return explore.network_graph(graph_of(request), network["run_id"], network_id,
                                 max_nodes=max_nodes)


for _kind, _spec in ENTITY_KINDS.items():
    router.add_api_route(f"{_spec.path}{{key:path}}", _entity_page(_kind), methods=["GET"],
                         include_in_schema=False, name=f"{_kind} page")
    api.add_api_route(f"{_spec.path}{{key:path}}", _entity_api(_kind), methods=["GET"],
                      name=f"{_kind}", summary=f"One {_spec.title.lower()}",
                      response_model=Entity, responses=NOT_FOUND)


@api.get("/accounts/{account_id}", response_model=Account, responses=NOT_FOUND)
def api_account(request: Request, user: Viewer, account_id: str) -> dict[str, Any]:
    """One account with its networks, linked entities and latest sessions."""
    account = explore.get_account(graph_of(request), account_id)
    if account is None:
        raise HTTPException(404, f"no account {account_id}")
    return account
