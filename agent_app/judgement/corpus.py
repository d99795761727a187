"""The labelled training corpus under context/training/ (JSON lines), and the class set.

A file named ``gate-*.jsonl`` trains the answerability gate only, not the intent layer: its
answerable questions and near misses teach which article answers what and where the Help Centre
stops, and add no kind of message the intent layer lacks. Given to the intent layer as well, 287
answerable ones tilted it towards "none" (out of fold the six hard reasons' recall fell 0.867 ->
0.854, and 0.871 -> 0.862 with another fold seed).

A file named ``lang-*.jsonl`` (messages in German, French and Spanish) trains the intent layer only;
both read a message's gist in English (``gist``). The gate, never trained on them, already answers
them out of sample as well as it answers English questions out of fold (docs/agent.md, "Languages"),
and its training set stays the English one its features and threshold were chosen on.

Never reads context/sample-tickets.json or context/eval/: those are evaluation sets.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from crm.models import EscalationReason

TRAINING_DIR = Path(settings.BASE_DIR) / "context" / "training"

# knowledge_not_found is three different things a customer writes about; each is its own
# class (a linear model separates tight clusters better than one mixed bag).
KB_BUG, KB_STAFF_ONLY, KB_UNDOCUMENTED = "kb_bug", "kb_staff_only", "kb_undocumented"
NONE, UNANSWERABLE = "none", "unanswerable"
THANKS, GREETING, STILL_FAILING, INJECTION, NOT_HELPFUL = "thanks", "greeting", "still_failing", "injection", "not_helpful"
HARD_REASONS = [EscalationReason.SECURITY_INCIDENT, EscalationReason.LEGAL_LANGUAGE, EscalationReason.REFUND_REQUEST,
                EscalationReason.PRICING_INQUIRY, EscalationReason.NEGATIVE_SENTIMENT,
                EscalationReason.EXPLICIT_HUMAN_REQUEST]
CLASSES: list[str] = [str(r) for r in HARD_REASONS] + [KB_BUG, KB_STAFF_ONLY, KB_UNDOCUMENTED, NONE, UNANSWERABLE,
                                                       THANKS, GREETING, STILL_FAILING, INJECTION, NOT_HELPFUL]
ACTS = [THANKS, GREETING, STILL_FAILING, INJECTION, NOT_HELPFUL]


GATE_ONLY_PREFIX = "gate-"
INTENTS_ONLY_PREFIX = "lang-"


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # one of CLASSES
    article: str | None
    source: str
    # For an answerable question: the article's section and the words in it that answer it.
    section: str | None = None
    fact: str | None = None
    intents: bool = True  # False: a gate-*.jsonl line, which trains the answerability gate only
    gate: bool = True  # False: a lang-*.jsonl line, which trains the intent layer only
    channel: str | None = None


def _class_of(row: dict) -> str | None:
    label = row.get("label")
    tags = row.get("tags") or ([row["tag"]] if row.get("tag") else [])
    if label == EscalationReason.KNOWLEDGE_NOT_FOUND:
        if "bug" in tags:
            return KB_BUG
        if "staff_only" in tags:
            return KB_STAFF_ONLY
        return KB_UNDOCUMENTED
    return label if label in CLASSES else None


def load_corpus(directory: Path = TRAINING_DIR) -> list[Example]:
    """Every labelled line of context/training/*.jsonl, in a stable order."""
    examples: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            cls = _class_of(row)
            if cls is None or not isinstance(row.get("text"), str):
                raise ValueError(f"{path.name}:{n}: unknown label {row.get('label')!r}")
            examples.append(Example(text=row["text"], label=cls, article=row.get("article"), source=path.name,
                                    section=row.get("section"), fact=row.get("fact"),
                                    intents=not path.name.startswith(GATE_ONLY_PREFIX),
                                    gate=not path.name.startswith(INTENTS_ONLY_PREFIX), channel=row.get("channel")))
    return examples


def corpus_digest(examples: list[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.label}\t{e.article}\t{e.text}\n".encode())
    return h.hexdigest()[:16]
