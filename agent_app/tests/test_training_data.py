"""The hand-written training corpus (context/training/*.jsonl) holds together.

``validate.py`` checks the question files alone; these checks run over every file, since the
judgement files name articles and sections too, and a message written twice (in two files,
sometimes under two labels) weighs double in training and in the k-fold figures.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from django.conf import settings

from agent_app.judgement.corpus import TRAINING_DIR, load_corpus
from agent_app.knowledge.parsing import parse_markdown


def _normalised(text: str) -> str:
    return re.sub(r"[\s.,!?;:'\"()\-\u2013\u2014\u2026]+", " ", text.lower()).strip()


def _lines() -> list[tuple[str, dict]]:
    return [(f"{path.name}:{n}", json.loads(raw)) for path in sorted(TRAINING_DIR.glob("*.jsonl"))
            for n, raw in enumerate(path.read_text().splitlines(), 1) if raw.strip()]


def test_no_message_is_written_twice_across_the_training_files() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for at, row in _lines():
        where[_normalised(row["text"])].append(at)
    assert {text: ats for text, ats in where.items() if len(ats) > 1} == {}


def test_every_article_and_section_a_line_names_is_in_the_help_centre() -> None:
    docs = Path(settings.BASE_DIR) / "context" / "product-docs.md"
    sections = {a.slug: {line[4:].strip() for line in a.body.splitlines() if line.startswith("### ")}
                for a in parse_markdown(docs.read_text(), source=docs.name)}
    wrong = [(at, row.get("article"), row.get("section")) for at, row in _lines()
             if (row.get("article") and row["article"] not in sections)
             or (row.get("section") and row["section"] not in sections.get(row.get("article"), set()))]
    assert wrong == []


def test_every_line_has_a_label_the_classifier_knows() -> None:
    assert len(load_corpus()) == len(_lines())  # load_corpus raises on an unknown label


def test_a_gate_file_trains_the_answerability_gate_only() -> None:
    # gate-*.jsonl: answerable questions and near misses that teach which article answers what;
    # given to the intent layer too, answerable ones tilted it towards "none" (corpus.py).
    examples = load_corpus()
    gate = [e for e in examples if e.source.startswith("gate-")]
    assert gate and not any(e.intents for e in gate)
    assert all(e.intents for e in examples if not e.source.startswith("gate-"))


def test_the_files_in_other_languages_pass_their_validator() -> None:
    # lang-*.jsonl: facts verbatim in their English section, a knowledge_not_found kind on each, enough per class.
    result = subprocess.run([sys.executable, str(TRAINING_DIR / "validate_languages.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_a_file_in_another_language_trains_the_intent_layer_only() -> None:
    examples = load_corpus()
    other = [e for e in examples if e.source.startswith("lang-")]
    assert other and all(e.intents and not e.gate for e in other)
    assert all(e.gate for e in examples if not e.source.startswith("lang-"))


#: The line format ``validate_intents_reasons.py`` checks.
REASONS_KEYS = {"text", "label", "channel", "article", "also", "tags"}


def test_every_file_of_hard_reasons_passes_its_validator() -> None:
    # Found by their line format, so a new file is checked too. intents-hard-negatives.jsonl has the
    # format but is written by hard_negatives.py, whose harmless lines name no article.
    files = [path for path in sorted(TRAINING_DIR.glob("*.jsonl")) if path.name != "intents-hard-negatives.jsonl"
             and set(json.loads(path.read_text().splitlines()[0])) == REASONS_KEYS]
    assert {"intents-reasons.jsonl", "intents-reasons-wider.jsonl", "intents-offproduct.jsonl"} <= {p.name for p in files}
    for path in files:
        result = subprocess.run([sys.executable, str(TRAINING_DIR / "validate_intents_reasons.py"), str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, path.name + result.stdout[-3000:] + result.stderr
