"""Property tests of keyword parsing: whatever people type, parsing never fails, and the
forgiving rules (case, accents, punctuation, spacing, any script's digits) always hold."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from app import i18n
from app.config import Config
from app.conversation.flow import get_flow
from app.conversation.keywords import normalise
from app.conversation.vocabulary import vocabulary

FLOW = get_flow("sms")
LANGUAGES = tuple(dict.fromkeys(("nb", "en", *Config.LANGUAGES)))
VOCABULARY = vocabulary(FLOW, LANGUAGES)
COLLIDING = {key for key, _ in VOCABULARY.collisions}
# Every (command, word) a person may type, in every enabled language, that means one thing.
WORDS = sorted(
    {
        (name, word)
        for name, command in FLOW.commands.items()
        if command.keyword
        for language in (*LANGUAGES, i18n.SOURCE_LANGUAGE)
        for word in i18n.keyword_words(language, command.keyword)
        if normalise(word) and normalise(word) not in COLLIDING
    }
)
# The zero of every script with decimal digits (Arabic-Indic, Devanagari, fullwidth …).
ZEROS = [
    chr(c)
    for c in range(0x110000)
    if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0
]
TEXT = st.text(max_size=1600)
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(TEXT)
def test_normalising_never_fails_and_leaves_plain_words(text):
    out = normalise(text)
    assert out == out.strip() and "  " not in out and "_" not in out
    assert all(ch == " " or ch.isalnum() for ch in out)
    assert all(ch in "0123456789" for ch in out if unicodedata.decimal(ch, None) is not None)


@FAST
@given(st.text(max_size=60))
def test_case_never_matters(text):
    # (Not "no capitals come out": Unicode folds Cherokee to its capitals.)
    assert normalise(text.upper()) == normalise(text.lower()) == normalise(text)


@FAST
@given(TEXT)
def test_normalising_twice_changes_nothing(text):
    once = normalise(text)
    assert normalise(once) == once


@FAST
@given(TEXT)
def test_parsing_any_text_gives_a_command_a_small_number_or_nothing(text):
    parsed = VOCABULARY.parse(text)
    assert parsed.command is None or isinstance(parsed.command, str)
    assert parsed.number is None or 0 <= parsed.number < 10**9


def _shout_or_whisper(word: str, cases: list[bool]) -> str:
    return "".join(ch.upper() if up else ch.lower() for ch, up in zip(word, cases, strict=False))


PUNCTUATION = st.sampled_from(["", " ", ".", "!", "?", "!!", " ...", "«", "»", "\n", "\t", "*"])


@FAST
@given(
    st.sampled_from(WORDS),
    st.lists(st.booleans(), min_size=40, max_size=40),
    PUNCTUATION,
    PUNCTUATION,
)
def test_every_keyword_is_understood_in_any_case_with_any_punctuation(entry, cases, before, after):
    command, word = entry
    typed = before + _shout_or_whisper(word, cases) + after
    assert VOCABULARY.parse(typed).command == command, typed


@FAST
@given(
    st.sampled_from(WORDS),
    st.integers(min_value=0, max_value=999_999),
    st.sampled_from(["", " ", "  ", " #", "#", " nr ", ": "]),
)
def test_a_number_after_a_keyword_is_read_however_it_is_joined(entry, number, joint):
    command, word = entry
    parsed = VOCABULARY.parse(f"{word}{joint}{number}")
    assert parsed.command == command
    assert parsed.number == number


@FAST
@given(st.integers(min_value=0, max_value=99_999), st.sampled_from(ZEROS))
def test_a_bare_number_in_any_script_is_that_number(number, zero):
    typed = "".join(chr(ord(zero) + int(d)) for d in str(number))
    parsed = VOCABULARY.parse(typed)
    assert (parsed.command, parsed.number) == (None, number)
