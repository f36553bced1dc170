"""The command line: parses, calls one service, prints. See contract/CLI.md."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from app.config import Settings, load_settings
from app.errors import HydrascopeError


class HydrascopeGroup(click.Group):
    """Turns expected failures into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("hydrascope: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place errors become messages
            if ctx.params.get("debug") or (ctx.obj and ctx.obj.get("debug")):
                raise
            message = str(exc).strip() or type(exc).__name__
            if not isinstance(exc, HydrascopeError):
                message = f"{type(exc).__name__}: {message}"
            first, _, rest = message.partition("\n")
            click.echo(f"hydrascope: {first}", err=True)
            if rest:
                click.echo(rest, err=True)
            sys.exit(1)


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings()
    settings: Settings = obj["settings"]
    return settings


def say(message: str) -> None:
    """Progress for a person, on stderr so stdout stays machine-readable."""
    click.echo(message, err=True)


@click.group(cls=HydrascopeGroup)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="hydrascope")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Hydrascope: find and explain hydra networks of fake accounts."""
    ctx.ensure_object(dict)["debug"] = debug
    # The driver logs each retried transient error (a deadlock between the
    # loader's writers); the retry is the handling, so keep the terminal clean.
    logging.getLogger("neo4j").setLevel(logging.DEBUG if debug else logging.ERROR)


# -- db ---------------------------------------------------------------------


@main.group()
def db() -> None:
    """The managed local Neo4j server."""


def _managed(ctx: click.Context) -> Any:
    from app.db.managed import ManagedNeo4j

    settings = settings_of(ctx)
    if not settings.managed:
        raise HydrascopeError(
            f"NEO4J_URI is set ({settings.neo4j_uri}) to another server than the managed "
            f"one (bolt://127.0.0.1:{settings.neo4j_port}): the managed server is not used; "
            "unset NEO4J_URI to manage the local one"
        )
    return ManagedNeo4j(settings)


def prepare_graph(settings: Settings) -> None:
    """Make sure the graph answers and its schema is current (every writing command)."""
    from app.db.graph import open_graph
    from app.db.migrations import apply_migrations

    with open_graph(settings) as graph:
        for name in apply_migrations(graph):
            say(f"applied schema migration {name}")


@db.command("start")
@click.pass_context
def db_start(ctx: click.Context) -> None:
    """Start the managed Neo4j and wait until Bolt answers."""
    settings = settings_of(ctx)
    if not settings.managed:
        prepare_graph(settings)
        click.echo(f"using the Neo4j at {settings.neo4j_uri} (NEO4J_URI); nothing to start")
        return
    server = _managed(ctx)
    began = time.monotonic()
    started = server.start(say=say)
    prepare_graph(settings)
    if started:
        click.echo(f"Neo4j started at {server.uri} in {time.monotonic() - began:.1f}s "
                   f"(home {server.home})")
    else:
        click.echo(f"Neo4j already running at {server.uri} (pid {server.pid()})")


@db.command("stop")
@click.pass_context
def db_stop(ctx: click.Context) -> None:
    """Stop the managed Neo4j cleanly."""
    server = _managed(ctx)
    if server.stop():
        click.echo("Neo4j stopped")
    else:
        click.echo("Neo4j was not running")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Say whether the managed Neo4j runs (exit 0) or not (exit 3)."""
    server = _managed(ctx)
    status = server.status()
    click.echo(status.describe())
    if not status.running:
        sys.exit(3)


@db.command("env")
@click.pass_context
def db_env(ctx: click.Context) -> None:
    """Print export lines that point other tools at the managed Neo4j."""
    server = _managed(ctx)
    for line in server.env_lines():
        click.echo(line)


# -- generate ---------------------------------------------------------------


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--accounts", type=click.IntRange(200, 5_000_000),
              help="Number of accounts (default: the preset's).")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "jsonl", "parquet", "csv.gz", "jsonl.gz"]))
@click.option("--preset", default="small", show_default=True,
              type=click.Choice(["tiny", "small", "medium", "large", "seed10"]),
              help="Scale: tiny 600, small 3,000, medium 25,000, large 100,000, "
                   "seed10 250,000 accounts (2.5M sessions).")
@click.option("--randomize", is_flag=True,
              help="Draw every camouflage knob of every planted network from a wide range, "
                   "with twenty kinds of benign look-alikes; writes knobs.json beside "
                   "labels.csv.")
@click.option("--hydra-share", type=click.FloatRange(0.005, 0.3),
              help="Fraction of accounts in hydra networks, 0.005 to 0.3 (default 0.1; with "
                   "--randomize drawn from the seed, log-uniform in 0.005-0.12).")
@click.option("--operator-of", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Another provider's CSV export: plant its network N01's operator here "
                   "(the same proxy pool and templates; other accounts and cards).")
def generate(out_dir: Path, accounts: int | None, seed: int, fmt: str, preset: str,
             randomize: bool, hydra_share: float | None, operator_of: Path | None) -> None:
    """Write a synthetic provider export with planted hydra networks and labels.csv."""
    from app.synth.generator import generate as run_generator

    began = time.monotonic()
    try:
        counts = run_generator(out_dir, accounts=accounts, seed=seed, fmt=fmt, preset=preset,
                               randomize=randomize, hydra_share=hydra_share,
                               operator_of=operator_of)
    except (ValueError, OSError, KeyError) as exc:
        raise HydrascopeError(f"cannot generate: {exc}") from None
    share = counts["hydra"] / counts["accounts"]
    kind = "randomized" if randomize else "fixed-level"
    networks = f"{counts['networks']} network" + ("" if counts["networks"] == 1 else "s")
    click.echo(f"{kind} scenario, seed {seed}: hydra share {share:.2%} "
               f"({counts['hydra']:,} of {counts['accounts']:,} accounts in {networks}"
               + (", knobs in knobs.json)" if randomize else ")"))
    click.echo(f"wrote {counts['accounts']:,} accounts ({counts['hydra']:,} in "
               f"{counts['networks']} planted networks), {counts['sessions']:,} sessions, "
               f"{counts['ip_intel']:,} intel rows to {out_dir} in "
               f"{time.monotonic() - began:.1f}s")


# -- load -------------------------------------------------------------------


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--rejects", "rejects", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV file for rejected rows (default: under HYDRASCOPE_HOME/rejects).")
@click.option("--json", "as_json", is_flag=True, help="Print only the load report as JSON.")
@click.option("--bulk", is_flag=True,
              help="First load into an empty managed graph through Neo4j's offline importer "
                   "(restarts the server; much faster for long histories).")
@click.pass_context
def load(ctx: click.Context, directory: Path, rejects: Path | None, as_json: bool,
         bulk: bool) -> None:
    """Load the tables in DIRECTORY (accounts, sessions, ip_intel; see INGEST.md)."""
    from app.db.graph import open_graph
    from app.ingest import default_rejects_path, load_directory
    from app.ingest.readers import find_tables

    settings = settings_of(ctx)
    find_tables(directory)  # a missing or ambiguous file fails before the graph is touched
    prepare_graph(settings)
    with open_graph(settings) as graph:
        report = load_directory(graph, directory, rejects or default_rejects_path(settings.home),
                                progress=None if not as_json else False, bulk=bulk)
    if as_json:
        click.echo(json.dumps(report.as_dict(), sort_keys=True))
        return
    for name, table in report.tables.items():
        extra = f", ignored columns: {', '.join(table.ignored_columns)}" \
            if table.ignored_columns else ""
        click.echo(f"{name:<9} read {table.read:>10,}  loaded {table.loaded:>10,}  "
                   f"new {table.new:>10,}  rejected {table.rejected:>8,}{extra}")
    if report.rejects_file:
        click.echo(f"{report.rejected:,} rejected rows, with file, line and reason, in "
                   f"{report.rejects_file}")
    click.echo(f"loaded in {report.seconds:.1f}s")


@main.command()
@click.argument("inbox_dir", metavar="INBOX", type=click.Path(path_type=Path, file_okay=False))
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between looks at the inbox.")
@click.option("--settle", default=30.0, show_default=True, type=click.FloatRange(0, 86_400),
              help="A folder without a READY file is taken once nothing in it has changed "
                   "for this many seconds.")
@click.option("--once", is_flag=True, help="Process the complete batches there now, then exit.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per batch on stdout (batch, status, moved_to, load_id, "
                   "reason, report, alerts, detection, timings).")
@click.option("--full-every", type=click.FloatRange(0, 10_000, min_open=True), default=None,
              metavar="HOURS", help="Run a full detection whenever the latest full run is "
                                    "older than this many hours.")
@click.option("--no-detect", is_flag=True,
              help="Only load and raise banned_infrastructure alerts: no incremental "
                   "detection after each batch.")
@click.pass_context
def watch(ctx: click.Context, inbox_dir: Path, interval: float, settle: float, once: bool,
          as_json: bool, full_every: float | None, no_detect: bool) -> None:
    """Load each complete batch folder that arrives in INBOX, in arrival order.

    A batch holds any subset of the ingest tables; it moves to INBOX/done/ when
    loaded, or to INBOX/failed/ with a REJECTED.txt saying why. After each batch
    an incremental detection run attaches its new and changed accounts to the
    latest run's networks and raises alerts. SIGTERM or Ctrl-C finishes the
    current batch and exits.
    """
    from app.db.graph import open_graph
    from app.watch import BatchOutcome, Stop
    from app.watch import watch as run_watch

    def said(outcome: BatchOutcome) -> None:
        if as_json:  # one line per batch, as it happens (stdout may be a pipe)
            click.echo(json.dumps(outcome.as_dict(), sort_keys=True, default=str))
            sys.stdout.flush()
            return
        if outcome.status == "failed":
            click.echo(f"batch {outcome.name}: refused ({outcome.reason}) -> {outcome.moved_to}")
            sys.stdout.flush()
            return
        tables = outcome.report.get("tables", {})
        parts = ", ".join(f"{name} {t['loaded']:,} ({t['new']:,} new"
                          + (f", {t['rejected']:,} rejected" if t["rejected"] else "") + ")"
                          for name, t in tables.items())
        again = " (loaded before a restart)" if outcome.resumed else ""
        alerts = f", {len(outcome.alerts)} alert(s)" if outcome.alerts else ""
        found = outcome.detection
        detected = ""
        if found.get("status") == "complete":
            detected = (f"; detection {found['run_id']}: {found['attached']:,} attached, "
                        f"{found['new_networks']:,} new networks")
        elif found.get("status") == "skipped":
            detected = f"; no detection ({found['reason']})"
        click.echo(f"batch {outcome.name}: {parts or 'loaded'}{again}{alerts}{detected} -> "
                   f"{outcome.moved_to}")
        sys.stdout.flush()

    def full(result: Any) -> None:
        say(f"full detection run {result.run_id}: {result.flagged_networks:,} suspected "
            f"networks, {result.flagged_accounts:,} accounts flagged")

    settings = settings_of(ctx)
    prepare_graph(settings)
    stop = Stop()
    with open_graph(settings) as graph, stop.on_signals():
        if not once:
            say(f"watching {inbox_dir} every {interval:g}s (settle {settle:g}s); "
                "Ctrl-C finishes the current batch and stops")
        # With --once, a graph that stops answering is an error (GraphUnavailable).
        run_watch(graph, inbox_dir, interval=interval, settle=settle, once=once, stop=stop,
                  detect=not no_detect, full_every=full_every, on_batch=said, on_wait=say,
                  on_full=full)


@main.group()
def alerts() -> None:
    """Alerts raised as batches arrive (see hydrascope watch)."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["open", "acknowledged", "closed"]),
              help="Only alerts of this status.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True,
              help="A JSON list of objects: alert_id, kind, network_id, accounts, status, "
                   "created_at, batch, evidence, ...")
@click.pass_context
def alerts_list(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List alerts, newest first."""
    from app.alerts import list_alerts
    from app.db.graph import open_graph

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        rows = list_alerts(graph, status=status, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, sort_keys=True, default=str))
        return
    if not rows:
        click.echo("no alerts" + (f" with status {status}" if status else ""))
        return
    for row in rows:
        click.echo(f"{row['alert_id']}  {row['status']:<12} {row['kind']:<22} "
                   f"network {row['network_id'] or '-':<8} batch {row['batch']}  "
                   f"{len(row['accounts'])} account(s)  {row['created_at'][:19]}")
        for sentence in row["evidence"]:
            click.echo(f"    {sentence}")


@alerts.command("ack")
@click.argument("alert_id")
@click.option("--by", "actor", default=None, help="Who acknowledges (default: $USER).")
@click.pass_context
def alerts_ack(ctx: click.Context, alert_id: str, actor: str | None) -> None:
    """Acknowledge an alert (recorded with who did it, and audited)."""
    import getpass

    from app.alerts import set_status
    from app.db.graph import open_graph

    settings = settings_of(ctx)
    with open_graph(settings) as graph:
        before = set_status(graph, alert_id, "acknowledged", actor or getpass.getuser())
    click.echo(f"{alert_id}: {before} -> acknowledged")


# -- detect -----------------------------------------------------------------


def _detect_params(algorithm: str, resolution: float) -> Any:
    from app.detect.run import DetectParams

    return DetectParams(algorithm=algorithm, resolution=resolution)


detect_options = [
    click.option("--algorithm", default="leiden", show_default=True,
                 type=click.Choice(["leiden", "louvain"]), help="Community detection."),
    click.option("--resolution", default=1.0, show_default=True,
                 type=click.FloatRange(0.01, 100.0), help="Modularity resolution."),
]


def with_detect_options(f: Any) -> Any:
    for option in reversed(detect_options):
        f = option(f)
    return f


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print only the run summary as JSON.")
@click.option("--incremental", is_flag=True,
              help="Attach the accounts new or changed since the latest run to its networks "
                   "(or gather them into new ones) instead of finding communities anew.")
@with_detect_options
@click.pass_context
def detect(ctx: click.Context, as_json: bool, incremental: bool, algorithm: str,
           resolution: float) -> None:
    """Find, score and record suspected hydra networks as a new detection run."""
    from app.db.graph import open_graph
    from app.detect.run import run_detection

    settings = settings_of(ctx)
    prepare_graph(settings)
    if incremental:
        _detect_incremental(settings, as_json, resolution)
        return
    with open_graph(settings) as graph:
        result = run_detection(graph, _detect_params(algorithm, resolution),
                               say=(lambda _m: None) if as_json else say)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True))
        return
    click.echo(f"run {result.run_id}: {result.accounts:,} accounts, {result.networks:,} "
               f"networks scored, {result.flagged_networks:,} suspected, "
               f"{result.flagged_accounts:,} accounts flagged")
    click.echo("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
               + f"; peak memory {result.peak_rss_mib:,.0f} MiB")
    c = result.changes
    click.echo(f"since the previous run: {c['continued']} networks continued, {c['new']} new, "
               f"{c['joined']} accounts joined, {c['left']} left, {c['new_heads']} new heads")


def _detect_incremental(settings: Any, as_json: bool, resolution: float) -> None:
    from app.db.graph import open_graph
    from app.detect.attach import AttachParams
    from app.detect.incremental import run_incremental

    with open_graph(settings) as graph:
        result = run_incremental(graph, AttachParams(resolution=resolution),
                                 say=(lambda _m: None) if as_json else say)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True, default=str))
        return
    if result.status == "nothing-new":
        click.echo(f"nothing new since run {result.parent}: no run written")
        return
    click.echo(f"run {result.run_id} (incremental on {result.parent}, {result.status}): "
               f"{result.changed:,} accounts new or changed, {result.attached:,} attached, "
               f"{len(result.new_networks):,} new networks")
    for change in result.networks:
        what = "new network" if change.new else f"{change.size_before:,} -> {change.size:,}"
        heads = f", {len(change.new_heads)} new heads" if change.new_heads else ""
        click.echo(f"  {change.network_id}: {what}{heads}")
    click.echo("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
               + f"; peak memory {result.peak_rss_mib:,.0f} MiB")


@main.group()
def export() -> None:
    """Export results."""


@export.command("assignments")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def export_assignments(ctx: click.Context, out: Path) -> None:
    """One row per account of the latest run: account_id,network,score,flagged."""
    import csv

    from app.db.graph import open_graph
    from app.detect.run import latest_assignments

    settings = settings_of(ctx)
    with open_graph(settings) as graph:
        rows = latest_assignments(graph)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["account_id", "network", "score", "flagged"])
        for row in rows:
            writer.writerow([row["account_id"], row["network"] or "", f"{row['score']:.4f}",
                             "true" if row["flagged"] else "false"])
    flagged = sum(1 for r in rows if r["flagged"])
    click.echo(f"wrote {len(rows):,} accounts ({flagged:,} flagged) to {out}")


@main.command()
@click.argument("data_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--reset", is_flag=True, help="Empty the graph first (it must be empty otherwise).")
@click.option("--baselines/--no-baselines", default=True, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--sweep", "sweep_count", type=click.IntRange(1, 1000), default=None,
              help="Instead of DATA_DIR: N randomized generated data sets, each in a "
                   "throw-away managed Neo4j.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Sweep seed (the data sets' seeds derive from it).")
@click.option("--accounts", default=20_000, show_default=True,
              type=click.IntRange(200, 5_000_000), help="Accounts per sweep data set.")
@click.option("--keep", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep each sweep data set in DIR/seed-S.")
@click.option("--evidence-cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Pickle each sweep set's Evidence and labels here; a seed "
                                 "found here skips generate, load and Neo4j.")
@with_detect_options
@click.pass_context
def evaluate(ctx: click.Context, data_dir: Path | None, reset: bool, baselines: bool,
             as_json: bool, sweep_count: int | None, seed: int, accounts: int,
             keep: Path | None, cache_dir: Path | None, algorithm: str,
             resolution: float) -> None:
    """Measure detection against ground truth: one data set (DATA_DIR with labels.csv, or
    labels.csv.gz and cohorts.csv.gz) or a sweep of generated ones (--sweep N)."""
    sweep_only = [f"--{name.replace('_', '-')}" for name in ("seed", "accounts")
                  if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    sweep_only += [flag for flag, value in (("--keep", keep), ("--evidence-cache", cache_dir))
                   if value is not None]
    if sweep_count is not None:
        if data_dir is not None or reset:
            raise click.UsageError("--sweep generates its own data sets: give no DATA_DIR "
                                   "nor --reset")
        _evaluate_sweep(ctx, sweep_count, seed, accounts, keep, cache_dir, baselines, as_json,
                        _detect_params(algorithm, resolution))
        return
    if data_dir is None:
        raise click.UsageError("give DATA_DIR, or --sweep N")
    if sweep_only:
        raise click.UsageError(f"{', '.join(sweep_only)} only go with --sweep")
    _evaluate_directory(ctx, data_dir, reset, baselines, as_json,
                        _detect_params(algorithm, resolution))


def _evaluate_directory(ctx: click.Context, data_dir: Path, reset: bool, baselines: bool,
                        as_json: bool, params: Any) -> None:
    from app.db.graph import open_graph
    from app.evaluation.dataset import evaluate_directory
    from app.evaluation.labels import load_labels
    from app.evaluation.metrics import format_report
    from app.ingest import default_rejects_path

    settings = settings_of(ctx)
    labels = load_labels(data_dir)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        result, reports = evaluate_directory(
            graph, data_dir, labels, params, default_rejects_path(settings.home), reset=reset,
            baselines=baselines, progress=None if not as_json else False,
            say=(lambda _m: None) if as_json else say)
    if as_json:
        click.echo(json.dumps({"run": result.as_dict(),
                               "reports": [r.as_dict() for r in reports]}, sort_keys=True))
        return
    click.echo(f"detection: {result.timings}")
    for report in reports:
        click.echo(format_report(report))


def _evaluate_sweep(ctx: click.Context, count: int, seed: int, accounts: int,
                    keep: Path | None, cache_dir: Path | None, baselines: bool,
                    as_json: bool, params: Any) -> None:
    from app.evaluation.sweep import format_sweep, sweep

    result = sweep(count, seed, accounts, settings=settings_of(ctx), params=params, keep=keep,
                   cache_dir=cache_dir, baselines=baselines, say=say)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True))
        return
    click.echo(format_sweep(result))


# -- users ------------------------------------------------------------------


@main.group()
def user() -> None:
    """Investigator logins."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]))
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str) -> None:
    """Create a login; the password is read from standard input."""
    from app.auth.users import create_user
    from app.db.graph import open_graph

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        created = create_user(graph, name, password, role)
    click.echo(f"created user {created.username} ({created.role})")


@user.command("token")
@click.argument("name")
@click.option("--label", required=True, help="what the token is for (a script's name)")
@click.pass_context
def user_token(ctx: click.Context, name: str, label: str) -> None:
    """Create an API token for a login and print it (shown once)."""
    from app.auth.tokens import create_token
    from app.db.graph import open_graph

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        token = create_token(graph, name, label)
    click.echo(token)


# -- serve / demo -----------------------------------------------------------


def _serve(settings: Settings, host: str, port: int, workers: int = 1,
           access_log: bool = True) -> None:
    import uvicorn

    from app.web.app import create_app
    from app.web.server import PROTOCOL

    say(f"Hydrascope on http://{host}:{port}/ (Ctrl-C stops)")
    if workers > 1:
        # Each worker process builds its app (and driver) from the same environment.
        uvicorn.run("app.web.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level="info", access_log=access_log, http=PROTOCOL)
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                access_log=access_log, http=PROTOCOL)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="app processes (one driver each); more use more cores")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="a line per request on standard error")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve the investigator web app."""
    settings = settings_of(ctx)
    prepare_graph(settings)
    _serve(settings, host, port, workers, access_log)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Start the managed Neo4j (unless NEO4J_URI is set), then serve the app."""
    settings = settings_of(ctx)
    if settings.managed:
        ctx.invoke(db_start)
    prepare_graph(settings)
    seed_demo(settings)
    _serve(settings, host, port)


def seed_demo(settings: Settings) -> None:
    """Generate, load and detect a demo data set when the graph holds no accounts."""
    from app.auth.users import ensure_demo_admin
    from app.db.graph import open_graph
    from app.detect.run import run_detection
    from app.ingest import default_rejects_path, load_directory
    from app.synth.generator import generate as run_generator

    with open_graph(settings) as graph:
        login = ensure_demo_admin(graph)
        if login:
            say(f"created a demo login: user {login[0]}, password {login[1]} "
                "(shown once; add others with 'hydrascope user add')")
        if graph.read("db/any_account"):
            say("the graph already holds data: serving it as it is")
            return
        data = settings.home / "demo-data"
        say(f"empty graph: generating a demo data set in {data}")
        counts = run_generator(data, preset="small", seed=7)
        say(f"generated {counts['accounts']:,} accounts and {counts['sessions']:,} sessions; "
            "loading")
        load_directory(graph, data, default_rejects_path(settings.home))
        result = run_detection(graph, say=say)
        say(f"detection: {result.flagged_networks} suspected networks, "
            f"{result.flagged_accounts:,} accounts flagged")


# -- query --------------------------------------------------------------------


@main.group()
def query() -> None:
    """Saved Cypher queries, and ad-hoc ones, under the read-only guard."""


@query.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the queries as JSON.")
@click.pass_context
def query_list(ctx: click.Context, as_json: bool) -> None:
    """The built-in library and the shared own queries."""
    from app.db.graph import open_graph
    from app.queries.store import list_shared

    with open_graph(settings_of(ctx)) as graph:
        queries = list_shared(graph)
    if as_json:
        click.echo(json.dumps([{"name": q.name, "title": q.title, "category": q.category,
                                "source": q.source,
                                "parameters": [p.name for p in q.params]} for q in queries]))
        return
    for q in queries:
        params = " ".join(f"{p.name}={p.default if p.default is not None else '?'}"
                          for p in q.params)
        click.echo(f"{q.name:<36} {q.category:<15} {q.title}" + (f"  [{params}]" if params
                                                                  else ""))


@query.command("run")
@click.argument("name", required=False)
@click.option("--cypher", "cypher", help="Run this ad-hoc Cypher instead of a saved query.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter (repeat for more).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_context
def query_run(ctx: click.Context, name: str | None, cypher: str | None,
              params: tuple[str, ...], as_json: bool) -> None:
    """Run saved query NAME, or --cypher TEXT, read-only with the app's timeout and caps."""
    from app.db.graph import open_graph
    from app.queries.params import parse_pairs
    from app.queries.results import cell
    from app.queries.runner import ADHOC, params_for, run_query
    from app.queries.store import get_query

    if bool(name) == bool(cypher):
        raise click.UsageError("give either a query NAME or --cypher TEXT")
    raw = parse_pairs(params)
    with open_graph(settings_of(ctx)) as graph:
        saved = get_query(graph, name, None) if name else None
        values = params_for(saved, raw)
        result = run_query(graph, saved.body if saved else str(cypher), values,
                           actor="cli", source="cli", target=saved.name if saved else ADHOC)
    if as_json:
        click.echo(json.dumps(result.as_dict(), default=str))
        return
    click.echo("\t".join(result.columns))
    for record in result.records:
        click.echo("\t".join(cell(v).text for v in record))
    note = result.stop_message()
    say(f"{len(result.records):,} rows in {result.seconds:.2f}s" + (f"; {note}" if note else ""))
# -- case -----------------------------------------------------------------------


def _cli_actor() -> str:
    """Who runs the command, for the audit trail: the operating-system login."""
    import os
    import pwd

    return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"


@main.group()
def case() -> None:
    """Cases: a suspected network taken from detection to a decision."""


@case.command("create")
@click.option("--network", "network_id", help="A network of the latest detection run.")
@click.option("--accounts", "accounts_file", type=click.File("r"),
              help="Open the case on these accounts instead (one id a line; - for stdin).")
@click.option("--title", required=True)
@click.option("--run", "run_id", help="A run other than the latest.")
@click.pass_context
def case_create(ctx: click.Context, network_id: str | None, accounts_file: Any, title: str,
                run_id: str | None) -> None:
    """Open a case on a suspected network (frozen as that run saw it); prints the case id."""
    from app import cases
    from app.db.graph import open_graph

    if bool(network_id) == bool(accounts_file):
        raise click.UsageError("give exactly one of --network or --accounts")
    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        if network_id:
            try:
                case_id = cases.create_from_network(graph, network_id, title, _cli_actor(),
                                                    run_id=run_id, source="cli")
            except cases.CaseExists as exists:
                say(f"hydrascope: {exists}; not opening another")
                case_id = exists.case_id
        else:
            ids = [line.strip() for line in accounts_file if line.strip()]
            case_id = cases.create_from_accounts(graph, ids, title, _cli_actor(), source="cli")
    click.echo(case_id)


@case.command("export")
@click.argument("case_id")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="pdf", show_default=True,
              type=click.Choice(["pdf", "json", "members", "entities", "enforcement", "stix"]),
              help="pdf dossier, canonical json, csv of members / entities / enforcement "
                   "list, or a STIX 2.1 bundle of indicators.")
@click.pass_context
def case_export(ctx: click.Context, case_id: str, out: Path, fmt: str) -> None:
    """Write a case as a PDF dossier (or another format) to OUT."""
    from app.cases.exports import export_case
    from app.db.graph import open_graph

    settings = settings_of(ctx)
    with open_graph(settings) as graph:
        export = export_case(graph, case_id, fmt, _cli_actor(), source="cli")
    out.write_bytes(export.data)
    say(f"wrote {out} ({len(export.data):,} bytes); content SHA-256 {export.digest}")


@case.command("verify")
@click.argument("case_id")
@click.argument("digest")
@click.pass_context
def case_verify(ctx: click.Context, case_id: str, digest: str) -> None:
    """Check a dossier's SHA-256 (or its first characters) against the case as it is now."""
    from app import cases
    from app.db.graph import open_graph

    wanted = digest.strip().rstrip("…").lower()
    with open_graph(settings_of(ctx)) as graph:
        actual = cases.content_digest(cases.case_content(graph, case_id))
    if len(wanted) < 12 or not actual.startswith(wanted):
        raise HydrascopeError(f"{case_id} changed: its content SHA-256 is now {actual}")
    click.echo(f"{case_id}: content matches ({actual})")


@case.command("list")
@click.option("--status", type=click.Choice(["open", "investigating", "confirmed",
                                             "false_positive", "actioned", "closed"]))
@click.option("--assignee")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def case_list(ctx: click.Context, status: str | None, assignee: str | None,
              as_json: bool) -> None:
    """The cases, newest first."""
    from app import cases
    from app.db.graph import open_graph

    with open_graph(settings_of(ctx)) as graph:
        page = cases.list_cases(graph, status=status, assignee=assignee, per_page=5000)
    if as_json:
        click.echo(json.dumps({"cases": page.rows, "total": page.total}, default=str))
        return
    for row in page.rows:
        click.echo(f"{row['case_id']}\t{row['status']}\t{row['priority']}\t"
                   f"{row['assignee'] or '-'}\t{row['members']}\t{row['title']}")


@case.command("update")
@click.argument("case_id")
@click.option("--status", type=click.Choice(["open", "investigating", "confirmed",
                                             "false_positive", "actioned", "closed"]),
              help="confirmed (or actioned) publishes the case to the default collection; "
                   "false_positive withdraws what it published.")
@click.option("--priority", type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--assignee", help="A login name; '' clears it.")
@click.option("--title")
@click.pass_context
def case_update(ctx: click.Context, case_id: str, status: str | None, priority: str | None,
                assignee: str | None, title: str | None) -> None:
    """Change a case's status, priority, assignee or title."""
    from app.db.graph import open_graph
    from app.sharing.decisions import decide_case

    if status is None and priority is None and assignee is None and title is None:
        raise click.UsageError("give at least one of --status, --priority, --assignee, --title")
    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        decision = decide_case(graph, case_id, _cli_actor(), title=title, status=status,
                               priority=priority, assignee=assignee, source="cli")
    if not decision.changes:
        say(f"{case_id}: nothing changed")
    for key, (before, after) in decision.changes.items():
        say(f"{case_id}: {key} {before or '-'} -> {after or '-'}")
    if decision.published:
        p = decision.published
        say(f"published to {p.collection}: {p.indicators:,} indicators, "
            f"{p.new_versions:,} new or changed objects")
    if decision.revoked:
        say(f"withdrew {decision.revoked:,} shared objects")
    if decision.problem:
        raise HydrascopeError(f"{case_id} changed, but {decision.problem}")


@main.group()
def intel() -> None:
    """Sharing with other providers: collections, publishing, partners (TAXII 2.1)."""


@intel.command("publish")
@click.argument("case_id")
@click.option("--collection", default="confirmed-networks", show_default=True)
@click.pass_context
def intel_publish(ctx: click.Context, case_id: str, collection: str) -> None:
    """Publish (or update) a case's indicators in a collection, whatever its status."""
    from app.db.graph import open_graph
    from app.sharing.publish import publish_case

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        published = publish_case(graph, case_id, _cli_actor(), collection=collection,
                                 source="cli")
    click.echo(f"{case_id}\t{published.collection}\t{published.indicators} indicators\t"
               f"{published.new_versions} new or changed objects")


@intel.group("collection")
def intel_collection() -> None:
    """Collections: what each shares, and the key its partners agreed on."""


@intel_collection.command("add")
@click.argument("name")
@click.option("--share", "kinds", multiple=True,
              type=click.Choice(["ip", "prefix", "asn", "proxy_provider", "template",
                                 "user_agent", "email_domain", "payment", "device"]),
              help="A kind this collection shares (repeat; default every kind).")
@click.option("--key-file", type=click.File("rb"),
              help="The key agreed with this collection's partners (at least 16 bytes).")
@click.option("--title", default="")
@click.pass_context
def intel_collection_add(ctx: click.Context, name: str, kinds: tuple[str, ...],
                         key_file: Any, title: str) -> None:
    """Make a collection with its own policy and key."""
    from app.db.graph import open_graph
    from app.sharing.collections import ensure_collection, store_key

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        collection = ensure_collection(graph, name, kinds=list(kinds), title=title)
        if key_file is not None:
            store_key(graph, collection["name"], key_file.read().strip())
    click.echo(f"{collection['name']}\t{collection['collection_id']}\t"
               f"{','.join(collection['kinds'])}")


@intel_collection.command("list")
@click.pass_context
def intel_collection_list(ctx: click.Context) -> None:
    """The collections: name, TAXII id, kinds shared, objects held."""
    from app.db.graph import open_graph
    from app.sharing.collections import list_collections, sharing_key

    with open_graph(settings_of(ctx)) as graph:
        for c in list_collections(graph):
            keyed = "key" if sharing_key(graph, c["name"]) else "no key"
            click.echo(f"{c['name']}\t{c['collection_id']}\t{','.join(c['kinds'])}\t"
                       f"{c['objects']} objects\t{keyed}")


@intel.group("partner")
def intel_partner() -> None:
    """Partners: other providers reading collections over TAXII."""


@intel_partner.command("add")
@click.argument("name")
@click.option("--collection", "collections", multiple=True, required=True,
              help="A collection the partner may read (repeat for more).")
@click.option("--expires-days", type=click.IntRange(1, 3650))
@click.pass_context
def intel_partner_add(ctx: click.Context, name: str, collections: tuple[str, ...],
                      expires_days: int | None) -> None:
    """Give a partner a token (printed once) to read collections over TAXII."""
    from app.db.graph import open_graph
    from app.sharing.partners import add_partner

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        token = add_partner(graph, name, list(collections), _cli_actor(),
                            expires_days=expires_days, source="cli")
    say("the partner's token (shown only now; send it to them over a safe channel):")
    click.echo(token)


@intel_partner.command("revoke")
@click.argument("name")
@click.pass_context
def intel_partner_revoke(ctx: click.Context, name: str) -> None:
    """Revoke a partner's token: it reads nothing from now on."""
    from app.db.graph import open_graph
    from app.sharing.partners import revoke_partner

    with open_graph(settings_of(ctx)) as graph:
        revoke_partner(graph, name, _cli_actor(), source="cli")
    say(f"partner {name} revoked")


@intel_partner.command("list")
@click.pass_context
def intel_partner_list(ctx: click.Context) -> None:
    """The partners: name, collections, state, expiry, last read."""
    from app.db.graph import open_graph
    from app.sharing.partners import list_partners

    with open_graph(settings_of(ctx)) as graph:
        for p in list_partners(graph):
            state = "revoked" if p["revoked"] else "expired" if p["expired"] else "active"
            click.echo(f"{p['name']}\t{','.join(p['collections'])}\t{state}\t"
                       f"{p['expires_at'] or '-'}\t{p['last_used_at'] or '-'}")


def _sharing_key(graph: Any, key_file: Any, collection: str = "confirmed-networks") -> Any:
    from app.sharing.collections import sharing_key

    return key_file.read().strip() if key_file is not None else sharing_key(graph, collection)


def _say_intake(intake: Any, pulled: bool = False) -> None:
    matched = ", ".join(f"{k} {n}" for k, n in sorted(intake.matched.items())) or "none"
    read = ""
    if pulled:
        read = (f"\tread {intake.objects_read} objects added after {intake.added_after}"
                if intake.added_after else f"\tread {intake.objects_read} objects (all)")
    click.echo(f"{intake.source}\t{intake.indicators} indicators\t{intake.changed} new or "
               f"changed\t{intake.revoked} revoked\tmatched: {matched}\t"
               f"{intake.accounts} of our accounts\t{intake.alert_id or 'no alert'}{read}")


KEY_FILE_HELP = ("The key agreed with this partner for its hashed identifiers (default: "
                 "HYDRASCOPE_SHARING_KEY).")


@intel.command("import")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="", help="Who sent it, when the bundle does not say.")
@click.option("--key-file", type=click.File("rb"), help=KEY_FILE_HELP)
@click.pass_context
def intel_import(ctx: click.Context, bundle: Path, source: str, key_file: Any) -> None:
    """Import a STIX 2.1 bundle a partner sent (checked whole; a bad one imports nothing)
    and match its indicators against the graph."""
    from app.db.graph import open_graph
    from app.sharing.intake import BundleError, import_bundle

    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        try:
            intake = import_bundle(graph, bundle.read_bytes(), bundle.name,
                                   key=_sharing_key(graph, key_file), actor=_cli_actor(),
                                   source=source, origin="cli")
        except BundleError as exc:
            raise HydrascopeError(str(exc)) from None
    _say_intake(intake)


@intel.command("pull")
@click.argument("url")
@click.option("--collection", "collection_id", required=True, help="The collection's id.")
@click.option("--token", help="A bearer token the partner gave (its TAXII server's kind).")
@click.option("--user", help="A user name for HTTP basic authentication.")
@click.option("--password-file", type=click.File("r"), help="Its password, in a file.")
@click.option("--key-file", type=click.File("rb"), help=KEY_FILE_HELP)
@click.option("--full", is_flag=True,
              help="Read the whole collection, not only what was added since the last pull.")
@click.pass_context
def intel_pull(ctx: click.Context, url: str, collection_id: str, token: str | None,
               user: str | None, password_file: Any, key_file: Any, full: bool) -> None:
    """Pull a partner's TAXII 2.1 collection and match it against the graph: what
    was added since the last pull of it (all of it the first time, or with --full)."""
    from app.db.graph import open_graph
    from app.sharing.intake import BundleError, pull

    if token and user:
        raise click.UsageError("give --token or --user, not both")
    if bool(user) != bool(password_file):
        raise click.UsageError("--user needs --password-file (and the other way round)")
    settings = settings_of(ctx)
    prepare_graph(settings)
    with open_graph(settings) as graph:
        try:
            intake = pull(graph, url, collection_id, key=_sharing_key(graph, key_file),
                          actor=_cli_actor(), token=token, user=user,
                          password=password_file.read().strip() if password_file else None,
                          origin="cli", full=full)
        except BundleError as exc:
            raise HydrascopeError(str(exc)) from None
    _say_intake(intake, pulled=True)


@intel.command("list")
@click.option("--search", "q", default="", help="Source, value, network or name contains.")
@click.option("--matched", is_flag=True, help="Only those that matched our graph.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def intel_list(ctx: click.Context, q: str, matched: bool, limit: int, as_json: bool) -> None:
    """Partners' indicators, newest first."""
    from app.db.graph import open_graph
    from app.sharing.indicators import list_indicators

    with open_graph(settings_of(ctx)) as graph:
        page = list_indicators(graph, q=q, matched_only=matched, per_page=limit)
    if as_json:
        click.echo(json.dumps({"indicators": page.rows, "total": page.total}, default=str))
        return
    for r in page.rows:
        value = "(keyed hash)" if r["hashed"] else r["value"] or r["pattern"]
        click.echo(f"{r['source']}\t{r['kind']}\t{value}\t{r['confidence']}\t"
                   f"{r['matches']} matches\t{'revoked' if r['revoked'] else 'live'}\t"
                   f"{r['network'] or '-'}")
