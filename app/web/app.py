"""The FastAPI application: one driver per process, created in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__
from app.config import Settings, load_settings
from app.db.graph import Graph, create_driver


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

    app = FastAPI(title="Hydrascope", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    # Third-party front-end code, installed from npm by `make install`.
    app.mount("/vendor", StaticFiles(directory=settings.node_modules_dir, check_dir=False),
              name="vendor")
    templates = Jinja2Templates(directory=settings.templates_dir)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        graph: Graph = request.app.state.graph
        return templates.TemplateResponse(request, "index.html", {
            "graph_up": graph.ping(), "uri": settings.bolt_uri, "version": __version__,
        })

    @app.get("/healthz", tags=["health"])
    def healthz(request: Request) -> JSONResponse:
        """200 when the app and the graph answer, 503 otherwise."""
        graph: Graph = request.app.state.graph
        if graph.ping():
            return JSONResponse({"status": "ok", "neo4j": "up"})
        return JSONResponse({"status": "degraded", "neo4j": "down"}, status_code=503)

    return app
