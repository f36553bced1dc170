"""The error answers of the JSON API, as the OpenAPI schema documents them.

Every error is `{"detail": ...}`: one message, or for bad input one message per
problem (see the app's RequestValidationError handler). Routers declare the
codes their routes can answer with, so /openapi.json tells the truth.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """Why a request was not answered: one message, or one per bad input."""

    detail: str | list[str]


class QueryProblem(Problem):
    """Why a query did not run, and the kind of failure when it was the query's own
    (QueryRefused, ParamError, QueryTimeout, ...) rather than the request's."""

    error: str | None = None


DESCRIPTIONS = {
    400: "The request cannot be carried out as sent (a body that is not JSON, Cypher "
         "the server rejects)",
    401: "No valid session or Bearer token",
    403: "The signed-in role may not do this (or the query guard refused the Cypher)",
    404: "No such thing",
    422: "A parameter or the body is invalid; one message per problem",
    503: "The graph database does not answer; retry later",
    504: "The query ran out of time",
}


def problems(*codes: int, model: type[Problem] = Problem) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes."""
    return {code: {"model": model, "description": DESCRIPTIONS[code]} for code in codes}


# What any route of the JSON API can answer besides success.
API_PROBLEMS = problems(401, 403, 422, 503)
