"""The labelled evaluation sets stay what they claim to be: valid against the Help Centre, and
never among the training lines; and their perturbed copies change the message alone."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "context" / "eval"
SETS = [EVAL / "heldout-tickets.json", EVAL / "fresh-tickets.json", EVAL / "fresh2-tickets.json",
        EVAL / "multilingual-tickets.json", EVAL / "otherdomain-tickets.json"]


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_an_evaluation_set_passes_the_validator(path: Path) -> None:
    result = subprocess.run([sys.executable, str(EVAL / "validate_heldout.py"), str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_evaluation_message_is_a_training_line() -> None:
    # Short lines coincide by nature ("hi", "human", "ok got it thx", and one seven-word question of the
    # held-out set, "do guests take up a paid seat?", that a bootstrap line also asks); from eight words
    # on, a match would be a copy.
    training = {_plain(json.loads(line)["text"]) for f in (ROOT / "context" / "training").glob("*.jsonl")
                for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    for path in [*SETS, ROOT / "context" / "sample-tickets.json"]:
        leaked = [c["id"] for c in json.loads(path.read_text(encoding="utf-8"))
                  if len(c["content"].split()) >= 8 and _plain(c["content"]) in training]
        assert not leaked, f"{path.name}: {leaked}"


def test_a_perturbed_copy_changes_the_message_alone_and_the_same_way_each_time(tmp_path: Path) -> None:
    source = tmp_path / "set.json"
    cases = [{"id": "a", "channel": "email", "content": "Hello,\nHow do I export my tasks? (CSV please)\nThanks",
              "expected_action": "resolve", "expected_article": "export-to-csv"}]
    source.write_text(json.dumps(cases))
    outputs = []
    for run in (1, 2):
        out = tmp_path / f"out{run}.json"
        subprocess.run([sys.executable, str(EVAL / "perturb.py"), str(source), str(out), "--casual", "--one-line"],
                       check=True)
        outputs.append(json.loads(out.read_text()))
    assert outputs[0] == outputs[1]
    (case,) = outputs[0]
    assert case["content"] == "hello how do i export my tasks csv please thanks"
    assert {k: v for k, v in case.items() if k != "content"} == {k: v for k, v in cases[0].items() if k != "content"}


def test_typos_are_seeded(tmp_path: Path) -> None:
    source = tmp_path / "set.json"
    words = "please tell me where the export button lives because our finance team needs every report today"
    cases = [{"id": "a", "channel": "whatsapp", "content": f"{words} {words}", "expected_action": "resolve"}]
    source.write_text(json.dumps(cases))
    outputs = []
    for run in (1, 2):
        out = tmp_path / f"typos{run}.json"
        subprocess.run([sys.executable, str(EVAL / "perturb.py"), str(source), str(out), "--typos"], check=True)
        outputs.append(json.loads(out.read_text()))
    assert outputs[0] == outputs[1]
    (case,) = outputs[0]
    assert case["content"] != cases[0]["content"]
    assert len(case["content"].split()) == len(cases[0]["content"].split())  # letters move, words stay
    assert {k: v for k, v in case.items() if k != "content"} == {k: v for k, v in cases[0].items() if k != "content"}

