"""Security headers and the no-inline-code rule the Content-Security-Policy needs."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.web.app import create_app

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_answer_carries_the_security_headers(neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as client:
        for path in ("/login", "/healthz", "/no-such-page", "/api/networks"):
            headers = client.get(path).headers
            policy = headers["content-security-policy"]
            assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
            assert "frame-ancestors 'none'" in policy
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert "strict-transport-security" not in headers


def test_cookies_are_secure_over_tls(neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings), base_url="https://hydrascope.test") as client:
        answer = client.get("/login")
        cookie = answer.headers["set-cookie"]
        assert "secure" in cookie.lower() and "httponly" in cookie.lower()
        assert "samesite=lax" in cookie.lower()
        assert answer.headers["strict-transport-security"]


def test_templates_hold_no_inline_script_or_style() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")",
                               re.I)
    handlers = re.compile(r"\s on[a-z]+\s*=", re.I | re.X)
    # The dossier is printed by WeasyPrint, never served to a browser.
    served = [t for t in TEMPLATES.rglob("*.html") if "dossier" not in t.parts]
    assert len(served) > 10
    for template in served:
        text = template.read_text()
        assert not inline_script.search(text), f"inline script in {template.name}"
        assert " style=" not in text, f"inline style in {template.name}"
        assert not handlers.search(text), f"inline event handler in {template.name}"
        assert "javascript:" not in text.lower(), template.name
