"""The keyword parser: forgiving of case, accents, spacing, punctuation, typos and digits."""

import pytest

from app.conversation.keywords import Vocabulary, normalise

VOCAB = Vocabulary(
    {
        "join": {"nb": ["MELD", "MELD PÅ"], "en": ["JOIN"]},
        "cancel": {"nb": ["AVMELD"], "en": ["CANCEL"]},
        "activities": {"nb": ["AKTIVITETER"], "en": ["ACTIVITIES"]},
        "language": {"nb": ["SPRÅK"], "en": ["LANGUAGE"]},
        "more": {"nb": ["MER"], "en": ["MORE"]},
    }
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("meld 12", "meld 12"),
        ("Meld12", "meld 12"),
        ("MELD #12", "meld 12"),
        ("  SPRÅK!! ", "sprak"),
        ("Aktivitetér", "aktiviteter"),
        ("meld ١٢", "meld 12"),  # Arabic-Indic digits
        ("meld ۱۲", "meld 12"),  # Persian digits
        ("ＭＥＬＤ　１２", "meld 12"),  # full-width forms
        ("😀", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text, command, number",
    [
        ("meld 12", "join", 12),
        ("Meld12", "join", 12),
        ("MELD #12", "join", 12),
        ("meld på 12", "join", 12),
        ("MELD 12.", "join", 12),
        ("avmeld 12", "cancel", 12),
        ("CANCEL 12", "cancel", 12),
        ("aktivitter", "activities", None),  # one letter missing
        ("AKTIVITEETR", "activities", None),  # two slips in a long word
        ("Languge", "language", None),
        ("sprak", "language", None),
        ("join ١٢", "join", 12),
    ],
)
def test_commands_are_found(text, command, number):
    parsed = VOCAB.parse(text)
    assert (parsed.command, parsed.number) == (command, number)


def test_the_language_of_the_keyword_is_known_when_only_one_language_has_it():
    assert VOCAB.parse("MELD 3").language == "nb"
    assert VOCAB.parse("JOIN 3").language == "en"


@pytest.mark.parametrize("text", ["hei", "mor", "stor", "12345678901234567890 meld"])
def test_unknown_text_is_not_guessed_into_a_command(text):
    assert VOCAB.parse(text).command is None


def test_short_words_get_no_typo_guessing():
    # "mer" and "meld" are one edit apart from many things; only exact matches count.
    assert VOCAB.parse("mel").command is None


def test_a_bare_number_is_a_number_and_empty_is_empty():
    assert VOCAB.parse(" 3 ").number == 3
    assert VOCAB.parse("٣").number == 3
    assert VOCAB.parse("   ").empty
    assert VOCAB.parse("👍").empty


def test_a_huge_number_is_not_a_code():
    assert VOCAB.parse("9" * 40).number is None
