"""Validate context/eval/heldout-tickets.json against the Help Centre.

    python3 context/eval/validate_heldout.py [path]

Checks: valid JSON array; allowed keys per channel and action; unique ids and unique customer
addresses (email and phone); every expected_article is a slug in product-docs.md; every
expected_fact occurs verbatim (case-insensitive) in that article's text; escalation reasons are
canonical. Prints counts per kind, action, reason, channel and article. Exit code 1 on any error.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

CONTEXT = Path(__file__).resolve().parent.parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else CONTEXT / "eval" / "heldout-tickets.json"
DOCS = CONTEXT / "product-docs.md"

REASONS = {"security_incident", "legal_language", "refund_request", "pricing_inquiry",
           "negative_sentiment", "explicit_human_request", "knowledge_not_found"}
KINDS = {"answerable", "hard_negative", "unanswerable", "bug", "staff_only", "security_incident",
         "legal_language", "refund_request", "pricing_inquiry", "negative_sentiment",
         "explicit_human_request", "mixed", "thanks", "greeting", "injection", "injection_with_question"}
# kind -> (expected_action, required reason or None, article required?)
KIND_RULES = {
    "answerable": ("resolve", None, True),
    "hard_negative": ("resolve", None, True),
    "injection_with_question": ("resolve", None, True),
    "thanks": ("resolve", None, False),
    "greeting": ("resolve", None, False),
    "unanswerable": ("escalate", "knowledge_not_found", False),
    "bug": ("escalate", "knowledge_not_found", False),
    "staff_only": ("escalate", "knowledge_not_found", False),
    "injection": ("escalate", "knowledge_not_found", False),
}
for r in REASONS - {"knowledge_not_found"}:
    KIND_RULES[r] = ("escalate", r, False)
ALLOWED = {"id", "channel", "customer_email", "customer_phone", "customer_name", "subject", "content",
           "expected_action", "escalation_reason", "expected_article", "expected_fact", "kind"}


def articles():
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    out = {}
    for p in parts:
        m = re.search(r"<!--\s*slug:\s*([a-z0-9-]+)", p)
        if m:
            out[m.group(1)] = "## " + p
    return out


def main():
    errors = []
    arts = articles()
    data = json.loads(DATA.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        sys.exit("top level is not a JSON array")
    ids, emails, phones = Counter(), Counter(), Counter()
    for t in data:
        tid = t.get("id", "?")
        ids[tid] += 1
        extra = set(t) - ALLOWED
        if extra:
            errors.append(f"{tid}: unexpected keys {sorted(extra)}")
        ch = t.get("channel")
        if ch not in ("email", "whatsapp", "web_form"):
            errors.append(f"{tid}: bad channel {ch!r}")
        if ch == "whatsapp":
            if not re.fullmatch(r"\+\d{8,15}", t.get("customer_phone", "")):
                errors.append(f"{tid}: whatsapp needs customer_phone in E.164")
            if "subject" in t:
                errors.append(f"{tid}: whatsapp has a subject")
        else:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.example", t.get("customer_email", "")):
                errors.append(f"{tid}: {ch} needs customer_email on a .example domain")
            if not t.get("subject"):
                errors.append(f"{tid}: {ch} needs a subject")
        if t.get("customer_email"):
            emails[t["customer_email"].lower()] += 1
        if t.get("customer_phone"):
            phones[t["customer_phone"]] += 1
        if not t.get("customer_name"):
            errors.append(f"{tid}: missing customer_name")
        if not isinstance(t.get("content"), str) or not t["content"].strip():
            errors.append(f"{tid}: empty content")
        action, kind = t.get("expected_action"), t.get("kind")
        if action not in ("resolve", "escalate"):
            errors.append(f"{tid}: bad expected_action {action!r}")
        if kind not in KINDS:
            errors.append(f"{tid}: bad kind {kind!r}")
        if action == "escalate":
            if t.get("escalation_reason") not in REASONS:
                errors.append(f"{tid}: escalate needs a canonical escalation_reason")
            if "expected_article" in t or "expected_fact" in t:
                errors.append(f"{tid}: escalation with expected_article/fact")
        else:
            if "escalation_reason" in t:
                errors.append(f"{tid}: resolve with escalation_reason")
        rule = KIND_RULES.get(kind)
        if rule:
            want_action, want_reason, need_article = rule
            if action != want_action:
                errors.append(f"{tid}: kind {kind} expects action {want_action}")
            if want_reason and t.get("escalation_reason") != want_reason:
                errors.append(f"{tid}: kind {kind} expects reason {want_reason}")
            if need_article and not t.get("expected_article"):
                errors.append(f"{tid}: kind {kind} needs expected_article")
            if kind in ("thanks", "greeting") and ("expected_article" in t or "expected_fact" in t):
                errors.append(f"{tid}: {kind} must not have an article")
        if kind == "mixed" and action != "escalate":
            errors.append(f"{tid}: mixed must escalate")
        art = t.get("expected_article")
        if art is not None:
            if art not in arts:
                errors.append(f"{tid}: unknown article {art!r}")
            fact = t.get("expected_fact")
            if not fact:
                errors.append(f"{tid}: expected_article without expected_fact")
            elif art in arts and fact.lower() not in arts[art].lower():
                errors.append(f"{tid}: fact {fact!r} not found in {art}")
        elif "expected_fact" in t:
            errors.append(f"{tid}: expected_fact without expected_article")

    for name, counter in (("id", ids), ("customer_email", emails), ("customer_phone", phones)):
        for k, v in counter.items():
            if v > 1:
                errors.append(f"duplicate {name}: {k} x{v}")

    print(f"{DATA}: {len(data)} cases")
    print("\nby kind:")
    for k, v in sorted(Counter(t.get("kind") for t in data).items(), key=lambda x: -x[1]):
        print(f"  {k:26} {v}")
    print("\nby action:", dict(Counter(t.get("expected_action") for t in data)))
    print("\nby escalation_reason:")
    for k, v in sorted(Counter(t.get("escalation_reason") for t in data if t.get("escalation_reason")).items(),
                       key=lambda x: -x[1]):
        print(f"  {k:26} {v}")
    print("\nmixed cases by reason:", dict(Counter(t["escalation_reason"] for t in data if t.get("kind") == "mixed")))
    print("\nby channel:", dict(Counter(t.get("channel") for t in data)))
    used = Counter(t["expected_article"] for t in data if t.get("expected_article"))
    print(f"\narticles covered: {len(used)} of {len(arts)}")
    missing = sorted(set(arts) - set(used))
    if missing:
        print("  not covered:", ", ".join(missing))
    print("  per article:", ", ".join(f"{k}={v}" for k, v in sorted(used.items())))

    if errors:
        print(f"\n{len(errors)} ERROR(S):")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("\nOK: no errors")


if __name__ == "__main__":
    main()
