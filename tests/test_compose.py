"""docker-compose.yml must stay valid for users with Docker (checked without an engine)."""

import os
import shutil
import subprocess

import pytest
import yaml

from app.config import PROJECT_ROOT


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is missing: run `make install` (Debian package docker-compose)"
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NEO4J_PASSWORD", "HYDRASCOPE_SECRET_KEY")}
    return subprocess.run([exe, "config"], cwd=PROJECT_ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_compose_file_parses_and_wires_the_app_to_a_healthy_neo4j() -> None:
    result = compose_config({"NEO4J_PASSWORD": "s3cret-pass", "HYDRASCOPE_SECRET_KEY": "k" * 40})
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    neo4j, app = config["services"]["neo4j"], config["services"]["app"]
    assert neo4j["image"].startswith("neo4j:5.26")
    assert "healthcheck" in neo4j
    assert any(v.startswith("neo4j-data:") for v in neo4j["volumes"])
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert app["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert app["environment"]["NEO4J_PASSWORD"] == "s3cret-pass"
    assert (PROJECT_ROOT / "Dockerfile").is_file()
    watcher = config["services"]["hydrascope-watch"]
    assert watcher["command"][:2] == ["hydrascope", "watch"]
    assert watcher["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert watcher["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert any((v if isinstance(v, str) else v.get("source", "")).startswith("inbox")
               for v in watcher["volumes"])


@pytest.mark.parametrize("missing", ["NEO4J_PASSWORD", "HYDRASCOPE_SECRET_KEY"])
def test_compose_refuses_to_default_secrets(missing: str) -> None:
    env = {"NEO4J_PASSWORD": "s3cret-pass", "HYDRASCOPE_SECRET_KEY": "k" * 40}
    del env[missing]
    result = compose_config(env)
    assert result.returncode != 0
    assert missing in result.stderr
