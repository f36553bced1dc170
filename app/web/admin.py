"""Admin pages: the audit trail (read-only), the logins, the alert webhook's
deliveries that failed, and the partners that read shared collections."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from app import alerts
from app.audit import list_events, record
from app.auth.users import (
    ROLES,
    User,
    UserError,
    create_user,
    end_sessions,
    list_users,
    update_user,
)
from app.paging import Page
from app.sharing.collections import DEFAULT, ensure_collection, list_collections, sharing_key
from app.sharing.partners import (
    PartnerNotFound,
    add_partner,
    list_partners,
    partner_reads,
    revoke_partner,
)
from app.sharing.stix import SharingError
from app.web.api_models import AuditPage
from app.web.pages import render
from app.web.problems import API_PROBLEMS
from app.web.security import check_csrf, client_address, graph_of, require

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/admin", tags=["admin"], responses=API_PROBLEMS)
Admin = Annotated[User, Depends(require("admin"))]
Outcome = Literal["", "ok", "failed", "refused", "timeout", "error"]
Text = Annotated[str, Query(max_length=200)]


def _events(request: Request, actor: str, action: str, outcome: str, since: date | None,
            until: date | None, page: int, per_page: int) -> Page:
    rows, total = list_events(graph_of(request), actor=actor, action=action, outcome=outcome,
                              since=since.isoformat() if since else None,
                              until=until.isoformat() if until else None, page=page,
                              per_page=per_page)
    return Page(rows, page, per_page, total)


@router.get("/audit")
def audit_page(request: Request, user: Admin, actor: Text = "", action: Text = "",
               outcome: Outcome = "", since: date | None = None, until: date | None = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1,
               per_page: Annotated[int, Query(ge=10, le=500)] = 50) -> Response:
    events = _events(request, actor, action, outcome, since, until, page, per_page)
    filters: dict[str, Any] = {"actor": actor, "action": action, "outcome": outcome,
                               "since": since or "", "until": until or "", "per_page": per_page}
    return render(request, "admin_audit.html", {"events": events, "filters": filters},
                  block="events")


@api.get("/audit", response_model=AuditPage)
def api_audit(request: Request, user: Admin, actor: Text = "", action: Text = "",
              outcome: Outcome = "", since: date | None = None, until: date | None = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              per_page: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Audit events, newest first (admins only)."""
    events = _events(request, actor, action, outcome, since, until, page, per_page)
    return {"events": events.rows, "total": events.total, "page": page, "pages": events.pages}


def _users_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "admin_users.html", {"users": list_users(graph_of(request)),
                                                "roles": ROLES, "error": error},
                  status_code=status_code)


@router.get("/users")
def users_page(request: Request, user: Admin) -> Response:
    return _users_page(request)


@router.post("/users", dependencies=[Depends(check_csrf)])
def users_create(request: Request, user: Admin, username: Annotated[str, Form(max_length=64)],
                 role: Annotated[str, Form(max_length=20)],
                 password: Annotated[str, Form(max_length=1000)]) -> Response:
    try:
        create_user(graph_of(request), username, password, role)
    except UserError as exc:
        return _users_page(request, str(exc), 422)
    record(graph_of(request), user.username, "user.create", target=username,
           source=client_address(request), details={"role": role})
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}", dependencies=[Depends(check_csrf)])
def users_update(request: Request, user: Admin, username: str,
                 role: Annotated[str | None, Form(max_length=20)] = None,
                 active: Annotated[bool | None, Form()] = None,
                 end: Annotated[bool, Form()] = False) -> Response:
    graph = graph_of(request)
    if username == user.username and (active is False or (role and role != "admin")):
        return _users_page(request, "You cannot switch off or demote your own login.", 422)
    try:
        update_user(graph, username, role=role or None, active=active)
        if end or active is False:
            end_sessions(graph, username)
    except UserError as exc:
        return _users_page(request, str(exc), 404)
    record(graph, user.username, "user.update", target=username,
           source=client_address(request),
           details={"role": role, "active": active, "sessions_ended": end or active is False})
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/webhook")
def webhook_page(request: Request, user: Admin) -> Response:
    """Alerts the webhook has not taken: retrying, or given up on (retry here)."""
    url = graph_of(request).settings.alert_webhook
    parts = urlsplit(url) if url else None
    # Only where alerts go: a path or query may carry a secret.
    where = f"{parts.scheme}://{parts.netloc}" if parts else None
    return render(request, "admin_webhook.html", {
        "webhook": where, "problems": alerts.webhook_problems(graph_of(request))})


@router.post("/webhook/{alert_id}/retry", dependencies=[Depends(check_csrf)])
def webhook_retry(request: Request, user: Admin, alert_id: str) -> Response:
    try:
        alerts.retry_webhook(graph_of(request), alert_id, user.username)
    except alerts.AlertError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/admin/webhook", status_code=303)


def _partners_page(request: Request, token: str | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
    graph = graph_of(request)
    ensure_collection(graph, DEFAULT)
    collections = [{**c, "keyed": sharing_key(graph, c["name"]) is not None}
                   for c in list_collections(graph)]
    totals, recent = partner_reads(graph)
    return render(request, "admin_partners.html", {
        "partners": list_partners(graph), "collections": collections, "totals": totals,
        "recent": recent, "new_token": token, "error": error}, status_code=status_code)


@router.get("/partners")
def partners_page(request: Request, user: Admin) -> Response:
    """Partners, their collections and tokens' state, and what each fetched."""
    return _partners_page(request)


@router.post("/partners", dependencies=[Depends(check_csrf)])
def partners_add(request: Request, user: Admin, name: Annotated[str, Form(max_length=100)],
                 collection: Annotated[list[str], Form()],
                 expires_days: Annotated[int | None, Form(ge=1, le=3650)] = None
                 ) -> Response:
    try:
        token = add_partner(graph_of(request), name, collection, user.username,
                            expires_days=expires_days, source=client_address(request))
    except SharingError as exc:
        return _partners_page(request, error=str(exc), status_code=422)
    return _partners_page(request, token=token)


@router.post("/partners/{name}/revoke", dependencies=[Depends(check_csrf)])
def partners_revoke(request: Request, user: Admin, name: str) -> Response:
    try:
        revoke_partner(graph_of(request), name, user.username,
                       source=client_address(request))
    except PartnerNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except SharingError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse("/admin/partners", status_code=303)
