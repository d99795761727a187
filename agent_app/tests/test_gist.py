"""gist: a German, French or Spanish message read in English by the models that only read English
(the intent layer, the knowledge search, the answerability gate, governance's patterns)."""
from __future__ import annotations

import pytest

from agent_app.judgement import gist


@pytest.mark.parametrize(("text", "words"), [
    ("Quiero un reembolso del último cargo", {"refund", "charge"}),
    ("Hola, ¿cómo puedo cambiar mi contraseña?", {"how", "password"}),
    ("j'ai oublié mon mot de passe", {"forgot", "password"}),
    ("Bonjour, comment exporter un projet en CSV ?", {"export", "project", "csv"}),
    ("Ich möchte mein Passwort zurücksetzen", {"password", "reset"}),
    ("ich moechte mein passwort zuruecksetzen", {"password", "reset"}),  # umlauts spelled out
])
def test_a_message_in_another_language_reads_in_the_words_the_models_know(text, words):
    english = gist.english(text).lower()
    assert words <= set(english.replace("?", " ").split())


def test_english_and_what_the_glossary_lacks_stay_as_written():
    assert gist.english("How do I reset my password?") == "How do I reset my password?"
    # Signed off in German, still English: the sign-off doesn't decide ("was" is German for "what").
    signed = "My account was hacked!\n\nMit freundlichen Grüßen\nJörg Müller"
    assert gist.english(signed) == signed
    assert "Loomline" in gist.english("¿Loomline funciona sin conexión en el móvil?")
    assert gist.to_english("anything", "xx") == "anything"  # a language without a glossary


def test_lines_and_question_marks_survive():
    english = gist.english("Buenos días,\n\n¿Cómo exporto un proyecto?\n\nSaludos,\nMarta")
    assert english.count("\n") == 5 and english.rstrip().endswith("Marta") and "?" in english
    assert "¿" not in english


def test_every_glossary_phrase_reads_as_its_english():
    # Longest phrase first, however long: "règlement général sur la protection des données" is one entry.
    for language in ("de", "fr", "es"):
        table = gist.glossary(language)
        wrong = {phrase: gist.to_english(phrase, language) for phrase, english in table.items()
                 if english and gist.to_english(phrase, language) != english}
        assert len(wrong) <= len(table) // 50, (language, list(wrong.items())[:10])


def test_french_ne_plus_keeps_its_negation():
    assert "no longer" in gist.english("je n'arrive plus à me connecter")


def test_german_spellings_fold_to_the_same_word():
    assert gist.fold("Grüße", "de") == gist.fold("gruesse", "de") == gist.fold("GRÜSSE", "de")
    assert gist.fold("contraseña", "es") == gist.fold("contrasena", "es")


def test_a_word_typed_with_its_umlaut_or_accent_keeps_its_own_meaning():
    # "würde" and "wurde" fold alike; before, "ich würde gerne kündigen" read "i was like to cancel".
    assert "would" in gist.to_english("Ich würde gerne kündigen", "de")
    assert "was" in gist.to_english("Das Passwort wurde geändert", "de")
    assert "change" in gist.to_english("wie ich das Passwort ändere", "de")
    assert "other" in gist.to_english("ein anderes Passwort", "de")
    # Spelled out, an umlaut is still that umlaut; left out, the word reads as what it most often means.
    assert gist.to_english("wuerde", "de") == gist.to_english("würde", "de") == "would"
    assert gist.to_english("wurde", "de") == "was"


def test_a_french_elision_reads_its_word_as_typed():
    # "achète" (buy) folds like "acheté" (bought); the part after the apostrophe is looked up as typed too.
    assert gist.to_english("j'achète", "fr") == "i buy"


def _clear_glossary_caches() -> None:
    # Everything read from the glossaries, the readings of whole messages included.
    for cached in (gist.glossary, gist.glossary_as_typed, gist.longest, gist.english):
        cached.cache_clear()


@pytest.fixture
def glossaries(tmp_path, monkeypatch):
    """Glossaries written for a test (language -> its lines) in place of the real ones."""
    def write(**files: str) -> None:
        for language, text in files.items():
            (tmp_path / f"{language}.tsv").write_text(text, encoding="utf-8")
        _clear_glossary_caches()

    monkeypatch.setattr(gist, "GLOSSARY_DIR", tmp_path)
    yield write
    _clear_glossary_caches()


def test_the_first_entry_of_a_spelling_is_its_meaning(glossaries):
    glossaries(fr="ou\tor\nou\teither\noù\twhere\n")
    assert gist.to_english("ou où", "fr") == "or where"


def test_a_form_the_glossary_lacks_reads_as_the_form_it_has(glossaries):
    glossaries(fr="terminé\tfinished\ncarte\tcard\n",
               es="opción\toption\nregistrado\tregistered\ncaso\tcase\npasar\tmove\n",
               de="zusätzlich\tadditional\nwie\thow\n")
    assert gist.to_english("cartes terminées", "fr") == "card finished"
    assert gist.to_english("opciones registradas", "es") == "option registered"
    assert gist.to_english("zusätzlichen", "de") == "additional"
    assert gist.to_english("pasárselas", "es") == "move"  # the pronouns after an infinitive
    # Not down to a stem of three letters, and no gender change in a Spanish noun: other words.
    assert "how" not in gist.to_english("Wien", "de")
    assert "case" not in gist.to_english("casa", "es")


def test_a_german_compound_the_glossary_lacks_reads_as_its_parts(glossaries):
    glossaries(de="sicherheit\tsecurity\neinstellungen\tsettings\njahre\tyears\nende\tend\n"
                  "sende\tsend\nüber\tabout\nnehmen\ttake\nsich\tthemselves\n")
    assert gist.to_english("Sicherheitseinstellungen", "de") == "security settings"  # a linking "s"
    assert gist.to_english("Jahresende", "de") == "years end"  # the shortest last part: not "Jahre|sende"
    assert "about" not in gist.to_english("übernehmen", "de")  # a verb prefix, not "about take"
    glossaries(de="nachrichten\tmessages\nverlauf\thistory\nnach\tafter\n")
    assert gist.to_english("Nachrichtenverlauf", "de") == "messages history"  # starts like "nach", is no verb
    assert gist.to_english("x" * (gist.COMPOUND_LETTERS + 1), "de") == ""  # no look-up per cut of a pasted key


def test_a_word_the_models_cannot_read_is_left_out():
    # Neither the glossary's, nor English, nor the Help Centre's: a name, or a word the glossary lacks.
    english = gist.to_english("Frau Pichler nutzt Zapier und Slack für das ERP-Zeugs", "de")
    assert "Zapier" in english and "Slack" in english
    assert "Pichler" not in english and "Zeugs" not in english
    assert "ERP" in english and "HubSpot" in gist.to_english("mit HubSpot", "de")  # an acronym, a CamelCase name
    # An English word in a French message stays English: "comments" is no plural of "comment" (how).
    assert gist.to_english("les comments", "fr") == "comments"
    assert "trash" not in gist.to_english("Frau Müller", "de")  # a capitalised name, not "Müll" with an ending
    assert gist.to_english("qu'Xyzzy", "fr") == "that"  # after an elision too
    # The grounding check keeps them: a claim in words it can't read must not vanish from a reply.
    assert "Zeugs" in gist.to_english("das ERP-Zeugs", "de", keep_unread=True)
