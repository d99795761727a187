"""spelling: an English message's typing slips mended before the models read it, and nothing else
touched. The messages are our own, written for these tests; none is a training or evaluation line."""
from __future__ import annotations

import numpy as np
import pytest

from agent_app.judgement import gist, spelling
from agent_app.tests.test_transition_suite import run


@pytest.mark.parametrize(("slip", "meant"), [
    ("exprot", "export"),          # two letters swapped
    ("invoce", "invoice"),         # one dropped
    ("notifcations", "notifications"),
    ("cancle", "cancel"),
    ("subscripton", "subscription"),
    ("worksapce", "workspace"),    # a Help Centre word, not in the English list
    ("acount", "account"),         # not "count": the first letter is kept
])
def test_a_slipped_word_reads_as_the_word_meant(slip, meant):
    assert spelling.mended(slip) == meant


@pytest.mark.parametrize("word", [
    "password", "webhook", "workspace",  # English or the Help Centre's own words
    "didnt", "doesnt", "theres",         # contractions typed without their apostrophe
    "teh", "pls",                        # too short to guess
    "zqxjv",                             # nothing known is one edit away
])
def test_a_known_word_or_one_too_short_to_guess_stays(word):
    assert spelling.mended(word) == word


def test_only_lower_case_words_are_mended_and_the_text_keeps_its_shape():
    text = "Hi, Pieter here.\nI cant find the exprot optoin for my invoce (PDF) - SSO is on, it doesn’t work."
    assert spelling.mend(text) == (
        "Hi, Pieter here.\nI cant find the export option for my invoice (PDF) - SSO is on, it doesn’t work.")
    # A word with an accent is no English slip, and is read whole ("trouvé", not "trouv" + "é").
    assert spelling.mend("désolé, c'est trouvé") == "désolé, c'est trouvé"


def test_every_english_reading_is_mended_and_no_foreign_one():
    assert gist.english("how do i exprot a projet to csv") == "how do i export a project to csv"
    # Spanish is read through its glossary; an unknown Spanish word is not an English slip.
    spanish = "¿Cómo puedo exportar un proyecto?"
    assert gist.english(spanish) == gist.to_english(spanish, "es")


@pytest.mark.django_db
@pytest.mark.usefixtures("help_centre")
@pytest.mark.parametrize(("text", "article"), [
    # Each of these was escalated as knowledge_not_found before the slips were mended.
    ("how do i trasnfer workspce ownrship to my colleage", "transfer-workspace-ownership"),
    ("notifcations not ariving on my iphnoe", "push-notifications-not-arriving"),
    ("wher do i find my invocies for last yaer", "download-invoices"),
])
def test_a_question_full_of_slips_is_answered_from_the_right_article(text, article):
    outcome, message, replies = run(text, channel="whatsapp")
    assert outcome == "answered"
    assert f"articles/{article}" in replies[0].content


def test_the_committed_word_list_is_what_the_pinned_package_gives(tmp_path):
    built = tmp_path / "english_words.npz"
    assert spelling.write_english_words(built) > 100_000
    with np.load(built) as fresh, np.load(spelling.ENGLISH_WORDS) as committed:
        assert np.array_equal(fresh["hashes"], committed["hashes"])
        assert np.array_equal(fresh["counts"], committed["counts"])
