"""Saved Cypher queries: the library, a page per query with its form and results,
analysts' own queries and ad-hoc Cypher, admin limits, and the JSON API.

Every state is a GET URL (the form's values in the query string, `run=1` to run),
and an htmx request to the same URL gets only the results block.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from app.auth.users import User
from app.errors import HydrascopeError
from app.queries import store
from app.queries.library import QueryDef, UnknownQuery, format_param, search
from app.queries.limits import LimitsError, ceilings, current_limits, set_limits
from app.queries.params import ParamError
from app.queries.results import cell, to_csv
from app.queries.runner import QueryResult, masked, run_query, run_saved_query
from app.web.api_models import Limits, QueryDescription, QueryList, QueryRun
from app.web.pages import Viewer, render
from app.web.problems import API_PROBLEMS, QueryProblem, problems
from app.web.security import check_csrf, graph_of, require

router = APIRouter(prefix="/queries", include_in_schema=False)
api = APIRouter(prefix="/api/queries", tags=["queries"], responses=API_PROBLEMS)
# What a run answers: its rows, or why not (the guard 403, bad values 422, the server
# 400, time 504).
RUN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    200: {"model": QueryRun, "description": "The rows"},
    **problems(400, 504, model=QueryProblem)}
NOT_FOUND = problems(404)
Analyst = Annotated[User, Depends(require("analyst"))]
Admin = Annotated[User, Depends(require("admin"))]
# Query-string names the pages use themselves; the rest are the query's parameters.
CONTROL = frozenset({"run", "format"})
MAX_UPLOAD = 200_000


def _source(request: Request) -> str:
    return request.client.host if request.client else ""


def _find(request: Request, name: str, user: User) -> QueryDef:
    try:
        return store.get_query(graph_of(request), name, user)
    except UnknownQuery as exc:
        raise HTTPException(404, str(exc)) from None


def _raw_params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in CONTROL}


def _run(request: Request, query: QueryDef, raw: dict[str, str],
         user: User) -> tuple[QueryResult | None, str]:
    """The result, or the message to show instead (refused, timeout, bad value)."""
    try:
        return masked(graph_of(request), run_saved_query(
            graph_of(request), query, raw, actor=user.username, source=_source(request))), ""
    except HydrascopeError as exc:
        return None, str(exc)


def _table(result: QueryResult | None) -> list[list[Any]]:
    return [[cell(v, result.masks) for v in record] for record in result.records] \
        if result else []


def _query_context(request: Request, query: QueryDef, user: User) -> dict[str, Any]:
    raw = _raw_params(request)
    ran = request.query_params.get("run") == "1"
    result, message = _run(request, query, raw, user) if ran else (None, "")
    values = {p.name: raw.get(p.name, p.default or "") for p in query.params}
    graph = result.graph() if result else None
    return {"query": query, "values": values, "ran": ran, "result": result,
            "message": message, "table": _table(result),
            "graph_data": graph.as_dict() if graph else None,
            "query_string": request.url.query,
            "limits": current_limits(graph_of(request)),
            "can_edit": query.source == "saved" and (query.owner == user.username
                                                     or user.can("admin"))}


# -- library ------------------------------------------------------------------------


@router.get("")
def library_page(request: Request, user: Viewer,
                 q: Annotated[str, Query(max_length=200)] = "",
                 category: Annotated[str, Query(max_length=60)] = "") -> Response:
    queries = store.list_queries(graph_of(request), user)
    categories = sorted({x.category for x in queries})
    found = search(queries, q, category)
    return render(request, "queries.html", {"queries": found, "categories": categories,
                                            "q": q, "category": category,
                                            "total": len(queries)}, block="query_list")


@router.get("/limits")
def limits_page(request: Request, user: Admin) -> Response:
    return render(request, "query_limits.html", {
        "limits": current_limits(graph_of(request)),
        "ceilings": ceilings(graph_of(request).settings), "message": ""})


@router.post("/limits", dependencies=[Depends(check_csrf)])
def limits_save(request: Request, user: Admin,
                timeout_seconds: Annotated[float, Form()], max_rows: Annotated[int, Form()],
                max_bytes: Annotated[int, Form()]) -> Response:
    graph = graph_of(request)
    try:
        set_limits(graph, user.username, timeout_seconds=timeout_seconds, max_rows=max_rows,
                   max_bytes=max_bytes)
    except LimitsError as exc:
        return render(request, "query_limits.html", {
            "limits": current_limits(graph), "ceilings": ceilings(graph.settings),
            "message": str(exc)}, status_code=422)
    return RedirectResponse("/queries/limits", status_code=303)


# -- own queries and ad-hoc Cypher ------------------------------------------------------


def _editor(request: Request, *, fields: dict[str, Any], action: str, message: str = "",
            result: QueryResult | None = None, ran: bool = False, download_base: str = "",
            status_code: int = 200) -> Response:
    graph = result.graph() if result else None
    return render(request, "query_edit.html", {
        "fields": fields, "action": action, "message": message, "result": result,
        "ran": ran, "table": _table(result), "graph_data": graph.as_dict() if graph else None,
        "limits": current_limits(graph_of(request)), "query_string": request.url.query,
        "download_base": download_base}, block="results", status_code=status_code)


def _fields_of(query: QueryDef | None) -> dict[str, Any]:
    if query is None:
        return {"title": "", "description": "", "category": "Own", "params": "",
                "cypher": "MATCH (a:Account)\nRETURN a.account_id AS account\nLIMIT 25",
                "shared": False}
    return {"title": query.title, "description": query.description,
            "category": query.category,
            "params": "\n".join(format_param(p) for p in query.params),
            "cypher": query.body, "shared": query.shared}


@router.get("/adhoc")
def adhoc_page(request: Request, user: Analyst,
               cypher: Annotated[str, Query(max_length=20_000)] = "",
               params: Annotated[str, Query(max_length=5000)] = "",
               run: str = "") -> Response:
    """The editor; with run=1 the Cypher in the URL runs under the guard."""
    fields = {**_fields_of(None), "params": params}
    if cypher:
        fields["cypher"] = cypher
    result, message = None, ""
    if run == "1":
        try:
            query, raw = store.editor_query(cypher, params)
        except ParamError as exc:
            message = str(exc)
        else:
            result, message = _run(request, query, raw, user)
    return _editor(request, fields=fields, action="/queries/new", message=message,
                   result=result, ran=run == "1", download_base="/queries/adhoc")


@router.get("/adhoc/results.{fmt}")
def adhoc_download(request: Request, user: Analyst, fmt: str,
                   cypher: Annotated[str, Query(max_length=20_000)] = "",
                   params: Annotated[str, Query(max_length=5000)] = "") -> Response:
    """The results of ad-hoc Cypher as a file (same URL parameters as the editor)."""
    if fmt not in ("csv", "json"):
        raise HTTPException(404, "results come as .csv or .json")
    try:
        query, raw = store.editor_query(cypher, params)
    except ParamError as exc:
        raise HTTPException(422, str(exc)) from None
    return _download(request, query, raw, user, fmt)


@router.get("/new")
def new_page(request: Request, user: Analyst,
             copy: Annotated[str, Query(max_length=80)] = "") -> Response:
    source = _find(request, copy, user) if copy else None
    fields = _fields_of(source)
    if source is not None:
        fields["title"] = f"Copy of {source.title}"
        fields["shared"] = False
    return _editor(request, fields=fields, action="/queries/new")


FormText = Annotated[str, Form(max_length=20_000)]


def _form_fields(title: str, description: str, category: str, params: str, cypher: str,
                 shared: bool) -> dict[str, Any]:
    return {"title": title, "description": description, "category": category,
            "params": params, "cypher": cypher, "shared": shared}


@router.post("/new", dependencies=[Depends(check_csrf)])
def new_save(request: Request, user: Analyst, title: FormText, cypher: FormText,
             description: FormText = "", category: FormText = "Own", params: FormText = "",
             shared: Annotated[bool, Form()] = False) -> Response:
    fields = _form_fields(title, description, category, params, cypher, shared)
    try:
        query = store.build_query(title, description, category, params, cypher, shared)
        query_id = store.save_new(graph_of(request), user, query)
    except HydrascopeError as exc:
        return _editor(request, fields=fields, action="/queries/new", message=str(exc),
                       status_code=422)
    return RedirectResponse(f"/queries/{query_id}", status_code=303)


@router.post("/import", dependencies=[Depends(check_csrf)])
async def import_query(request: Request, user: Analyst, file: Annotated[UploadFile, File()],
                       shared: Annotated[bool, Form()] = False) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    graph = graph_of(request)
    try:
        if len(data) > MAX_UPLOAD:
            raise HydrascopeError(f"a query file is at most {MAX_UPLOAD:,} bytes")
        query_id = store.import_file(graph, user, data.decode("utf-8"), shared)
    except (HydrascopeError, UnicodeDecodeError) as exc:
        queries = store.list_queries(graph, user)
        return render(request, "queries.html", {
            "queries": queries, "categories": sorted({x.category for x in queries}),
            "q": "", "category": "", "total": len(queries),
            "import_message": str(exc)}, status_code=422)
    return RedirectResponse(f"/queries/{query_id}", status_code=303)


@router.get("/{name}/edit")
def edit_page(request: Request, user: Analyst, name: str) -> Response:
    query = _find(request, name, user)
    if query.source != "saved":
        raise HTTPException(403, "built-in queries cannot be edited: save a copy instead")
    return _editor(request, fields=_fields_of(query), action=f"/queries/{name}/edit")


@router.post("/{name}/edit", dependencies=[Depends(check_csrf)])
def edit_save(request: Request, user: Analyst, name: str, title: FormText, cypher: FormText,
              description: FormText = "", category: FormText = "Own", params: FormText = "",
              shared: Annotated[bool, Form()] = False) -> Response:
    fields = _form_fields(title, description, category, params, cypher, shared)
    try:
        query = store.build_query(title, description, category, params, cypher, shared)
        store.update(graph_of(request), user, name, query)
    except UnknownQuery as exc:
        raise HTTPException(404, str(exc)) from None
    except HydrascopeError as exc:
        return _editor(request, fields=fields, action=f"/queries/{name}/edit",
                       message=str(exc), status_code=422)
    return RedirectResponse(f"/queries/{name}", status_code=303)


@router.post("/{name}/delete", dependencies=[Depends(check_csrf)])
def delete_query(request: Request, user: Analyst, name: str) -> Response:
    try:
        store.delete(graph_of(request), user, name)
    except UnknownQuery as exc:
        raise HTTPException(404, str(exc)) from None
    except HydrascopeError as exc:
        raise HTTPException(403, str(exc)) from None
    return RedirectResponse("/queries", status_code=303)


# -- one query ------------------------------------------------------------------------------


@router.get("/{name}/export.cypher")
def export_query(request: Request, user: Viewer, name: str) -> Response:
    query = _find(request, name, user)
    filename = query.name if query.source == "library" else f"hydrascope-{query.name}"
    return PlainTextResponse(query.text, media_type="application/x-cypher-query",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{filename}.cypher"'})


@router.get("/{name}/results.{fmt}")
def download_results(request: Request, user: Viewer, name: str, fmt: str) -> Response:
    if fmt not in ("csv", "json"):
        raise HTTPException(404, "results come as .csv or .json")
    query = _find(request, name, user)
    return _download(request, query, _raw_params(request), user, fmt)


def _download(request: Request, query: QueryDef, raw: dict[str, str], user: User,
              fmt: str) -> Response:
    result, message = _run(request, query, raw, user)
    if result is None:
        raise HTTPException(422, message)
    filename = "adhoc" if query.source == "adhoc" else query.name
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        return Response(to_csv(result.columns, result.records, result.masks),
                        media_type="text/csv",
                        headers=disposition)
    return Response(json.dumps(result.as_dict(), default=str),
                    media_type="application/json", headers=disposition)


@router.get("/{name}")
def query_page(request: Request, user: Viewer, name: str) -> Response:
    query = _find(request, name, user)
    context = _query_context(request, query, user)
    if query.source == "saved":
        context["versions"] = store.get_saved(graph_of(request), name, user)[1]
    return render(request, "query.html", context, block="results")


# -- JSON API ----------------------------------------------------------------------------


def _describe(query: QueryDef) -> dict[str, Any]:
    return {"name": query.name, "title": query.title, "description": query.description,
            "category": query.category, "source": query.source, "owner": query.owner or None,
            "shared": query.shared, "version": query.version,
            "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                            "required": p.required, "help": p.help, "minimum": p.minimum,
                            "maximum": p.maximum} for p in query.params],
            "cypher": query.body}


@api.get("", response_model=QueryList)
def api_list(request: Request, user: Viewer,
             q: Annotated[str, Query(max_length=200)] = "",
             category: Annotated[str, Query(max_length=60)] = "") -> dict[str, Any]:
    """The library (and, for analysts, the own queries they may see)."""
    found = search(store.list_queries(graph_of(request), user), q, category)
    return {"queries": [_describe(x) for x in found], "total": len(found)}


def _api_error(exc: HydrascopeError) -> Response:
    kind = type(exc).__name__
    status = {"QueryRefused": 403, "QueryTimeout": 504, "ParamError": 422}.get(kind, 400)
    return Response(json.dumps({"detail": str(exc), "error": kind}), status_code=status,
                    media_type="application/json")


def _api_result(request: Request, query: QueryDef, raw: dict[str, str],
                user: User) -> Response:
    try:
        result = masked(graph_of(request), run_saved_query(
            graph_of(request), query, raw, actor=user.username, source=_source(request)))
    except HydrascopeError as exc:
        return _api_error(exc)
    return Response(json.dumps(result.as_dict(), default=str), media_type="application/json")


class AdhocRun(BaseModel):
    cypher: str = Field(max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)


@api.post("/run", dependencies=[Depends(check_csrf)], responses=RUN_PROBLEMS)
def api_run_adhoc(request: Request, user: Analyst, body: AdhocRun) -> Response:
    """Run ad-hoc Cypher under the guard (analysts)."""
    try:
        result = masked(graph_of(request), run_query(
            graph_of(request), body.cypher, body.params, actor=user.username,
            source=_source(request)))
    except HydrascopeError as exc:
        return _api_error(exc)
    return Response(json.dumps(result.as_dict(), default=str), media_type="application/json")


@api.get("/limits", response_model=Limits)
def api_limits(request: Request, user: Viewer) -> dict[str, Any]:
    """The timeout and caps every run gets."""
    return current_limits(graph_of(request)).as_dict()


@api.get("/{name}", response_model=QueryDescription, responses=NOT_FOUND)
def api_get(request: Request, user: Viewer, name: str) -> dict[str, Any]:
    """One query: metadata, parameters and Cypher."""
    return _describe(_find(request, name, user))


@api.get("/{name}/run", responses={**NOT_FOUND, **RUN_PROBLEMS})
def api_run(request: Request, user: Viewer, name: str) -> Response:
    """Run a saved query; parameters in the query string."""
    query = _find(request, name, user)
    return _api_result(request, query, _raw_params(request), user)


# The app includes this one router: pages and API together.
routes = APIRouter()
routes.include_router(router)
routes.include_router(api)
