"""Tools and rendered manifests for the deployment tests.

Nothing here is skipped when a tool is missing: the test fails and says how the tool is
installed, because `make test` must install it (requirements-test.txt for the Python-packaged
linters, scripts/go-tools for kustomize and docker-compose).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# Every overlay that can be deployed, by name.
VARIANTS = ("dev", "prod", "prod-keda")


def venv_tool(name: str, requirement: str) -> str:
    """The path of a command installed into the virtualenv by requirements-test.txt."""
    path = VENV_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"`{name}` is not installed: it comes from {requirement} in requirements-test.txt "
                f"(`make venv`, or `{sys.executable} -m pip install -r requirements-test.txt`)", pytrace=False)


def go_tool(name: str) -> str:
    """Build (once, cached under ~/.cache/fte/tools) and return a tool of scripts/go-tools."""
    proc = subprocess.run([str(REPO / "scripts" / "go-tools"), "path", name], capture_output=True, text=True, check=False,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"scripts/go-tools could not provide {name}:\n{proc.stderr}", pytrace=False)
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def go_tools_built() -> None:
    """Both tools, built in parallel on first use: on a new machine each takes minutes, mostly downloading."""
    proc = subprocess.run([str(REPO / "scripts" / "go-tools"), "build"], capture_output=True, text=True,
                          check=False, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"scripts/go-tools could not build kustomize and docker-compose:\n{proc.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def kustomize(go_tools_built: None) -> str:
    return go_tool("kustomize")


@pytest.fixture(scope="session")
def docker_compose(go_tools_built: None) -> str:
    return go_tool("docker-compose")


@dataclass
class Rendered:
    name: str
    path: Path
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.name}: expected one {kind}/{name}, found {len(matches)}"
        return matches[0]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        matches = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        return matches[0] if matches else None

    @property
    def config(self) -> dict[str, str]:
        (config_map,) = self.of_kind("ConfigMap")
        return config_map["data"]

    def workloads(self) -> list[dict[str, Any]]:
        return self.of_kind("Deployment") + self.of_kind("Job")


def render(kustomize: str, name: str, tmp: Path) -> Rendered:
    target = REPO / "k8s" / "overlays" / name
    proc = subprocess.run([kustomize, "build", str(target)], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, f"kustomize build {target} failed:\n{proc.stderr}"
    path = tmp / f"{name}.yaml"
    path.write_text(proc.stdout)
    return Rendered(name=name, path=path, docs=[d for d in yaml.safe_load_all(proc.stdout) if d])


@pytest.fixture(scope="session")
def rendered(kustomize: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    tmp = tmp_path_factory.mktemp("k8s")
    return {name: render(kustomize, name, tmp) for name in VARIANTS}
