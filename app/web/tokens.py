"""The signed-in user's API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.tokens import create_token, list_tokens, revoke_token
from app.auth.users import UserError
from app.web.pages import Viewer, render
from app.web.security import check_csrf, graph_of

router = APIRouter(prefix="/settings/tokens", include_in_schema=False)


def _page(request: Request, username: str, new_token: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "tokens.html", {"tokens": list_tokens(graph_of(request), username),
                                           "new_token": new_token, "error": error},
                  status_code=status_code)


@router.get("")
def tokens_page(request: Request, user: Viewer) -> Response:
    return _page(request, user.username)


@router.post("", dependencies=[Depends(check_csrf)])
def tokens_create(request: Request, user: Viewer,
                  label: Annotated[str, Form(max_length=100)] = "") -> Response:
    try:
        token = create_token(graph_of(request), user.username, label)
    except UserError as exc:
        return _page(request, user.username, error=str(exc), status_code=422)
    return _page(request, user.username, new_token=token)


@router.post("/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def tokens_revoke(request: Request, user: Viewer, token_id: str) -> Response:
    if not revoke_token(graph_of(request), user.username, token_id):
        raise HTTPException(404, f"you have no token {token_id}")
    return RedirectResponse("/settings/tokens", status_code=303)
