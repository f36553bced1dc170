"""The one object that talks to Neo4j: a driver plus the named Cypher files."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from neo4j import READ_ACCESS, Driver, GraphDatabase, Record, Session
from neo4j.exceptions import AuthError, DriverError, Neo4jError, TransientError

from app.config import Settings
from app.db.cypher import load_statement
from app.db.managed import USER, ManagedNeo4j
from app.errors import GraphUnavailable


def credentials(settings: Settings) -> tuple[str, str]:
    """User and password: from the environment, else the managed server's."""
    user = settings.neo4j_user or USER
    if settings.neo4j_password is not None:
        return user, settings.neo4j_password
    if settings.managed:
        return user, ManagedNeo4j(settings).password()
    raise GraphUnavailable("NEO4J_URI is set but NEO4J_PASSWORD is not")


def create_driver(settings: Settings) -> Driver:
    """The process's one driver (created at start-up, passed around)."""
    return GraphDatabase.driver(
        settings.bolt_uri,
        auth=credentials(settings),
        max_connection_pool_size=50,
        connection_acquisition_timeout=30,
        # Fail fast when the graph is down instead of retrying for half a minute.
        connection_timeout=5,
        max_transaction_retry_time=5,
        # Schema hints ("label does not exist" on an empty graph) are noise
        # for the app; the query guard reads notifications itself.
        notifications_min_severity="OFF",
    )


_PLAIN_TYPES = (str, int, float, bool, type(None))


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is list:
        return [_plain(v) for v in value]
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    raise _NotPlain


def row_of(record: Record) -> dict[str, Any]:
    """`record.data()`, with a fast path for rows of plain values (most page reads):
    the driver's general transformer costs some 20 us a row."""
    try:
        return {key: _plain(value) for key, value in zip(record.keys(), record.values(),
                                                         strict=True)}
    except _NotPlain:
        return record.data()


# Pauses before the retries of a read that failed for a transient reason.
READ_RETRY_PAUSES = (0.1, 0.4)


class Graph:
    """Runs the statements of cypher/ by name against one database."""

    def __init__(self, driver: Driver, settings: Settings):
        self.driver = driver
        self.settings = settings
        self.database = settings.neo4j_database

    def statement(self, name: str) -> str:
        return load_statement(self.settings.cypher_dir, name)

    @contextmanager
    def session(self, **kwargs: Any) -> Iterator[Session]:
        with self.driver.session(database=self.database, **kwargs) as session:
            yield session

    def read(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named read statement; rows as dicts.

        One auto-commit read: a single round trip (BEGIN, RUN, PULL and COMMIT
        of a managed transaction cost two, and CPU on both ends, on every page
        request). A transient failure (the server short of memory or a lock for
        a moment) is retried twice within half a second, then raised (the web
        app answers 503 "busy"), instead of the driver's retries for up to 30
        seconds while the user waits. A lost server is raised at once.
        """
        query = self.statement(name)
        for pause in (*READ_RETRY_PAUSES, None):
            try:
                with self.session(default_access_mode=READ_ACCESS) as session:
                    return [row_of(record) for record in session.run(query, params)]
            except TransientError:
                # The server is short of something for a moment (memory, a lock):
                # a couple of quick retries, then the caller's 503 "busy".
                if pause is None:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")

    def read_side_by_side(self, calls: Sequence[tuple[str, dict[str, Any]]],
                          workers: int = 3) -> list[list[dict[str, Any]]]:
        """Run several named reads at once, each in a session of its own (the
        server runs each query on a core, while this process decodes the rows
        of another); their rows in the order of `calls`."""
        if len(calls) <= 1:
            return [self.read(name, **params) for name, params in calls]
        with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
            futures = [pool.submit(self.read, name, **params) for name, params in calls]
            return [future.result() for future in futures]

    def stream(self, name: str, /, **params: Any) -> Iterator[tuple[Any, ...]]:
        """Run a named read statement and yield its rows as tuples, without holding them all."""
        query = self.statement(name)
        with self.session(default_access_mode=READ_ACCESS) as session:
            result = session.run(query, params)
            for record in result:
                yield tuple(record.values())

    def write(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named write statement in one managed transaction; rows as dicts."""
        query = self.statement(name)

        def work(tx: Any) -> list[dict[str, Any]]:
            return [row_of(record) for record in tx.run(query, params)]

        with self.session() as session:
            return session.execute_write(work)

    def autocommit(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a named statement in an auto-commit transaction (procedures, schema)."""
        return self.run_text(self.statement(name), **params)

    def run_text(self, query: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a statement given as text in an auto-commit transaction.

        For schema statements (which cannot share a transaction with data) and
        for tests; application code uses named files.
        """
        with self.session() as session:
            return [row_of(record) for record in session.run(query, params)]

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            self.driver.execute_query("RETURN 1", database_=self.database)
            return True
        except (DriverError, Neo4jError, OSError):
            return False

    def check(self) -> None:
        """Raise a clear error when the graph does not answer."""
        try:
            self.driver.verify_connectivity()
        except AuthError as exc:
            raise GraphUnavailable(f"Neo4j at {self.settings.bolt_uri} refused the credentials: "
                                   f"{exc.message}") from None
        except (DriverError, Neo4jError, OSError) as exc:
            hint = " (start it with 'hydrascope db start')" if self.settings.managed else ""
            raise GraphUnavailable(
                f"Neo4j does not answer at {self.settings.bolt_uri}{hint}: {exc}"
            ) from None


@contextmanager
def open_graph(settings: Settings) -> Iterator[Graph]:
    """A Graph with its own driver, for short-lived processes (the CLI)."""
    driver = create_driver(settings)
    try:
        graph = Graph(driver, settings)
        graph.check()
        yield graph
    finally:
        driver.close()
