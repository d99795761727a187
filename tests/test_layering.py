"""Our apps depend downward only: crm ← channels_app ← agent_app ← desk, and reporting on top.

Every ``.py`` file of every app is parsed (tests and migrations included) and each import
that reaches another of our apps is checked: ``import`` and ``from … import`` at module
level and inside functions, and the imports spelled as a call with a literal module name
(``importlib.import_module("…")``, ``__import__("…")``, ``pytest.importorskip("…")``).

The rules:

- An app may import the apps on a lower layer (``LAYERS``), never one on its own layer or
  above: desk and reporting sit side by side and do not import each other. A lower app
  that needs a higher one's work offers a registry (``crm.links``, ``fte_project.health``),
  a signal, or a Celery task name it owns.
- Every app may import ``fte_project``: the project's plumbing (the Celery app, the
  ``/health`` registry, settings helpers, the stop flag for consumers).
- ``fte_project`` imports none of our apps, not even their ``urls`` modules. It reaches
  them by name only: ``INSTALLED_APPS``, Celery's task autodiscovery and its beat schedule
  by task name, and ``fte_project/urls.py`` with ``include("<app>.urls")`` as a string, so
  the project never loads an app while it is being imported itself.

The repository's root ``conftest.py``, ``tests/`` and ``bench/`` are not an app: they sit
above all of them and are not checked.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {"crm": 0, "channels_app": 1, "agent_app": 2, "desk": 3, "reporting": 3}
PROJECT = "fte_project"
OURS = {*LAYERS, PROJECT}

# Calls that import the module named by their first argument.
IMPORTING_CALLS = {"import_module", "__import__", "importorskip"}

# Known upward imports, as (file, imported module), waiting for the change that removes them.
# An entry that no longer occurs fails the test: delete it, the set only shrinks.
ALLOWED: set[tuple[str, str]] = set()  # none left; keep it that way


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, with forward slashes
    line: int
    module: str

    @property
    def importer(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def imported(self) -> str:
        return self.module.split(".", 1)[0]


def imports_in(path: Path) -> list[Import]:
    """Every absolute import in ``path`` naming a module of ours, wherever it is written."""
    rel = path.relative_to(ROOT).as_posix()
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # Relative imports (level > 0) cannot leave the app they are written in.
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in IMPORTING_CALLS and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [Import(rel, node.lineno, name) for name in names if name.split(".", 1)[0] in OURS]
    return found


def may_import(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer == PROJECT:
        return False
    if imported == PROJECT:
        return True
    return LAYERS[imported] < LAYERS[importer]


def all_imports() -> list[Import]:
    return [found for app in sorted(OURS) for path in sorted((ROOT / app).rglob("*.py"))
            for found in imports_in(path)]


def test_no_app_imports_upward() -> None:
    imports = all_imports()
    assert any(i.importer == "desk" for i in imports), "the scan found nothing: are the apps where it looks?"
    upward = [i for i in imports if not may_import(i.importer, i.imported)]
    new = [i for i in upward if (i.path, i.module) not in ALLOWED]
    listing = "\n".join(f"  {i.path}:{i.line}: {i.importer} imports {i.module}" for i in new)
    assert not new, ("imports that climb the layers (crm=0 ← channels_app=1 ← agent_app=2 ← desk=3, reporting=3; "
                     f"fte_project imports none of ours):\n{listing}")
    stale = ALLOWED - {(i.path, i.module) for i in upward}
    assert not stale, f"these allowed upward imports are gone, remove them from ALLOWED: {sorted(stale)}"


def test_the_project_includes_app_urls_by_name_only() -> None:
    tree = ast.parse((ROOT / PROJECT / "urls.py").read_text(encoding="utf-8"))
    included = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "include"
        and node.args and isinstance(node.args[0], ast.Constant)
    ]
    assert included, "fte_project/urls.py includes no app's urls by name"
    assert all(name.split(".")[0] in LAYERS and name.count(".") == 1 and name.endswith(".urls") for name in included)


def test_the_rules() -> None:
    # The checker itself, on the cases that matter.
    assert may_import("desk", "agent_app") and may_import("desk", "crm") and may_import("reporting", "agent_app")
    assert not may_import("channels_app", "agent_app") and not may_import("crm", "channels_app")
    assert not may_import("desk", "reporting") and not may_import("reporting", "desk")
    assert may_import("crm", "fte_project") and not may_import("fte_project", "crm")


WRITES = {"save", "update", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _chain_root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def test_only_crm_writes_crm_rows() -> None:
    """Every write to a crm model goes through a crm service (one place for its rule and event)."""
    offenders = []
    for app in ("channels_app", "agent_app", "desk", "reporting", "fte_project"):
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/tests/" in rel or "/migrations/" in rel:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            models = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                      and node.module == "crm.models" for alias in node.names}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in WRITES and _chain_root(node.func) in models):
                    offenders.append(f"{rel}:{node.lineno}: {_chain_root(node.func)}….{node.func.attr}()")
    assert not offenders, "crm rows written outside crm services:\n" + "\n".join(offenders)
