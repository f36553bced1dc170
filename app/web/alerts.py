"""The alerts inbox: filter, page, acknowledge or close, open a case. Thin: parse,
call app.alerts, render. Viewers read it; analysts change an alert's status."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from app import alerts
from app.auth.users import User
from app.web.pages import render
from app.web.security import check_csrf, graph_of, require

router = APIRouter(prefix="/alerts", include_in_schema=False)
Viewer = Annotated[User, Depends(require("viewer"))]
Analyst = Annotated[User, Depends(require("analyst"))]
Status = Literal["open", "acknowledged", "closed"]


Assigned = Literal["", "me", "nobody"]


@router.get("")
def alert_list(request: Request, user: Viewer,
               status: Annotated[str, Query(max_length=20)] = "open",
               kind: Annotated[str, Query(max_length=40)] = "",
               network: Annotated[str, Query(max_length=64)] = "",
               assigned: Assigned = "",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1,
               per_page: Annotated[int, Query(ge=5, le=200)] = 25) -> Response:
    # The filter form sends "" for "any"; without a status the inbox shows open ones.
    assignee = {"": None, "me": user.username, "nobody": ""}[assigned]
    try:
        result = alerts.alerts_page(graph_of(request), status=status or None,
                                    kind=kind or None, network_id=network or None,
                                    assignee=assignee, page=page, per_page=per_page)
    except alerts.AlertError as exc:
        raise HTTPException(422, str(exc)) from None
    filters = {"status": status, "kind": kind, "network": network, "assigned": assigned,
               "per_page": per_page}
    return render(request, "alerts.html", {"alerts": result, "filters": filters,
                                           "statuses": alerts.STATUSES, "kinds": alerts.KINDS},
                  block="alerts")


@router.post("/{alert_id}/assign", dependencies=[Depends(check_csrf)])
def alert_assign(request: Request, user: Analyst, alert_id: str,
                 assignee: Annotated[str, Form(max_length=64)] = "",
                 back: Annotated[str, Form(max_length=500)] = "/alerts") -> Response:
    """Assign an alert to a login ("me" for oneself, "" for nobody)."""
    who = user.username if assignee == "me" else (assignee or None)
    try:
        alerts.assign(graph_of(request), alert_id, who, user.username)
    except alerts.AlertError as exc:
        raise HTTPException(404 if "no alert" in str(exc) else 422, str(exc)) from None
    target = back if back.startswith("/alerts") else "/alerts"
    return RedirectResponse(target, status_code=303)


@router.post("/{alert_id}/status", dependencies=[Depends(check_csrf)])
def alert_status(request: Request, user: Analyst, alert_id: str,
                 status: Annotated[Status, Form()],
                 back: Annotated[str, Form(max_length=500)] = "/alerts") -> Response:
    try:
        alerts.set_status(graph_of(request), alert_id, status, user.username)
    except alerts.AlertError as exc:
        raise HTTPException(404, str(exc)) from None
    target = back if back.startswith("/alerts") else "/alerts"
    return RedirectResponse(target, status_code=303)
