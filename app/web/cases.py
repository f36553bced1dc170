"""Case pages, forms, exports and the cases JSON API. Thin: parse, call app.cases, render.

Analysts and admins only: a viewer gets 403 on every route here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from app import cases
from app.auth.users import User
from app.cases.analysis import ENTITY_KINDS, KIND_LABELS
from app.cases.exports import FORMATS, export_case
from app.cases.markdown import render_note
from app.cases.view import case_view
from app.paging import Page
from app.sharing.decisions import decide_case
from app.web.api_models import CaseDocument, CaseList, CaseOpened, EvidencePinned
from app.web.pages import render
from app.web.problems import API_PROBLEMS, problems
from app.web.security import check_csrf, graph_of, require

router = APIRouter(prefix="/cases", include_in_schema=False)
api = APIRouter(prefix="/api/cases", tags=["cases"], responses=API_PROBLEMS)
NOT_FOUND = problems(404)
BAD_BODY = problems(400)
Analyst = Annotated[User, Depends(require("analyst"))]
Csrf = [Depends(check_csrf)]
CaseSort = Literal["number", "title", "status", "priority", "assignee", "members", "updated_at"]
Order = Literal["asc", "desc"]
Status = Literal["open", "investigating", "confirmed", "false_positive", "actioned", "closed"]
Priority = Literal["low", "medium", "high", "critical"]
Format = Literal["pdf", "json", "members", "entities", "enforcement", "stix"]


def _source(request: Request) -> str:
    return request.client.host if request.client else ""


@contextmanager
def _errors() -> Iterator[None]:
    """Case failures as HTTP answers: unknown case 404, anything else 422."""
    try:
        yield
    except cases.CaseNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except cases.CaseError as exc:
        raise HTTPException(422, str(exc)) from None


def _back(case_id: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)


def _ids(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


# -- pages ------------------------------------------------------------------------


@router.get("")
def case_list(request: Request, user: Analyst, status: Status | None = None,
              assignee: Annotated[str | None, Query(max_length=100)] = None,
              sort: CaseSort = "number", order: Order = "desc",
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              per_page: Annotated[int, Query(ge=5, le=200)] = 25) -> Response:
    result = cases.list_cases(graph_of(request), status=status, assignee=assignee or None,
                              sort=sort, descending=order == "desc", page=page,
                              per_page=per_page)
    filters = {"status": status or "", "assignee": assignee or "", "sort": sort,
               "order": order, "per_page": per_page}
    return render(request, "cases.html", {"cases": result, "filters": filters,
                                          "statuses": cases.STATUSES,
                                          "status_labels": cases.STATUS_LABELS},
                  block="cases")


@router.post("", dependencies=Csrf)
def case_open(request: Request, user: Analyst,
              title: Annotated[str, Form(max_length=cases.MAX_TITLE)],
              network_id: Annotated[str | None, Form(max_length=64)] = None,
              run_id: Annotated[str | None, Form(max_length=64)] = None,
              account_ids: Annotated[str | None, Form(max_length=500_000)] = None) -> Response:
    """Open a case on a network (frozen as its run saw it) or on listed accounts."""
    graph = graph_of(request)
    with _errors():
        if network_id:
            existing = cases.open_case_on_network(graph, network_id)
            if existing:
                # One network, one case: the button leads to the case in progress.
                return _back(existing)
            case_id = cases.create_from_network(graph, network_id, title, user.username,
                                                run_id=run_id or None, source=_source(request))
        else:
            case_id = cases.create_from_accounts(graph, _ids(account_ids or ""), title,
                                                 user.username, source=_source(request))
    return _back(case_id)


@router.get("/{case_id}")
def case_page(request: Request, user: Analyst, case_id: str,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              per_page: Annotated[int, Query(ge=10, le=500)] = 50) -> Response:
    graph = graph_of(request)
    with _errors():
        case = cases.get_case(graph, case_id)
    content = cases.case_content(graph, case_id, case=case)
    view = case_view(graph, content, activity_size={"width": 520, "height": 190})
    members = view["members"]
    shown = Page(members[(page - 1) * per_page:page * per_page], page, per_page,
                 len(members))
    return render(request, "case.html", {
        "case": case, "summary": view["summary"], "members": shown,
        "entities": view["entities"], "notes": content["notes"],
        "evidence": content["evidence"],
        "timeline": list(reversed(cases.timeline(graph, case_id))),
        "filters": {"per_page": per_page}, "statuses": cases.STATUSES,
        "status_labels": cases.STATUS_LABELS, "priorities": cases.PRIORITIES,
        "entity_kinds": ENTITY_KINDS, "kind_labels": KIND_LABELS, "formats": FORMATS,
        "render_note": render_note,
        "graph_svg": view["graph_svg"], "activity_svg": view["activity_svg"],
        "hours_svg": view["hours_svg"],
    }, block="members")


@router.post("/{case_id}/update", dependencies=Csrf)
def case_update(request: Request, user: Analyst, case_id: str,
                title: Annotated[str | None, Form(max_length=cases.MAX_TITLE)] = None,
                status: Annotated[Status | None, Form()] = None,
                priority: Annotated[Priority | None, Form()] = None,
                assignee: Annotated[str | None, Form(max_length=100)] = None) -> Response:
    with _errors():
        decide_case(graph_of(request), case_id, user.username, title=title, status=status,
                    priority=priority, assignee=assignee, source=_source(request))
    return _back(case_id)


@router.post("/{case_id}/notes", dependencies=Csrf)
def case_note(request: Request, user: Analyst, case_id: str,
              body: Annotated[str, Form(max_length=cases.MAX_NOTE)]) -> Response:
    with _errors():
        cases.add_note(graph_of(request), case_id, body, user.username,
                       source=_source(request))
    return _back(case_id, "#notes")


@router.post("/{case_id}/accounts", dependencies=Csrf)
def case_accounts(request: Request, user: Analyst, case_id: str,
                  account_ids: Annotated[str, Form(max_length=500_000)],
                  action: Annotated[Literal["add", "remove"], Form()] = "add") -> Response:
    with _errors():
        change = cases.add_accounts if action == "add" else cases.remove_accounts
        change(graph_of(request), case_id, _ids(account_ids), user.username,
               source=_source(request))
    return _back(case_id, "#members")


@router.post("/{case_id}/entities", dependencies=Csrf)
def case_entity(request: Request, user: Analyst, case_id: str,
                kind: Annotated[str, Form(max_length=20)],
                key: Annotated[str, Form(max_length=1000)],
                action: Annotated[Literal["add", "remove"], Form()] = "add") -> Response:
    with _errors():
        if action == "add":
            cases.add_entity(graph_of(request), case_id, kind, key, user.username,
                             source=_source(request))
        else:
            cases.remove_entity(graph_of(request), case_id, kind, key, user.username,
                                source=_source(request))
    return _back(case_id, "#entities")


@router.get("/{case_id}/export/{fmt}")
def case_export(request: Request, user: Analyst, case_id: str, fmt: Format) -> Response:
    with _errors():
        export = export_case(graph_of(request), case_id, fmt, user.username,
                             source=_source(request))
    return Response(export.data, media_type=export.media_type, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "X-Content-SHA256": export.digest})


# -- JSON API -------------------------------------------------------------------------


class NewCase(BaseModel):
    title: str = Field(max_length=cases.MAX_TITLE)
    network_id: str | None = Field(default=None, max_length=64)
    run_id: str | None = Field(default=None, max_length=64)
    account_ids: list[str] = Field(default_factory=list, max_length=100_000)


class PinnedEvidence(BaseModel):
    """A saved-query result (or graph view) as it was when it ran."""

    kind: Literal["query", "graph"] = "query"
    title: str = Field(max_length=cases.MAX_TITLE)
    cypher: str = Field(default="", max_length=100_000)
    params: dict[str, Any] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list, max_length=1000)
    rows: list[list[Any]] = Field(default_factory=list, max_length=100_000)
    ran_at: str = Field(max_length=64)


@api.get("", response_model=CaseList)
def api_cases(request: Request, user: Analyst, status: Status | None = None,
              assignee: Annotated[str | None, Query(max_length=100)] = None,
              sort: CaseSort = "number", order: Order = "desc",
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Cases, filtered by status and assignee."""
    result = cases.list_cases(graph_of(request), status=status, assignee=assignee or None,
                              sort=sort, descending=order == "desc", page=page,
                              per_page=per_page)
    return {"cases": result.rows, "total": result.total, "page": page, "pages": result.pages}


@api.post("", dependencies=Csrf, status_code=201, response_model=CaseOpened,
          responses=BAD_BODY)
def api_open_case(request: Request, user: Analyst, new: NewCase) -> dict[str, Any]:
    """Open a case on a network (of the latest run unless run_id) or on accounts."""
    graph = graph_of(request)
    with _errors():
        if new.network_id:
            case_id = cases.create_from_network(graph, new.network_id, new.title,
                                                user.username, run_id=new.run_id,
                                                source=_source(request))
        else:
            case_id = cases.create_from_accounts(graph, new.account_ids, new.title,
                                                 user.username, source=_source(request))
    return {"case_id": case_id}


@api.get("/{case_id}", response_model=CaseDocument, responses=NOT_FOUND)
def api_case(request: Request, user: Analyst, case_id: str) -> dict[str, Any]:
    """The whole case (the JSON export's content) with its SHA-256 and timeline."""
    graph = graph_of(request)
    with _errors():
        content = cases.case_content(graph, case_id)
    return {**content, "sha256": cases.content_digest(content),
            "timeline": cases.timeline(graph, case_id)}


@api.post("/{case_id}/evidence", dependencies=Csrf, status_code=201, response_model=EvidencePinned,
          responses={**NOT_FOUND, **BAD_BODY})
def api_pin_evidence(request: Request, user: Analyst, case_id: str,
                     pinned: PinnedEvidence) -> dict[str, Any]:
    """Pin a query result to the case (what the saved-query page's "Pin" button sends)."""
    with _errors():
        evidence_id = cases.pin_evidence(graph_of(request), case_id, pinned.kind, pinned.title,
                                         pinned.cypher, pinned.params, pinned.columns,
                                         pinned.rows, pinned.ran_at, user.username,
                                         source=_source(request))
    return {"evidence_id": evidence_id}
