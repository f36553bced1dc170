"""Bulk initial load: the same validated rows, written through `neo4j-admin database import`.

Transactional writes cost the server most of its time on a first load of a
long history. When the managed server's graph is empty, the loader can
instead stream the validated rows into import CSVs (nodes and relationships
of the same evidence graph, roll-ups and account totals computed here), stop
the server, run Neo4j's offline importer, start the server again and
re-apply the schema. Validation, rejects and the report are those of the
transactional path: only the writing differs, and the graph it builds is the
same (a test compares them).

The import replaces the `neo4j` database, so it runs only on a graph that
holds nothing but schema records; an interrupted import leaves an empty (or
unusable) database that the next load simply replaces again. Nothing that
was there can be lost.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

from app.addresses import address_facts
from app.db.graph import Graph
from app.db.managed import ADMIN_TOOL, ManagedNeo4j
from app.db.migrations import apply_migrations
from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS, Table, format_cell
from app.ingest.loader import (
    Loader,
    LoadError,
    LoadReport,
    RawRow,
    user_agent_key,
)

ACCOUNT_COUNTERS = ("sessions", "requests", "input_tokens", "output_tokens",
                    "reasoning_sessions", "rewrite_sessions", "refusals")
SESSION_COLUMNS = [
    ("session_id", "session_id:ID(Session)"), ("account_id", "account_id"),
    ("started_at", "started_at:datetime"), ("ended_at", "ended_at:datetime"), ("ip", "ip"),
    ("user_agent", "user_agent"), ("api_key_id", "api_key_id"), ("model", "model"),
    ("requests", "requests:long"), ("input_tokens", "input_tokens:long"),
    ("output_tokens", "output_tokens:long"), ("prompt_fingerprint", "prompt_fingerprint"),
    ("prompt_category", "prompt_category"), ("reasoning_request", "reasoning_request:boolean"),
    ("sensitive_rewrite", "sensitive_rewrite:boolean"), ("refusals", "refusals:long"),
]
# Roll-up relationship per entity kind: (session column, type, label, id space).
ROLLUPS = (
    ("ip", "USED_IP", "IP"),
    ("device_fingerprint", "USED_DEVICE", "Device"),
    ("api_key_id", "USED_KEY", "ApiKey"),
    ("user_agent", "USED_AGENT", "UserAgent"),
)


def graph_is_empty(graph: Graph) -> bool:
    return not graph.read("ingest/any_data")


class _Files:
    """The import CSVs, one per node label or relationship type, opened on first use."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.nodes: dict[str, list[Path]] = {}
        self.relationships: dict[str, list[Path]] = {}
        self._open: dict[str, tuple[IO[str], Any]] = {}

    def writer(self, kind: str, name: str, header: list[str]) -> Any:
        key = f"{kind}:{name}"
        if key not in self._open:
            path = self.directory / f"{kind}-{name}.csv"
            fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            self._open[key] = (fh, writer)
            (self.nodes if kind == "nodes" else self.relationships).setdefault(name, []).append(
                path)
        return self._open[key][1]

    def node(self, label: str, header: list[str], row: list[Any]) -> None:
        self.writer("nodes", label, header).writerow([format_cell(v) for v in row])

    def rel(self, rel_type: str, start: str, end: str, row: list[Any],
            props: list[str] | None = None) -> None:
        header = [f":START_ID({start})", f":END_ID({end})", *(props or [])]
        self.writer("relationships", rel_type, header).writerow([format_cell(v) for v in row])

    def close(self) -> None:
        for fh, _writer in self._open.values():
            fh.close()


class BulkLoader(Loader):
    """A Loader whose batches go to import files instead of transactions."""

    def __init__(self, graph: Graph, directory: Path, rejects_path: Path, server: ManagedNeo4j,
                 progress: bool | None = None):
        super().__init__(graph, directory, rejects_path, progress=progress, writers=1)
        self.server = server
        self.work_dir = graph.settings.home / "import" / self.report.load_id
        self.files: _Files | None = None
        self.accounts: dict[str, dict[str, Any]] = {}
        self.intel: dict[str, dict[str, Any]] = {}
        self.addresses: set[str] = set()
        self.entities: dict[str, set[str]] = {"Device": set(), "ApiKey": set(),
                                              "UserAgent": set()}
        self.templates_seen: set[str] = set()
        # (account, key) -> [sessions, first, last], per roll-up type
        self.rollups: dict[str, dict[tuple[str, str], list[Any]]] = {r[1]: {} for r in ROLLUPS}

    def run(self) -> LoadReport:
        if not graph_is_empty(self.graph):
            raise LoadError("a bulk load needs an empty graph; this one holds data "
                            "(load without --bulk to add to it)")
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir.mkdir(parents=True)
        self.files = _Files(self.work_dir)
        try:
            report = self.run_tables()
            self._write_nodes_and_links()
            self.files.close()
            self._import()
            apply_migrations(self.graph)
            self.record_load()
            return report
        finally:
            self.files.close()
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # -- batches go to files ----------------------------------------------------

    def _submit(self, table: Table, batch: list[tuple[RawRow, dict[str, Any]]],
                report: Any) -> None:
        if table is SESSIONS:
            kept = []
            file = self.sources["sessions"].path.name
            for raw, clean in batch:
                if clean["account_id"] in self.accounts:
                    kept.append(clean)
                else:
                    self.reject_unknown_account(report, file, raw, clean["account_id"])
            for row in kept:
                self._session(row)
            report.loaded += len(kept)
            report.new += len(kept)
            return
        rows = [clean for _raw, clean in batch]
        if table is ACCOUNTS:
            for row in rows:
                self.accounts[row["account_id"]] = dict(
                    row, **{c: 0 for c in ACCOUNT_COUNTERS}, first_seen=None, last_seen=None)
            self.loaded_accounts.update(r["account_id"] for r in rows)
        elif table is IP_INTEL:
            for row in rows:
                self.intel[row["ip"]] = row
        report.loaded += len(rows)
        report.new += len(rows)

    def _wait(self) -> None:
        """Nothing is in flight: files are written synchronously."""

    def _session(self, row: dict[str, Any]) -> None:
        assert self.files is not None
        files = self.files
        session_id, account_id = row["session_id"], row["account_id"]
        files.node("Session", [h for _c, h in SESSION_COLUMNS],
                   [row.get(c) for c, _h in SESSION_COLUMNS])
        files.rel("HAS_SESSION", "Account", "Session", [account_id, session_id])
        files.rel("FROM_IP", "Session", "IP", [session_id, row["ip"]])
        self.addresses.add(row["ip"])
        if row["device_fingerprint"] is not None:
            files.rel("ON_DEVICE", "Session", "Device", [session_id, row["device_fingerprint"]])
        if row["prompt_fingerprint"] is not None:
            fp = row["prompt_fingerprint"]
            if fp not in self.templates_seen:
                self.templates_seen.add(fp)
                files.node("PromptTemplate", ["fingerprint:ID(PromptTemplate)"], [fp])
            files.rel("USED_TEMPLATE", "Session", "PromptTemplate", [session_id, fp])
        account = self.accounts[account_id]
        account["sessions"] += 1
        account["requests"] += row["requests"]
        account["input_tokens"] += row["input_tokens"] or 0
        account["output_tokens"] += row["output_tokens"] or 0
        account["reasoning_sessions"] += 1 if row["reasoning_request"] else 0
        account["rewrite_sessions"] += 1 if row["sensitive_rewrite"] else 0
        account["refusals"] += row["refusals"] or 0
        started = row["started_at"]
        if account["first_seen"] is None or started < account["first_seen"]:
            account["first_seen"] = started
        if account["last_seen"] is None or started > account["last_seen"]:
            account["last_seen"] = started
        for column, rel_type, label in ROLLUPS:
            value = row.get(column)
            if value is None:
                continue
            key = user_agent_key(value) if column == "user_agent" else value
            if label in self.entities:
                self.entities[label].add(key)
            pair = (account_id, key)
            roll = self.rollups[rel_type].get(pair)
            if roll is None:
                self.rollups[rel_type][pair] = [1, started, started]
            else:
                roll[0] += 1
                roll[1] = min(roll[1], started)
                roll[2] = max(roll[2], started)

    # -- everything that needs the whole load ---------------------------------------

    def _write_nodes_and_links(self) -> None:
        assert self.files is not None
        files = self.files
        account_header = ["account_id:ID(Account)", "created_at:datetime", "email_domain",
                          "signup_ip", "country", "payment_fingerprint", "org_id", "plan",
                          "status", "status_changed_at:datetime",
                          *(f"{c}:long" for c in ACCOUNT_COUNTERS), "first_seen:datetime",
                          "last_seen:datetime"]
        payments, domains, orgs = set(), set(), set()
        for account_id, a in self.accounts.items():
            files.node("Account", account_header, [
                account_id, a["created_at"], a["email_domain"], a["signup_ip"], a["country"],
                a["payment_fingerprint"], a["org_id"], a["plan"], a["status"] or "active",
                a["status_changed_at"], *(a[c] for c in ACCOUNT_COUNTERS), a["first_seen"],
                a["last_seen"]])
            if a["email_domain"] is not None:
                domains.add(a["email_domain"])
                files.rel("EMAIL_AT", "Account", "EmailDomain", [account_id, a["email_domain"]])
            if a["payment_fingerprint"] is not None:
                payments.add(a["payment_fingerprint"])
                files.rel("PAID_WITH", "Account", "Payment",
                          [account_id, a["payment_fingerprint"]])
            if a["org_id"] is not None:
                orgs.add(a["org_id"])
                files.rel("IN_ORG", "Account", "Org", [account_id, a["org_id"]])
            if a["signup_ip"] is not None:
                self.addresses.add(a["signup_ip"])
                files.rel("SIGNED_UP_FROM", "Account", "IP", [account_id, a["signup_ip"]])
        for label, key, values in (("Payment", "fingerprint", payments),
                                   ("EmailDomain", "name", domains), ("Org", "org_id", orgs),
                                   ("Device", "fingerprint", self.entities["Device"]),
                                   ("ApiKey", "api_key_id", self.entities["ApiKey"]),
                                   ("UserAgent", "value", self.entities["UserAgent"])):
            for value in sorted(values):
                files.node(label, [f"{key}:ID({label})"], [value])
        self.addresses.update(self.intel)
        prefixes: set[str] = set()
        asns: dict[int, str | None] = {}
        ip_header = ["address:ID(IP)", "version:long", "network_type", "country", "asn:long",
                     "as_org", "proxy_provider", "in_intel_feed:boolean"]
        for address in sorted(self.addresses):
            version, prefix = address_facts(address)
            prefixes.add(prefix)
            files.rel("IN_PREFIX", "IP", "Prefix", [address, prefix])
            intel = self.intel.get(address)
            if intel is None:
                files.node("IP", ip_header, [address, version, "unknown", None, None, None,
                                             None, None])
                continue
            files.node("IP", ip_header, [address, version, intel["network_type"],
                                         intel["country"], intel["asn"], intel["as_org"],
                                         intel["proxy_provider"], True])
            if intel["asn"] is not None:
                if intel["as_org"] is not None or intel["asn"] not in asns:
                    asns[intel["asn"]] = intel["as_org"] or asns.get(intel["asn"])
                files.rel("IN_ASN", "IP", "ASN", [address, intel["asn"]])
        for prefix in sorted(prefixes):
            files.node("Prefix", ["cidr:ID(Prefix)"], [prefix])
        for number, org in sorted(asns.items()):
            files.node("ASN", ["asn:ID(ASN){id-type: long}", "as_org"], [number, org])
        labels = {r[1]: r[2] for r in ROLLUPS}
        for rel_type, pairs in self.rollups.items():
            for (account_id, key), (sessions, first, last) in pairs.items():
                files.rel(rel_type, "Account", labels[rel_type], [account_id, key, sessions,
                                                                   first, last],
                          ["sessions:long", "first_seen:datetime", "last_seen:datetime"])

    def _import(self) -> None:
        assert self.files is not None
        server = self.server
        args = [server.java(), "-Xmx1g", "-cp", server.classpath(), ADMIN_TOOL,
                "database", "import", "full", self.graph.database,
                "--overwrite-destination=true", "--skip-duplicate-nodes=true",
                "--multiline-fields=true", "--ignore-empty-strings=true",
                f"--report-file={self.work_dir / 'import.report'}"]
        args += [f"--nodes={label}={','.join(str(p) for p in paths)}"
                 for label, paths in sorted(self.files.nodes.items())]
        args += [f"--relationships={rel}={','.join(str(p) for p in paths)}"
                 for rel, paths in sorted(self.files.relationships.items())]
        server.stop()
        try:
            result = subprocess.run(args, capture_output=True, text=True,
                                    env=server._tool_env(), check=False)
        finally:
            server.start()
            self.graph.driver.verify_connectivity()
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            raise LoadError(f"neo4j-admin import failed; the graph is empty again.\n{tail}")
