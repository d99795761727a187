"""Every setting an operator can set is documented once, the same way: the README's
configuration table says what .env.example says, variable by variable, and nothing more.

Each variable's row carries the comment above it in .env.example, word for word, and its
default; a variable right after another under the same comment reads "(see the line above)".
"""
from __future__ import annotations

import re

from tests.support.processes import ROOT

ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| (.*?) \| (.*) \|$")
VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def documented_in_env_example() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    comment, after_variable = "", False
    for line in (ROOT / ".env.example").read_text().splitlines():
        if not line.strip() or line.startswith("# ---"):
            comment, after_variable = "", False
        elif line.startswith("#"):
            comment = line[1:].strip() if after_variable or not comment else f"{comment} {line[1:].strip()}"
            after_variable = False
        elif match := VARIABLE.match(line):
            name, default = match.groups()
            rows.append((name, f"`{default}`" if default else "—", "(see the line above)" if after_variable else comment))
            after_variable = True
    return rows


def test_the_readme_table_matches_env_example() -> None:
    readme = {m.group(1): (m.group(2), m.group(3)) for line in (ROOT / "README.md").read_text().splitlines()
              if (m := ROW.match(line))}
    expected = documented_in_env_example()
    assert expected, ".env.example documents no variable"
    problems = [f"{name}: README has {readme.get(name)}, .env.example says {(default, text)}"
                for name, default, text in expected if readme.get(name) != (default, text)]
    assert not problems, "\n".join(problems)


def test_the_readme_table_has_no_variable_env_example_lacks() -> None:
    readme = {m.group(1) for line in (ROOT / "README.md").read_text().splitlines() if (m := ROW.match(line))}
    extra = readme - {name for name, _, _ in documented_in_env_example()}
    assert not extra, f"in README's table but not in .env.example: {sorted(extra)}"
