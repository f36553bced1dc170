"""The watched inbox against the real Neo4j: each batch loaded once, in arrival
order; half-written folders left alone; bad folders refused with a reason;
a crash or a stop never loads a batch twice or skips one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.db.graph import Graph
from app.watch import inbox as inbox_module
from app.watch import watch
from tests.conftest import ENTRY_POINT, run_cli
from tests.graphstate import counts

SAMPLES = PROJECT_ROOT.parent / "shared" / "contract" / "samples"


def drop(inbox: Path, name: str, tables: tuple[str, ...] = ("accounts", "sessions", "ip_intel"),
         age: float = 3600, source: Path = SAMPLES) -> Path:
    """A batch folder of the contract samples, its files `age` seconds old."""
    folder = inbox / name
    folder.mkdir(parents=True)
    for table in tables:
        shutil.copy(source / f"{table}.csv", folder / f"{table}.csv")
    age_folder(folder, age)
    return folder


def age_folder(folder: Path, age: float) -> None:
    stamp = time.time() - age
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (stamp, stamp))


def loads(graph: Graph) -> int:
    return int(graph.run_text("MATCH (l:Load) RETURN count(l) AS n")[0]["n"])


def test_a_batch_is_loaded_once_and_moved_to_done_with_its_report(graph: Graph,
                                                                   tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "batch-1")
    [outcome] = watch(graph, inbox, settle=5, once=True)
    assert outcome.status == "done" and outcome.name == "batch-1"
    done = inbox / "done" / "batch-1"
    assert Path(outcome.moved_to) == done and not (inbox / "batch-1").exists()
    found = counts(graph)
    assert (found["Account"], found["Session"]) == (3, 3)
    report = json.loads((done / "REPORT.json").read_text())
    assert report["tables"]["sessions"]["rejected"] == 2
    # Bad rows are in the batch's rejects file, with file, line and reason.
    rejects = (done / "rejects.csv").read_text()
    assert "sessions.csv,5,account_id" in rejects
    state = graph.run_text("MATCH (b:InboxBatch)-[:LOADED_AS]->(l:Load) "
                           "RETURN b.status AS status, b.name AS name, l.load_id AS load")
    assert state == [{"status": "done", "name": "batch-1", "load": outcome.load_id}]
    assert watch(graph, inbox, settle=5, once=True) == []
    assert loads(graph) == 1


def test_a_folder_still_being_written_is_left_until_it_settles_or_says_ready(
        graph: Graph, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fresh = drop(inbox, "arriving", age=0)
    drop(inbox, ".copying")  # hidden: written under a dot name, renamed when complete
    assert watch(graph, inbox, settle=60, once=True) == []
    assert fresh.exists() and counts(graph).get("Account", 0) == 0
    (fresh / "READY").touch()
    [outcome] = watch(graph, inbox, settle=60, once=True)
    assert outcome.name == "arriving" and outcome.status == "done"
    assert (inbox / ".copying").exists()


def test_batches_are_taken_in_arrival_order_and_a_bad_one_is_refused_with_its_reason(
        graph: Graph, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "z-first", age=300)
    bad = drop(inbox, "a-broken", age=200)
    (bad / "accounts.csv").write_text("acct,when\nx,y\n")
    age_folder(bad, 200)
    empty = inbox / "m-empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing to load")
    age_folder(empty, 100)
    outcomes = watch(graph, inbox, settle=5, once=True)
    assert [(o.name, o.status) for o in outcomes] == [
        ("z-first", "done"), ("a-broken", "failed"), ("m-empty", "failed")]
    why = (inbox / "failed" / "a-broken" / "REJECTED.txt").read_text()
    assert "accounts.csv" in why and "account_id" in why
    assert "no table of the ingest contract" in (inbox / "failed" / "m-empty"
                                                 / "REJECTED.txt").read_text()
    assert counts(graph)["Account"] == 3  # the refused folder changed nothing


def test_sessions_of_accounts_in_the_graph_load_without_their_account_rows(
        graph: Graph, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "history", age=300)
    watch(graph, inbox, settle=5, once=True)
    later = inbox / "later"
    later.mkdir()
    rows = (SAMPLES / "sessions.csv").read_text().splitlines()
    header, first = rows[0], rows[1]
    (later / "sessions.csv").write_text(f"{header}\n{first.replace('s-1,', 's-new,', 1)}\n")
    (later / "READY").touch()
    [outcome] = watch(graph, inbox, settle=5, once=True)
    assert outcome.status == "done"
    assert outcome.report["tables"]["sessions"] == {**outcome.report["tables"]["sessions"],
                                                    "loaded": 1, "new": 1, "rejected": 0}
    assert counts(graph)["Session"] == 4


def test_a_batch_loaded_before_a_crash_is_moved_on_not_loaded_again(
        graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    drop(inbox, "batch-1")
    real_move = inbox_module.move

    def crash(folder: Path, to: str) -> Path:
        raise KeyboardInterrupt  # the process dies after the load, before the move

    monkeypatch.setattr(inbox_module, "move", crash)
    with pytest.raises(KeyboardInterrupt):
        watch(graph, inbox, settle=5, once=True)
    assert (inbox / "batch-1").exists() and loads(graph) == 1
    monkeypatch.setattr(inbox_module, "move", real_move)
    [outcome] = watch(graph, inbox, settle=5, once=True)
    assert outcome.resumed and outcome.status == "done"
    assert loads(graph) == 1  # not loaded a second time
    assert (inbox / "done" / "batch-1" / "REPORT.json").exists()


@pytest.fixture
def small_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated export big enough that loading it takes some seconds."""
    out = tmp_path_factory.mktemp("small-export")
    result = run_cli("generate", str(out), "--preset", "small", "--seed", "5", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    (out / "labels.csv").unlink()
    return out


def sessions_in(graph: Graph) -> int:
    return int(graph.run_text("MATCH (s:Session) RETURN count(s) AS n")[0]["n"])


def rows_in(path: Path) -> int:
    with path.open() as fh:
        return sum(1 for _ in fh) - 1


def start_watch(inbox: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(ENTRY_POINT), "watch", str(inbox), "--settle", "1",
                             "--interval", "0.2", "--json", *extra],
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_watcher_killed_mid_load_finishes_the_batch_on_restart_without_doubling_it(
        graph: Graph, tmp_path: Path, small_export: Path, server_env: dict[str, str]) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(small_export, inbox / "big")
    age_folder(inbox / "big", 60)
    total = rows_in(small_export / "sessions.csv")
    child = start_watch(inbox, server_env)
    try:
        wait_for(lambda: sessions_in(graph) > 0)
        child.kill()  # no chance to finish the batch or to record anything
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    part = sessions_in(graph)
    assert 0 < part < total, "the kill came after the load had finished"
    assert (inbox / "big").exists()
    result = run_cli("watch", str(inbox), "--once", "--settle", "1", "--json", env=server_env)
    assert result.returncode == 0, result.stderr
    [outcome] = [json.loads(line) for line in result.stdout.splitlines()]
    assert outcome["status"] == "done"
    assert sessions_in(graph) == total
    accounts = graph.run_text("MATCH (a:Account) RETURN sum(a.sessions) AS n")[0]["n"]
    assert accounts == total  # the roll-ups count every session once
    state = graph.run_text("MATCH (b:InboxBatch) RETURN b.attempts AS attempts, "
                           "b.status AS status")
    assert state == [{"attempts": 2, "status": "done"}]


def test_sigterm_finishes_the_current_batch_and_leaves_the_next_in_the_inbox(
        graph: Graph, tmp_path: Path, small_export: Path, server_env: dict[str, str]) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(small_export, inbox / "first")
    age_folder(inbox / "first", 120)
    drop(inbox, "second", age=60)
    total = rows_in(small_export / "sessions.csv")
    child = start_watch(inbox, server_env)
    wait_for(lambda: sessions_in(graph) > 0)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert [json.loads(line)["batch"] for line in out.splitlines()] == ["first"]
    assert sessions_in(graph) == total  # the batch under way was finished whole
    assert (inbox / "done" / "first").exists() and (inbox / "second").exists()
