"""docs/deploy.md stays in step with what it describes, and links nowhere outside the repository."""
from __future__ import annotations

import re

import yaml

from tests.deploy.conftest import REPO

DOC = (REPO / "docs" / "deploy.md").read_text()


def test_it_names_every_role_and_the_metrics_consumers_issue() -> None:
    for role in ("web", "worker", "beat", "relay", "bridge", "metrics", "init", "manage"):
        assert f"`{role}" in DOC, role
    assert "run_metrics_consumer" in DOC and "issue 13" in DOC


def test_it_documents_every_secret_key_and_entrypoint_variable() -> None:
    template = yaml.safe_load((REPO / "k8s" / "secret.template.yaml").read_text())
    for key in template["stringData"]:
        assert f"={key}=" in DOC or f"`{key}`" in DOC, key
    header = (REPO / "scripts" / "docker-entrypoint").read_text().split("set -euo pipefail")[0]
    for variable in re.findall(r"^#   ([A-Z][A-Z0-9_]+)", header, re.MULTILINE):
        assert variable in DOC, variable


def test_it_has_the_runbook_sections() -> None:
    for heading in ("First deployment", "Gmail (real mailbox)", "Twilio (WhatsApp)", "Secrets",
                    "Upgrades (with migrations)", "Scaling", "Replaying the DLQ", "Restoring PostgreSQL",
                    "Rotating secrets", "When `/health` fails", "What saturates first",
                    "How the autoscalers react"):
        assert f"\n### {heading}\n" in DOC or f"\n## {heading}\n" in DOC, heading


def test_it_links_nowhere_outside_the_repository() -> None:
    for path in ("docs/deploy.md", "k8s/README.md", "docs/services.md"):
        text = (REPO / path).read_text()
        for url in re.findall(r"https?://([^/\s`)\"']+)", text):
            host = url.split(":")[0]
            assert host in {"127.0.0.1", "localhost", "…"} or host.endswith(".example"), f"{path}: {url}"
