"""Settings from the environment: the one place that reads it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = Path.home() / ".local" / "share" / "hydrascope"
DEVELOPMENT_SECRET = "hydrascope-development-secret-change-me"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything Hydrascope reads from the environment (see contract/CLI.md)."""

    # Only the names in contract/CLI.md (and HYDRASCOPE_*) are read: never HOME.
    model_config = SettingsConfigDict(extra="ignore", env_prefix="HYDRASCOPE_")

    neo4j_uri: str | None = Field(default=None, validation_alias=_env("NEO4J_URI"))
    neo4j_user: str | None = Field(default=None, validation_alias=_env("NEO4J_USER"))
    neo4j_password: str | None = Field(default=None, validation_alias=_env("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=_env("NEO4J_DATABASE"))

    home: Path = Field(default=DEFAULT_HOME, validation_alias=_env("HYDRASCOPE_HOME"))
    neo4j_port: int = Field(default=7687, ge=1, le=65535,
                            validation_alias=_env("HYDRASCOPE_NEO4J_PORT"))
    # Where the managed server's jars live. Defaults to <home>/neo4j/lib; a
    # test run points its throw-away home at the jars of the usual home so the
    # runtime is fetched once per machine, not once per run.
    neo4j_lib_dir: Path | None = Field(default=None,
                                       validation_alias=_env("HYDRASCOPE_NEO4J_LIB"))
    neo4j_heap: str | None = Field(default=None, validation_alias=_env("HYDRASCOPE_NEO4J_HEAP"))
    neo4j_pagecache: str | None = Field(default=None,
                                        validation_alias=_env("HYDRASCOPE_NEO4J_PAGECACHE"))
    neo4j_start_timeout: float = Field(default=180.0, gt=0,
                                       validation_alias=_env("HYDRASCOPE_NEO4J_START_TIMEOUT"))
    # Extra arguments for Maven when the runtime is assembled (a mirror's
    # settings file, offline mode, another local repository).
    maven_args: str = Field(default="", validation_alias=_env("HYDRASCOPE_MAVEN_ARGS"))

    environment: str = Field(default="development", validation_alias=_env("HYDRASCOPE_ENV"))
    secret_key: str = Field(default=DEVELOPMENT_SECRET,
                            validation_alias=_env("HYDRASCOPE_SECRET_KEY"))

    # Privacy: an e-mail domain used by fewer accounts than this is an
    # individual's and is masked like payment tokens (see app/privacy.py).
    privacy_min_accounts: int = Field(default=5, ge=1, le=1_000_000,
                                      validation_alias=_env("HYDRASCOPE_PRIVACY_MIN_ACCOUNTS"))

    # Saved and ad-hoc queries: the defaults an admin starts from, and the
    # ceilings an admin cannot raise them above.
    query_timeout_seconds: float = Field(default=10.0, gt=0, le=3600,
                                         validation_alias=_env("HYDRASCOPE_QUERY_TIMEOUT"))
    query_timeout_max: float = Field(default=120.0, gt=0, le=3600,
                                     validation_alias=_env("HYDRASCOPE_QUERY_TIMEOUT_MAX"))
    query_max_rows: int = Field(default=1000, ge=1,
                                validation_alias=_env("HYDRASCOPE_QUERY_MAX_ROWS"))
    query_max_rows_ceiling: int = Field(default=50_000, ge=1,
                                        validation_alias=_env("HYDRASCOPE_QUERY_ROWS_CEILING"))
    query_max_bytes: int = Field(default=5_000_000, ge=1000,
                                 validation_alias=_env("HYDRASCOPE_QUERY_MAX_BYTES"))
    query_max_bytes_ceiling: int = Field(default=50_000_000, ge=1000,
                                         validation_alias=_env("HYDRASCOPE_QUERY_BYTES_CEILING"))
    # Saved and ad-hoc queries one app process runs at once; more wait for a
    # slot (up to their timeout). Analytic queries that scan sessions can fill
    # Neo4j's transaction memory and starve every page if all run together.
    query_slots: int = Field(default=2, ge=1, le=64,
                             validation_alias=_env("HYDRASCOPE_QUERY_SLOTS"))

    # Alerts: each new alert is POSTed as JSON to this URL (retried with
    # back-off; failures are shown on the admin page, never block a load), and
    # a suspected network that grew by more than this share since the full run
    # its chain builds on raises `network_growth`.
    alert_webhook: str | None = Field(default=None,
                                      validation_alias=_env("HYDRASCOPE_ALERT_WEBHOOK"))
    alert_growth: float = Field(default=0.1, gt=0, le=100,
                                validation_alias=_env("HYDRASCOPE_ALERT_GROWTH"))

    # Sharing with other providers: how this provider names itself in what it
    # publishes, and the key (agreed with the partners of the default collection)
    # that payment tokens, devices and personal e-mail domains are hashed under.
    provider_name: str = Field(default="Hydrascope", min_length=1, max_length=200,
                               validation_alias=_env("HYDRASCOPE_PROVIDER_NAME"))
    sharing_key: str | None = Field(default=None, min_length=16,
                                    validation_alias=_env("HYDRASCOPE_SHARING_KEY"))

    cypher_dir: Path = PROJECT_ROOT / "cypher"
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "static"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"

    @field_validator("alert_webhook")
    @classmethod
    def _webhook_is_http(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"HYDRASCOPE_ALERT_WEBHOOK must be an http(s) URL, not {value!r}")
        return value

    @property
    def managed(self) -> bool:
        """True when Hydrascope runs its own Neo4j: no NEO4J_URI given, or one
        that is the managed server's own address (what `hydrascope db env`
        prints: bolt:// or neo4j:// on 127.0.0.1 or localhost, its port)."""
        return not self.neo4j_uri or is_local_address(self.neo4j_uri, self.neo4j_port)

    @property
    def neo4j_home(self) -> Path:
        """The managed server's home: conf, data, logs, run."""
        return self.home / "neo4j"

    @property
    def neo4j_lib(self) -> Path:
        """The managed server's jar directory."""
        return self.neo4j_lib_dir or self.neo4j_home / "lib"

    @property
    def bolt_uri(self) -> str:
        """The URI the driver connects to."""
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_port}"

    def check_production(self) -> None:
        """Refuse development defaults outside development."""
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ConfigError(
                "HYDRASCOPE_SECRET_KEY must be set when HYDRASCOPE_ENV is not 'development'"
            )


LOCAL_SCHEMES = ("bolt", "neo4j")
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def is_local_address(uri: str, port: int) -> bool:
    """Whether a Neo4j URI names the managed server's own address: an
    unencrypted bolt:// or neo4j:// URI on this machine's loopback, at `port`
    (7687 when the URI gives none)."""
    try:
        parts = urlsplit(uri.strip())
        given = parts.port or 7687
    except ValueError:
        return False
    return (parts.scheme in LOCAL_SCHEMES and parts.hostname in LOCAL_HOSTS
            and given == port and parts.path in ("", "/"))


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; overrides (by field name) win, for tests. A
    value the environment gives that cannot be read is one ConfigError line."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"bad setting in the environment: {problems}") from exc
    return settings.model_copy(update=overrides)
