"""The FastAPI application: one driver per process, created in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2_fragments.fastapi import Jinja2Blocks
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from app import __version__
from app.config import Settings, load_settings
from app.db.graph import Graph, create_driver
from app.kinds import account_url, entity_url
from app.privacy import Masked
from app.web import admin, alerts, cases, indicators, pages, queries, taxii, tokens
from app.web.headers import SecurityHeaders
from app.web.security import Forbidden, SignInRequired, csrf_token, login_url

SESSION_MAX_AGE = 8 * 3600


class Health(BaseModel):
    """Whether the app and its graph answer."""

    status: Literal["ok", "degraded"]
    neo4j: Literal["up", "down"]


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the driver opens when the app starts and closes when it stops."""
    settings = settings or load_settings()
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        driver = create_driver(settings)
        app.state.graph = Graph(driver, settings)
        try:
            yield
        finally:
            driver.close()

    app = FastAPI(title="Hydrascope", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="hydrascope_session", max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=settings.environment != "development")
    # Added last, so it wraps everything (error pages included).
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    # Third-party front-end code, installed from npm by `make install`.
    app.mount("/vendor", StaticFiles(directory=settings.node_modules_dir, check_dir=False),
              name="vendor")
    templates = Jinja2Blocks(directory=settings.templates_dir)
    templates.env.globals.update(entity_url=entity_url, account_url=account_url)
    templates.env.tests["masked"] = lambda value: isinstance(value, Masked)
    templates.env.globals.update(num=_num, pct=_pct)
    app.state.templates = templates

    def page(request: Request, status: int, title: str, message: str) -> Response:
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "title": title, "message": message,
            "user": getattr(request.state, "user", None), "csrf_token": csrf_token(request),
        }, status_code=status)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        message = f"This needs the {exc.role} role."
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=403)
        return page(request, 403, "Not allowed", message)

    @app.exception_handler(taxii.TaxiiError)
    async def taxii_error(_request: Request, exc: taxii.TaxiiError) -> Response:
        return taxii.error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def unrouted(request: Request, exc: StarletteHTTPException) -> Response:
        # No route matched (404, 405): TAXII clients still get TAXII JSON.
        if taxii.is_taxii(request):
            return taxii.error_response(taxii.TaxiiError(
                exc.status_code, "Not found" if exc.status_code == 404 else "Cannot do that",
                str(exc.detail)))
        return await http_exception_handler(request, exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if taxii.is_taxii(request):
            return await unrouted(request, exc)
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        titles = {404: "Not found", 403: "Not allowed", 405: "Not allowed here"}
        return page(request, exc.status_code, titles.get(exc.status_code, "Cannot do that"),
                    str(exc.detail))

    def retry_later(request: Request, title: str, message: str, seconds: int) -> Response:
        """A 503 that says when to try again (page or JSON)."""
        headers = {"Retry-After": str(seconds)}
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers=headers)
        response = page(request, 503, title, message)
        response.headers.update(headers)
        return response

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def graph_unavailable(request: Request, _exc: Exception) -> Response:
        # The driver reconnects on its own once Neo4j is back: no restart needed.
        return retry_later(request, "Graph unavailable",
                           "The graph database does not answer; try again in a moment.", 10)

    @app.exception_handler(TransientError)
    async def graph_busy(request: Request, _exc: Exception) -> Response:
        # Still transient after Graph.read's retries (e.g. Neo4j's transaction
        # memory is full of other queries): worth a retry, never a 500.
        return retry_later(request, "Graph busy",
                           "The graph database is busy; try again in a moment.", 2)

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        problems = [_problem(e) for e in exc.errors()]
        if taxii.is_taxii(request):
            return taxii.error_response(taxii.TaxiiError(400, "Bad request",
                                                         "; ".join(problems)))
        if _wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return page(request, 422, "Bad request", "; ".join(problems))

    @app.get("/healthz", tags=["health"], response_model=Health,
             responses={503: {"model": Health, "description": "The graph does not answer"}})
    def healthz(request: Request) -> JSONResponse:
        """200 when the app and the graph answer, 503 otherwise."""
        graph: Graph = request.app.state.graph
        if graph.ping():
            return JSONResponse({"status": "ok", "neo4j": "up"})
        return JSONResponse({"status": "degraded", "neo4j": "down"}, status_code=503)

    @app.get("/about", response_class=HTMLResponse, include_in_schema=False)
    def about(request: Request) -> Response:
        graph: Graph = request.app.state.graph
        return templates.TemplateResponse(request, "index.html", {
            "graph_up": graph.ping(), "uri": settings.bolt_uri, "version": __version__,
            "user": None, "csrf_token": csrf_token(request),
        })

    app.include_router(pages.router)
    app.include_router(pages.api)
    app.include_router(tokens.router)
    app.include_router(admin.router)
    app.include_router(admin.api)
    app.include_router(queries.routes)
    app.include_router(cases.router)
    app.include_router(alerts.router)
    app.include_router(cases.api)
    app.include_router(indicators.router)
    app.include_router(taxii.router)
    return app


def _num(value: float | None) -> str:
    """1234567 -> 1,234,567 (None counts as 0)."""
    return f"{value or 0:,}"


def _pct(share: float | None) -> str:
    """0.923 -> 92%."""
    return f"{(share or 0) * 100:.0f}%"


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))
