"""What partner providers shared: their indicators, searchable, each with what it
matched in our graph. Thin: parse, call app.sharing.indicators, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.auth.users import User
from app.sharing.indicators import list_indicators
from app.web.pages import render
from app.web.security import graph_of, require

router = APIRouter(prefix="/indicators", include_in_schema=False)
Viewer = Annotated[User, Depends(require("viewer"))]


@router.get("")
def indicators_page(request: Request, user: Viewer,
                    q: Annotated[str, Query(max_length=200)] = "",
                    matched: bool = False,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    per_page: Annotated[int, Query(ge=10, le=500)] = 50) -> Response:
    rows = list_indicators(graph_of(request), q=q, matched_only=matched, page=page,
                           per_page=per_page)
    return render(request, "indicators.html", {
        "indicators": rows, "filters": {"q": q, "matched": "true" if matched else "",
                                        "per_page": per_page}}, block="indicators")
