"""A TAXII 2.1 server for partners: discovery, one API root, its collections, and
each collection's objects, object versions and manifest (read only).

Partners authenticate with their token (`Authorization: Bearer hsp_...`, or
taxii2-client's `Token hsp_...`), never with the cookie sign-in; every answer,
errors included, is TAXII JSON; every read is an audit event in the
partner's name (`partner:NAME`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from app.audit import record
from app.sharing import feed
from app.sharing.collections import collections_by_id
from app.sharing.partners import Partner, TokenRefused, partner_for_token
from app.web.security import client_address, graph_of

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
PREFIX = "/taxii2"
API_ROOT = f"{PREFIX}/api/"
MAX_CONTENT_LENGTH = 10_485_760

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class TaxiiError(Exception):
    """An error a TAXII client reads: HTTP status, a title and a description."""

    def __init__(self, status: int, title: str, description: str,
                 headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status, self.title, self.description = status, title, description
        self.headers = headers or {}


def taxii_response(body: Any, status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, bytes):
        return Response(body, status_code=status, media_type=TAXII_MEDIA_TYPE,
                        headers=headers)
    return JSONResponse(body, status_code=status, media_type=TAXII_MEDIA_TYPE,
                        headers=headers)


def error_response(exc: TaxiiError) -> Response:
    return taxii_response({"title": exc.title, "description": exc.description,
                           "http_status": str(exc.status)}, exc.status, exc.headers)


def is_taxii(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def _accepts_taxii(accept: str) -> bool:
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json":
            version = [p.strip() for p in params.split(";") if p.strip().startswith("version")]
            return not version or version[0].replace(" ", "") == "version=2.1"
    return False


def partner(request: Request) -> Partner:
    """The partner behind the request's token (a TAXII 401 or 406 otherwise)."""
    accept = request.headers.get("accept", "")
    if accept and not _accepts_taxii(accept):
        raise TaxiiError(406, "Not acceptable", f"this server answers in {TAXII_MEDIA_TYPE}, "
                                                f"not {accept[:80]!r}")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="taxii"'}
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        raise TaxiiError(401, "Unauthorized", "send the partner token as "
                                              "'Authorization: Bearer hsp_...'", challenge)
    try:
        found = partner_for_token(graph_of(request), token)
    except TokenRefused as refused:
        raise TaxiiError(401, "Unauthorized", str(refused), challenge) from refused
    request.state.partner = found
    return found


# The role walk of the tests: these routes admit a partner token and no sign-in.
partner.required_role = "partner"  # type: ignore[attr-defined]
PartnerDep = Annotated[Partner, Depends(partner)]


def _audit(request: Request, who: Partner, what: str, target: str = "",
           **details: Any) -> None:
    record(graph_of(request), f"partner:{who.name}", "taxii.read", target=target,
           source=client_address(request), details={"endpoint": what, **details})


def _collection_view(collection: dict[str, Any]) -> dict[str, Any]:
    return {"id": collection["collection_id"], "title": collection["title"],
            "description": collection["description"], "can_read": True, "can_write": False,
            "media_types": [feed.STIX_MEDIA_TYPE]}


def _readable(request: Request, who: Partner, collection_id: str) -> dict[str, Any]:
    if collection_id in who.collection_ids:
        for collection in collections_by_id(graph_of(request), [collection_id]):
            return collection
    raise TaxiiError(404, "Collection not found", f"no collection {collection_id[:80]!r} "
                                                  "that this token may read")


@router.get("/")
def discovery(request: Request, who: PartnerDep) -> Response:
    settings = request.app.state.settings
    root = str(request.base_url).rstrip("/") + API_ROOT
    _audit(request, who, "discovery")
    return taxii_response({"title": f"{settings.provider_name} (Hydrascope)",
                           "description": "Networks of accounts distilling AI models, shared "
                                          "with partner providers.",
                           "default": root, "api_roots": [root]})


@router.get("/api/")
def api_root(request: Request, who: PartnerDep) -> Response:
    _audit(request, who, "api root")
    return taxii_response({"title": "Shared distillation networks",
                           "versions": [TAXII_MEDIA_TYPE],
                           "max_content_length": MAX_CONTENT_LENGTH})


@router.get("/api/collections/")
def collections(request: Request, who: PartnerDep) -> Response:
    shown = [_collection_view(c)
             for c in collections_by_id(graph_of(request), who.collection_ids)]
    _audit(request, who, "collections", collections=len(shown))
    return taxii_response({"collections": shown} if shown else {})


@router.get("/api/collections/{collection_id}/")
def collection(request: Request, who: PartnerDep, collection_id: str) -> Response:
    found = _readable(request, who, collection_id)
    _audit(request, who, "collection", found["name"])
    return taxii_response(_collection_view(found))


def _page(request: Request, who: Partner, collection_id: str, what: str,
          object_id: str | None = None) -> tuple[feed.FeedPage, dict[str, str]]:
    found = _readable(request, who, collection_id)
    params = dict(request.query_params)
    if object_id is not None:
        if "match[id]" in params:
            raise TaxiiError(400, "Bad request", "match[id] is not taken by this endpoint")
        params["match[id]"] = object_id
    try:
        filters = feed.parse_filters(params)
    except feed.BadFilter as bad:
        raise TaxiiError(400, "Bad request", str(bad)) from bad
    page = feed.read_page(graph_of(request), found["collection_id"], filters)
    headers = {}
    if page.rows:
        headers = {"X-TAXII-Date-Added-First": str(page.first_added),
                   "X-TAXII-Date-Added-Last": str(page.last_added)}
    _audit(request, who, what, found["name"], objects=len(page.rows),
           **({"object": object_id} if object_id else {}))
    return page, headers


@router.get("/api/collections/{collection_id}/objects/")
def objects(request: Request, who: PartnerDep, collection_id: str) -> Response:
    page, headers = _page(request, who, collection_id, "objects")
    return taxii_response(feed.objects_envelope(page), headers=headers)


@router.get("/api/collections/{collection_id}/manifest/")
def manifest(request: Request, who: PartnerDep, collection_id: str) -> Response:
    page, headers = _page(request, who, collection_id, "manifest")
    return taxii_response(feed.manifest_envelope(page), headers=headers)


@router.get("/api/collections/{collection_id}/objects/{object_id}/")
def one_object(request: Request, who: PartnerDep, collection_id: str,
               object_id: str) -> Response:
    page, headers = _page(request, who, collection_id, "object", object_id)
    if not page.rows and not page.more:
        raise TaxiiError(404, "Object not found", f"no object {object_id[:80]!r} in this "
                                                  "collection (under these filters)")
    return taxii_response(feed.objects_envelope(page), headers=headers)


@router.get("/api/collections/{collection_id}/objects/{object_id}/versions/")
def versions(request: Request, who: PartnerDep, collection_id: str,
             object_id: str) -> Response:
    found = _readable(request, who, collection_id)
    found_versions = feed.object_versions(graph_of(request), found["collection_id"], object_id)
    if not found_versions:
        raise TaxiiError(404, "Object not found", f"no object {object_id[:80]!r} in this "
                                                  "collection")
    _audit(request, who, "versions", found["name"], object=object_id)
    return taxii_response({"more": False, "versions": found_versions})


@router.post("/api/collections/{collection_id}/objects/")
def add_objects(request: Request, who: PartnerDep, collection_id: str) -> Response:
    _readable(request, who, collection_id)
    raise TaxiiError(403, "Forbidden", "partners read this collection; nobody may write to it")


@router.get("/api/status/{status_id}/")
def status(request: Request, who: PartnerDep, status_id: str) -> Response:
    raise TaxiiError(404, "Status not found", "this server takes no writes, so it has no "
                                              "status resources")
