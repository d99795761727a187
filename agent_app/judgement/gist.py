"""A German, French or Spanish message in gist English, for models that read English.

The intent layer, the knowledge search, the answerability gate, the composer and governance's patterns all
read English: the bundled embedding model is English, and so are the Help Centre and most of the training
corpus. A message in another language (``agent_app.language``) is read word by word through a glossary per
language (``glossary/<lang>.tsv``: "quiero un reembolso" -> "want a refund"), longest phrase first, as
typed when the glossary has it so (French "où" is "where", "ou" is "or"), else with accents folded, else as
the form the glossary has (a plural, a feminine, a German compound's parts); a word it still lacks stays as
written when it is English or the Help Centre's (product names, English words; numbers stay too) and is left
out otherwise: the English models can't read a name or an untranslated German word, and its unknown weight
lowered the answerability gate's coverage of the question (docs/agent.md, 12-05d). The result is crude English,
but in the words the models know, so what they learned from thousands of English lines applies: out of
fold, without it, the intent layer caught a third of the hard triggers written in these languages
(docs/agent.md, "Languages").

Only what the models read is translated; the customer's own words are stored, shown to staff and quoted
as written, and the reply is in their language (``agent_app.wording``).
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from pathlib import Path

from agent_app.judgement import spelling
from agent_app.language import ENGLISH, FRENCH, GERMAN, SPANISH, of_message, without_accents

GLOSSARY_DIR = Path(__file__).resolve().parent / "glossary"

# A word (with an inner apostrophe or hyphens: "j'ai", "Zwei-Faktor-Authentifizierung"), or one
# other character, spaces and line breaks included, so the text keeps its lines and punctuation.
_PIECE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*(?:-[^\W\d_]+)*|\s|.", re.UNICODE)
_UMLAUTS_SPELLED = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


def as_typed(word: str, language: str) -> str:
    """How a word is looked up first: lower case with its accents and umlauts, so that words only they tell
    apart ("würde"/"wurde", "où"/"ou", "sí"/"si") keep their own meanings when the customer typed them. In
    German "ae/oe/ue" is the umlaut it spells ("wuerde" is "würde", not "wurde")."""
    word = unicodedata.normalize("NFC", word.lower().replace("\u2019", "'"))
    if language == GERMAN:
        for spelled, letter in _UMLAUTS_SPELLED:
            word = word.replace(spelled, letter)
    return word


def fold(word: str, language: str) -> str:
    """How a word is looked up when not as typed: without accents (customers often leave them out), and
    in German "ß" as "ss"."""
    return without_accents(as_typed(word, language).replace("ß", "ss"))


@functools.cache
def longest(language: str) -> int:
    """Words in the language's longest glossary phrase ("règlement général sur la protection des données")."""
    return max((key.count(" ") + 1 for key in glossary(language)), default=1)


def _entries(language: str) -> list[tuple[list[str], str]]:
    path = GLOSSARY_DIR / f"{language}.tsv"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(source.split(), english.strip()) for source, _, english in (line.partition("\t") for line in lines)]


@functools.cache
def glossary(language: str) -> dict[str, str]:
    """Folded phrase -> English, from ``glossary/<language>.tsv`` (of entries that fold alike, the first
    wins: it is what a customer who leaves accents out most often means)."""
    table: dict[str, str] = {}
    for words, english in _entries(language):
        key = " ".join(fold(w, language) for w in words)
        if key and key not in table:
            table[key] = english
    return table


@functools.cache
def glossary_as_typed(language: str) -> dict[str, str]:
    """Phrase as written (``as_typed``) -> English, for the entries the folded look-up would read otherwise
    (they fold like an earlier entry of another meaning): a few hundred, not every entry twice in memory."""
    folded = glossary(language)
    table: dict[str, str] = {}
    seen: set[str] = set()
    for words, english in _entries(language):
        key = " ".join(as_typed(w, language) for w in words)
        if key in seen:  # the first entry of a spelling is its meaning, as in the folded table
            continue
        seen.add(key)
        if key and folded.get(" ".join(fold(w, language) for w in words)) != english:
            table[key] = english
    return table


def _look_up(words: list[str], language: str) -> str | None:
    typed = glossary_as_typed(language).get(" ".join(as_typed(w, language) for w in words))
    return typed if typed is not None else glossary(language).get(" ".join(fold(w, language) for w in words))


def _words_from(pieces: list[str], start: int, n: int) -> tuple[list[str], int] | None:
    """The ``n`` words from ``pieces[start]`` on, separated by single spaces only (a phrase never
    runs over punctuation or a line break), and the index after the last one."""
    words, i = [], start
    while len(words) < n:
        if i >= len(pieces) or not pieces[i][0].isalpha():
            return None
        words.append(pieces[i])
        i += 1
        if len(words) < n:
            if i >= len(pieces) or pieces[i] != " ":
                return None
            i += 1
    return words, i


# Endings a glossary lists a word without: plural and feminine forms of nouns, adjectives and participles
# ("terminées", "opciones", "zusätzlichen"), tried in this order and read as the form the glossary has
# ("terminé"). Only for a word the glossary lacks, so no entry changes meaning, and only down to a stem of
# four letters: shorter ones are other words ("Wien" is not "wie", "how"). Spanish changes gender only in
# participles ("registrada"): in nouns it is often another word ("casa" is not "caso").
_ENDINGS = {
    FRENCH: (("ées", "é"), ("és", "é"), ("ée", "é"), ("aux", "al"), ("euses", "eux"), ("euse", "eux"),
             ("ives", "if"), ("ive", "if"), ("elles", "el"), ("elle", "el"), ("iennes", "ien"), ("ienne", "ien"),
             ("es", "e"), ("es", ""), ("s", ""), ("x", ""), ("e", "")),
    SPANISH: (("ces", "z"), ("es", ""), ("s", ""), ("adas", "ado"), ("ada", "ado"), ("idas", "ido"), ("ida", "ido")),
    GERMAN: (("en", ""), ("er", ""), ("es", ""), ("em", ""), ("e", ""), ("n", ""), ("s", "")),
}


# Spanish writes the pronouns after an infinitive or a gerund as one word ("dejarlo", "pasárselas").
_CLITICS = ("selas", "selos", "sela", "selo", "las", "los", "les", "nos", "lo", "la", "le", "se", "me", "te")
_VERB_BEFORE_CLITIC = ("ar", "er", "ir", "ando", "iendo")


def _inflected(word: str, language: str) -> str | None:
    """The English of ``word`` read as the glossary's form of it (``_ENDINGS``; in Spanish also without the
    pronouns after an infinitive or gerund), if any."""
    lower = word.lower()
    if language == GERMAN and word[:1].isupper():
        return None  # a German noun's plural is the glossary's own; a capitalised "Müller" is a name, not "Müll"
    for ending, base in _ENDINGS.get(language, ()):
        if lower.endswith(ending) and len(lower) - len(ending) >= 4:
            found = _look_up([lower[: -len(ending)] + base], language)
            if found is not None:
                return found
    if language == SPANISH:
        folded = fold(lower, language)
        for clitic in _CLITICS:
            verb = folded[: -len(clitic)]
            if folded.endswith(clitic) and len(verb) >= 4 and verb.endswith(_VERB_BEFORE_CLITIC):
                return _look_up([verb], language)
    return None


def _single(word: str, language: str) -> str | None:
    found = _look_up([word], language)
    return found if found is not None else _inflected(word, language)


# A German verb's prefix is a glossary word of its own ("über" about, "zurück" back), but "übernehmen" is
# "take over", not "about take": a first part that is one (or one with a letter or two, "übers") is no
# compound's, while "Nachrichten|verlauf" is.
_VERB_PREFIXES = ("uber", "unter", "zuruck", "heraus", "herein", "herunter", "hinein", "hinaus", "hinunter", "durch",
                  "wieder", "zusammen", "voll", "drauf", "darauf", "daruber", "weiter", "fort", "nach", "hinter",
                  "entgegen", "gegenuber", "vorbei", "voran", "vorher", "auseinander", "dazu", "hinzu", "hervor")


COMPOUND_LETTERS = 40


def _compound(word: str, language: str) -> str | None:
    """A German compound the glossary lacks, read as its two parts ("Sicherheitseinstellungen": "security
    settings"): the shortest last part the glossary has (in any form, ``_single``) after a first part it has
    as written or with its linking "s" ("Jahres|ende", not "Jahre|sende"). Parts are four letters at least,
    so short words inside longer ones don't split a word, and no first part is a verb's prefix. A word longer
    than COMPOUND_LETTERS is no compound (the cuts cost a look-up each: a pasted key or hash stays cheap)."""
    lower = word.lower()
    if len(lower) > COMPOUND_LETTERS:
        return None
    for cut in range(len(lower) - 4, 3, -1):
        head = _single(lower[cut:], language)
        if head is None:
            continue
        first = lower[:cut]
        folded = fold(first, language)
        if any(folded[:end] in _VERB_PREFIXES for end in (None, -1, -2)):
            continue
        modifier = _look_up([first], language)
        if modifier is None and first.endswith("s") and len(first) > 4:
            modifier = _look_up([first[:-1]], language)
        if modifier is not None:
            return f"{modifier} {head}".strip()
    return None


def _readability(word: str) -> float:
    """How well the English models read ``word`` as written: without limit for a Help Centre word, an
    acronym or a CamelCase name ("ERP", "HubSpot"), else how often it occurs in English (0: unreadable).
    One number, so a word is looked up once whether it is asked to be common or only known."""
    lower = word.lower()
    if lower in spelling.help_centre_words() or (word.isupper() and len(word) > 1) or (
            word[:1].isupper() and any(c.isupper() for c in word[1:]) and not word.isupper()):
        return math.inf
    return spelling.english_counts([lower])[0]


def _word(word: str, language: str, keep_unread: bool = False) -> str:
    found = _look_up([word], language)
    if found is not None:
        return found
    readability = _readability(word) if "-" not in word and "'" not in word else 0
    if readability >= spelling.COMMON_COUNT:
        return word  # an English word in a French message ("comments") is not a French plural ("comment", how)
    found = _inflected(word, language)
    if found is not None:
        return found
    if language == GERMAN and "-" not in word and (found := _compound(word, language)) is not None:
        return found
    if "-" in word:  # "Push-Benachrichtigungen" not in the glossary -> "Push" + "Benachrichtigungen"
        return " ".join(_word(part, language, keep_unread) for part in word.split("-") if part)
    if "'" in word:  # French elision: "j'ai" not in the glossary -> "j'" + "ai"
        head, _, tail = word.partition("'")
        first = next((e for e in (_look_up([head + "'"], language), _look_up([head], language)) if e is not None),
                     fold(head, language))
        second = _single(tail, language)  # as typed too: "j'achète" is "i buy", not "achete", "bought"
        if second is None:
            second = fold(tail, language) if keep_unread or _readability(tail) > 0 else ""
        return f"{first} {second}".strip()
    return word if keep_unread or readability > 0 else ""


def to_english(text: str, language: str, *, keep_unread: bool = False) -> str:
    """``text`` read through ``language``'s glossary (unchanged for English or without a glossary).
    ``keep_unread``: a word the models can't read stays as written instead of being left out (the
    grounding check, for which a claim made in words it can't read must not vanish)."""
    table = glossary(language) if language != ENGLISH else {}
    if not table or not text:
        return text
    # "¿" and "¡" open a question or exclamation only in Spanish; English closes it and says no more.
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("¿", "").replace("¡", "")
    pieces = _PIECE.findall(text)
    out: list[str] = []
    i, negated = 0, False
    while i < len(pieces):
        piece = pieces[i]
        if not piece[0].isalpha():
            negated = negated and piece in " '"  # a clause ends at punctuation or a line break
            out.append(piece)
            i += 1
            continue
        folded = fold(piece, language)
        if language == FRENCH and negated and folded == "plus":
            # "je n'arrive plus à me connecter": the "ne" the glossary drops makes "plus" "no longer".
            out.append("no longer")
            i += 1
            continue
        negated = negated or (language == FRENCH and (folded in ("ne", "n") or folded.startswith("n'")))
        for n in range(longest(language), 1, -1):
            found = _words_from(pieces, i, n)
            if found and (english := _look_up(found[0], language)) is not None:
                out.append(english)
                i = found[1]
                break
        else:
            out.append(_word(piece, language, keep_unread))
            i += 1
    # Dropped words leave runs of spaces; lines stay lines.
    return "\n".join(" ".join(line.split()) for line in "".join(out).split("\n"))


# The offline model, governance and the pipeline each ask for the same question's reading
# (``policy.question_text``) and every assessment reads the subject again: the last few readings are
# kept. Whoever swaps a glossary or the English word list clears this too (the glossary fixture,
# ``train_intents``).
@functools.lru_cache(maxsize=256)
def english(text: str, language: str | None = None, *, keep_unread: bool = False) -> str:
    """What the models read of a customer's ``text`` (in ``language``, detected when not given):
    itself with its typing slips mended when it is English (``spelling``), else its gist
    (``to_english``)."""
    language = language or of_message(text)
    return spelling.mend(text) if language == ENGLISH else to_english(text, language, keep_unread=keep_unread)
