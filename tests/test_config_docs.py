"""Every setting an operator can set is documented once, the same way, in .env.example and the README."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_variable_in_env_example_is_in_the_readme_table_and_back() -> None:
    example = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    readme = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", (ROOT / "README.md").read_text(), re.M))
    assert not example - readme, f"in .env.example but not in README's table: {sorted(example - readme)}"
    assert not readme - example, f"in README's table but not in .env.example: {sorted(readme - example)}"
