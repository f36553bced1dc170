"""`hydrascope load` through its entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from app.config import PROJECT_ROOT
from app.db.graph import Graph
from tests.conftest import run_cli

SAMPLES = PROJECT_ROOT.parent / "shared" / "contract" / "samples"


def test_load_json_report(graph: Graph, server_env: dict[str, str], tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    result = run_cli("load", str(SAMPLES), "--rejects", str(rejects), "--json", env=server_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {name: (t["read"], t["loaded"], t["rejected"])
            for name, t in report["tables"].items()} == {
        "accounts": (4, 3, 1), "ip_intel": (3, 3, 0), "sessions": (5, 3, 2)}
    assert rejects.read_text().count("\n") == 4


def test_load_human_report(graph: Graph, server_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("load", str(SAMPLES), "--rejects", str(tmp_path / "r.csv"), env=server_env)
    assert result.returncode == 0, result.stderr
    assert "rejected" in result.stdout and str(tmp_path / "r.csv") in result.stdout


def test_load_errors_are_one_line(graph: Graph, server_env: dict[str, str],
                                  tmp_path: Path) -> None:
    missing = run_cli("load", str(tmp_path / "nowhere"), env=server_env)
    assert missing.returncode != 0
    assert missing.stderr.strip() == f"hydrascope: {tmp_path / 'nowhere'} is not a directory"

    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(SAMPLES / "accounts.csv", partial)
    result = run_cli("load", str(partial), env=server_env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "required table sessions is missing" in result.stderr

    garbled = tmp_path / "garbled"
    garbled.mkdir()
    shutil.copy(SAMPLES / "accounts.csv", garbled)
    (garbled / "sessions.csv.gz").write_bytes(b"this is not gzip")
    result = run_cli("load", str(garbled), env=server_env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "sessions.csv.gz: cannot be read" in result.stderr
    count = graph.run_text("MATCH (a:Account) RETURN count(a) AS c")[0]["c"]
    assert count == 0, "a failed load wrote accounts"
