"""`make run`'s environment (scripts/run-env.sh): what the operator exports is what runs.

The functions run in a real bash, in a scratch copy of the layout scripts/run works in
(``.env`` and ``var/dev-secrets.env`` relative to the current directory).
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT

RUN_ENV = ROOT / "scripts" / "run-env.sh"
SHOWN = ("TWILIO_AUTH_TOKEN", "SECRET_KEY", "GMAIL_PUSH_SHARED_SECRET", "FTE_DEV_MODE", "PUBLIC_BASE_URL", "FROM_DOTENV")


def run_prepared(workdir: Path, **exported: str) -> dict[str, str]:
    """Source scripts/run-env.sh, call ``run_env_prepare`` as scripts/run does, return the result."""
    show = "; ".join(f'printf "%s=%s\\n" {name} "${{{name}-<unset>}}"' for name in SHOWN)
    script = f'set -euo pipefail; source "{RUN_ENV}"; run_env_prepare "{sys.executable}" 8123; {show}'
    base = {k: v for k, v in os.environ.items() if k not in SHOWN}
    out = subprocess.run(["bash", "-c", script], cwd=workdir, env={**base, **exported}, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_exported_secrets_win_over_the_generated_ones(tmp_path: Path) -> None:
    first = run_prepared(tmp_path)  # generates var/dev-secrets.env
    assert len(first["TWILIO_AUTH_TOKEN"]) == 32

    result = run_prepared(tmp_path, TWILIO_AUTH_TOKEN="operator-token", SECRET_KEY="operator-key")

    assert result["TWILIO_AUTH_TOKEN"] == "operator-token"
    assert result["SECRET_KEY"] == "operator-key"
    # What was not exported still comes from the generated file, the same value every run.
    assert result["GMAIL_PUSH_SHARED_SECRET"] == first["GMAIL_PUSH_SHARED_SECRET"]


def test_an_exported_empty_value_is_kept(tmp_path: Path) -> None:
    assert run_prepared(tmp_path, TWILIO_AUTH_TOKEN="")["TWILIO_AUTH_TOKEN"] == ""


def test_dotenv_fills_before_the_generated_file_and_after_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\n\nexport TWILIO_AUTH_TOKEN='from-dotenv'\nFROM_DOTENV = \"a b=c\"\nSECRET_KEY=from-dotenv\n"
    )
    result = run_prepared(tmp_path, SECRET_KEY="exported")
    assert result["TWILIO_AUTH_TOKEN"] == "from-dotenv"
    assert result["FROM_DOTENV"] == "a b=c"
    assert result["SECRET_KEY"] == "exported"
    assert result["FTE_DEV_MODE"] == "1"
    assert result["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"


def test_the_generated_file_is_made_once_and_private(tmp_path: Path) -> None:
    run_prepared(tmp_path)
    secrets = tmp_path / "var" / "dev-secrets.env"
    content = secrets.read_text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    run_prepared(tmp_path)
    assert secrets.read_text() == content


def test_scripts_run_takes_its_environment_from_run_env(tmp_path: Path) -> None:
    """scripts/run must not source the env files itself (that is how they overrode the environment)."""
    text = (ROOT / "scripts" / "run").read_text()
    assert 'run_env_prepare "$PY" "$PORT"' in text
    assert "source var/dev-secrets.env" not in text and "source .env" not in text
    assert shutil.which("bash")
