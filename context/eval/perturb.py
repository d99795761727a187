"""Perturbed copies of an evaluation set: how much does the way customers type move the agent?

    python3 context/eval/perturb.py context/eval/heldout-tickets.json /tmp/heldout-typos.json --typos
    python3 context/eval/perturb.py context/eval/fresh-tickets.json /tmp/fresh-flat.json --casual --one-line

--typos      swap, drop or double one inner letter in 12% of the words of four letters or more
--casual     lower case, no . , ! ? ; : " ( )  (the lines stay; ``plain_text.casual_writing``)
--one-line   every line of the message joined into one (a file written without newlines)

Only ``content`` changes; labels, ids and the rest stay, so the copy runs through
``manage.py eval_agent`` like the original. Seeded: the same flags give the same file.
"""

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from agent_app.plain_text import casual_writing  # noqa: E402  (the same writing training reads)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    op = rng.choice(("swap", "drop", "double"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def perturbed(text: str, *, typos: bool, casual: bool, one_line: bool, rng: random.Random) -> str:
    if typos:
        text = re.sub(r"[^\W\d_]+", lambda m: _typo(m.group(), rng) if rng.random() < 0.12 else m.group(), text)
    if casual:
        text = casual_writing(text)
    if one_line:
        text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--typos", action="store_true")
    parser.add_argument("--casual", action="store_true")
    parser.add_argument("--one-line", action="store_true")
    args = parser.parse_args()
    rng = random.Random(20261204)
    with open(args.source, encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        case["content"] = perturbed(case["content"], typos=args.typos, casual=args.casual, one_line=args.one_line,
                                    rng=rng)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
