"""docker-compose.yml: valid for the real `docker compose config`, and the product it describes.

The compose CLI is built from its Go module (scripts/go-tools); `config` needs no Docker engine.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import REPO

pytestmark = pytest.mark.timeout(2100)

APP_SERVICES = {"init", "web", "worker", "beat", "relay", "bridge", "metrics"}
BACKING_SERVICES = {"kafka", "redis", "postgres"}
GIB = 1024**3


def compose(docker_compose: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what compose needs: a developer's exported settings must not change the result.
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "TMPDIR", "LANG"}}
    clean.update(env)
    return subprocess.run([docker_compose, "-f", str(REPO / "docker-compose.yml"), *args], cwd=REPO,
                          env=clean, capture_output=True, text=True, check=False, timeout=60)


def config(docker_compose: str, *profiles: str) -> dict[str, Any]:
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    proc = compose(docker_compose, *args, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("profiles", [(), ("metrics",)])
def test_docker_compose_config_is_valid(docker_compose: str, profiles: tuple[str, ...]) -> None:
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    proc = compose(docker_compose, *args, "config", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr


def test_it_runs_the_whole_product_after_init(docker_compose: str) -> None:
    services = config(docker_compose, "metrics")["services"]
    assert set(services) == APP_SERVICES | BACKING_SERVICES
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, "one image, every role"
    for name in APP_SERVICES:
        service = services[name]
        assert service["command"] == [name], name
        assert service["build"]["dockerfile"] == "Dockerfile"
        if name != "init":
            assert service["depends_on"] == {"init": {"condition": "service_completed_successfully",
                                                      "required": True}}, name
    assert {n: d["condition"] for n, d in services["init"]["depends_on"].items()} == {
        name: "service_healthy" for name in BACKING_SERVICES}
    assert services["init"]["restart"] == "no"
    assert services["relay"]["deploy"]["replicas"] == 2
    assert services["beat"]["deploy"].get("replicas", 1) == 1


def test_metrics_consumer_waits_for_issue_13_behind_a_profile(docker_compose: str) -> None:
    default = config(docker_compose)["services"]
    assert "metrics" not in default
    assert set(default) == APP_SERVICES - {"metrics"} | BACKING_SERVICES


def test_backing_services_start_alone(docker_compose: str) -> None:
    services = config(docker_compose)["services"]
    for name in BACKING_SERVICES:
        service = services[name]
        assert not set(service.get("depends_on", {})) & APP_SERVICES, name
        assert "healthcheck" in service, name
        for port in service["ports"]:
            assert port["host_ip"] == "127.0.0.1", f"{name} is published on loopback only"
    assert services["web"]["ports"][0]["host_ip"] == "127.0.0.1"
    # The documented command for them alone must name real services.
    assert "docker compose up -d --wait kafka redis postgres" in (REPO / "docker-compose.yml").read_text()
    assert "docker compose up -d --wait kafka redis postgres" in (REPO / "docs" / "services.md").read_text()


def test_app_containers_are_locked_down(docker_compose: str) -> None:
    services = config(docker_compose, "metrics")["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "user" not in service, f"{name}: the image's non-root user"
        assert 0 < int(service["deploy"]["resources"]["limits"]["memory"]) < GIB, name


def test_secrets_are_files_and_compose_secrets_creates_them(docker_compose: str, tmp_path: Path) -> None:
    data = config(docker_compose, "metrics")
    declared = data["secrets"]
    secret_settings = {"SECRET_KEY", "TWILIO_AUTH_TOKEN", "GMAIL_PUSH_SHARED_SECRET", "OPENAI_API_KEY",
                       "EMAIL_HOST_PASSWORD"}
    for name in APP_SERVICES:
        env = data["services"][name]["environment"]
        mounted = {s["target"] for s in data["services"][name]["secrets"]}
        assert not secret_settings & set(env), f"{name}: a secret as a value"
        for setting in secret_settings:
            assert env[f"{setting}_FILE"] in mounted, (name, setting)
        assert env["FTE_DEV_MODE"] == "0"
    secrets_dir = tmp_path / "secrets"
    for _ in range(2):  # a second run leaves existing files alone
        proc = subprocess.run([str(REPO / "scripts" / "compose-secrets")], capture_output=True, text=True,
                              check=False, timeout=30, env={**os.environ, "FTE_SECRETS_DIR": str(secrets_dir)})
        assert proc.returncode == 0, proc.stderr
    assert {p.name for p in secrets_dir.iterdir()} == {Path(s["file"]).name for s in declared.values()}
    assert len((secrets_dir / "secret-key").read_text()) >= 50
    assert "exists, left alone" in proc.stdout
