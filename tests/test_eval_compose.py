"""bench/eval_compose.py reads every training question file, in an order that keeps a line's
index (and so its half) when another helper's file is added."""
from __future__ import annotations

import json
from pathlib import Path

from bench.eval_compose import dataset_files, dataset_lines


def _write(folder: Path, name: str, facts: list[str]) -> None:
    rows = [{"text": f"question {f}", "label": "none", "channel": "email", "article": "a", "fact": f} for f in facts]
    rows.append({"text": "thanks!", "label": "thanks", "channel": "email"})  # not a question: left out
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_the_main_file_alone_is_read_as_before(tmp_path: Path) -> None:
    _write(tmp_path, "intents-questions.jsonl", ["one", "two", "three"])
    (tmp_path / "intents-reasons.jsonl").write_text('{"text": "x", "label": "none", "fact": "not a question file"}\n')
    assert [x["fact"] for x in dataset_lines(tmp_path)] == ["one", "two", "three"]


def test_added_files_come_after_the_main_one_and_halves_split_by_index(tmp_path: Path) -> None:
    _write(tmp_path, "intents-questions-b.jsonl", ["b1"])
    _write(tmp_path, "intents-questions-a.jsonl", ["a1", "a2"])
    _write(tmp_path, "intents-questions.jsonl", ["one", "two", "three"])
    assert [p.name for p in dataset_files(tmp_path)] == [
        "intents-questions.jsonl", "intents-questions-a.jsonl", "intents-questions-b.jsonl"]
    assert [x["fact"] for x in dataset_lines(tmp_path, "even")] == ["one", "three", "a2"]
    assert [x["fact"] for x in dataset_lines(tmp_path, "odd")] == ["two", "a1", "b1"]
