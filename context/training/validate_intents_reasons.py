"""Validate context/training/intents-reasons.jsonl (or the file given, in the same line format) and print counts
per label, channel and tag.

    python3 context/training/validate_intents_reasons.py [path]
"""
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "intents-reasons.jsonl"
DOCS = HERE.parent / "product-docs.md"

PRECEDENCE = ["security_incident", "legal_language", "refund_request", "pricing_inquiry",
              "negative_sentiment", "explicit_human_request", "knowledge_not_found"]
LABELS = set(PRECEDENCE) | {"none"}
CHANNELS = {"email", "whatsapp", "web_form"}
TAGS = {"short", "long", "typo", "non_native", "negation", "mixed", "indirect", "signature",
        "hard_negative", "undocumented", "bug", "staff_only", "injection_mixed", "bot_question", "off_product"}
KNF_KINDS = ("undocumented", "bug", "staff_only")


def main() -> int:
    slugs = set(re.findall(r"<!-- slug: ([a-z0-9-]+);", DOCS.read_text(encoding="utf-8")))
    errors, seen = [], {}
    labels, channels, tags = collections.Counter(), collections.Counter(), collections.Counter()
    for n, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), 1):
        try:
            x = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append((n, f"bad json: {e}"))
            continue
        if set(x) != {"text", "label", "channel", "article", "also", "tags"}:
            errors.append((n, f"keys {sorted(x)}"))
            continue
        label, art = x["label"], x["article"]
        if not x["text"].strip():
            errors.append((n, "empty text"))
        if label not in LABELS:
            errors.append((n, f"label {label}"))
        if x["channel"] not in CHANNELS:
            errors.append((n, f"channel {x['channel']}"))
        if art is not None and art not in slugs:
            errors.append((n, f"unknown slug {art}"))
        if label == "none":
            if "bot_question" in x["tags"]:
                if art is not None:
                    errors.append((n, "bot_question must have null article"))
            elif art is None:
                errors.append((n, "none without slug"))
            if x["also"]:
                errors.append((n, "none with also"))
        for t in x["tags"]:
            if t not in TAGS:
                errors.append((n, f"tag {t}"))
        for s in x["also"]:
            if s not in PRECEDENCE or s == label:
                errors.append((n, f"also {s}"))
            elif label in PRECEDENCE and PRECEDENCE.index(s) < PRECEDENCE.index(label):
                errors.append((n, f"precedence: {s} outranks {label}"))
        if x["also"] and "mixed" not in x["tags"]:
            errors.append((n, "mixed tag missing"))
        if label == "knowledge_not_found" and sum(k in x["tags"] for k in KNF_KINDS) != 1:
            errors.append((n, "knowledge_not_found needs exactly one of undocumented/bug/staff_only"))
        key = re.sub(r"[\W_]+", "", x["text"].lower())
        if key in seen:
            errors.append((n, f"duplicate of line {seen[key]}"))
        seen[key] = n
        labels[label] += 1
        channels[x["channel"]] += 1
        tags.update(x["tags"])
    print(f"lines: {sum(labels.values())}")
    print("per label:")
    for k, v in labels.most_common():
        print(f"  {k:24} {v}")
    print("per channel:", dict(channels))
    print("per tag:")
    for k, v in tags.most_common():
        print(f"  {k:16} {v}")
    for e in errors:
        print("ERROR line %s: %s" % e)
    print(f"errors: {len(errors)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
