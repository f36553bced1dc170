from pathlib import Path

import pytest

from app.config import DEFAULT_HOME, load_settings
from app.db.managed import default_memory
from app.errors import ConfigError


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE",
                 "HYDRASCOPE_HOME", "HYDRASCOPE_NEO4J_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.managed
    assert settings.bolt_uri == "bolt://127.0.0.1:7687"
    assert settings.neo4j_database == "neo4j"
    assert settings.home == DEFAULT_HOME
    assert settings.neo4j_lib == DEFAULT_HOME / "neo4j" / "lib"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYDRASCOPE_HOME", str(tmp_path))
    monkeypatch.setenv("HYDRASCOPE_NEO4J_PORT", "17999")
    monkeypatch.setenv("NEO4J_DATABASE", "other")
    settings = load_settings()
    assert settings.home == tmp_path
    assert settings.bolt_uri == "bolt://127.0.0.1:17999"
    assert settings.neo4j_database == "other"
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.invalid:7687")
    settings = load_settings()
    assert not settings.managed
    assert settings.bolt_uri == "neo4j+s://example.invalid:7687"


def test_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASCOPE_NEO4J_PORT", "99999")
    with pytest.raises(ConfigError, match="HYDRASCOPE_NEO4J_PORT"):
        load_settings()


def test_the_alert_webhook_must_be_an_http_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASCOPE_ALERT_WEBHOOK", "ftp://example.org/hook")
    with pytest.raises(ConfigError, match="HYDRASCOPE_ALERT_WEBHOOK must be an http"):
        load_settings()
    monkeypatch.setenv("HYDRASCOPE_ALERT_WEBHOOK", "https://hooks.example.org/x")
    assert load_settings().alert_webhook == "https://hooks.example.org/x"
    monkeypatch.setenv("HYDRASCOPE_ALERT_WEBHOOK", "")
    assert load_settings().alert_webhook is None


def test_default_secret_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRASCOPE_ENV", "production")
    monkeypatch.delenv("HYDRASCOPE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="HYDRASCOPE_SECRET_KEY"):
        load_settings().check_production()
    monkeypatch.setenv("HYDRASCOPE_SECRET_KEY", "x" * 40)
    load_settings().check_production()


@pytest.mark.parametrize(("total_gib", "heap", "pagecache"), [
    (2, "1024m", "512m"),
    (8, "1024m", "1024m"),
    (24, "3072m", "2048m"),
    (64, "4096m", "2048m"),
])
def test_server_memory_fits_the_machine(total_gib: int, heap: str, pagecache: str) -> None:
    assert default_memory(total_gib * 1024**3) == (heap, pagecache)


@pytest.mark.parametrize(("uri", "managed"), [
    ("bolt://127.0.0.1:17999", True),
    ("neo4j://localhost:17999", True),
    ("bolt://localhost:17999/", True),
    (" bolt://127.0.0.1:17999 ", True),
    ("bolt://127.0.0.1:7687", False),       # another port: another server
    ("bolt://127.0.0.1", False),            # the default port, not this one's
    ("bolt+s://127.0.0.1:17999", False),    # the managed server speaks no TLS
    ("neo4j+s://example.invalid:17999", False),
    ("bolt://10.0.0.5:17999", False),
    ("bolt://127.0.0.1:notaport", False),
])
def test_the_managed_servers_own_address_still_counts_as_managed(
        monkeypatch: pytest.MonkeyPatch, uri: str, managed: bool) -> None:
    monkeypatch.setenv("HYDRASCOPE_NEO4J_PORT", "17999")
    monkeypatch.setenv("NEO4J_URI", uri)
    settings = load_settings()
    assert settings.managed is managed
    assert settings.bolt_uri == uri


def test_the_default_port_is_assumed_when_the_uri_gives_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYDRASCOPE_NEO4J_PORT", raising=False)
    monkeypatch.setenv("NEO4J_URI", "bolt://localhost")
    assert load_settings().managed
