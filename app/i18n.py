"""Translations and local formatting, per person rather than per request.

Catalogs are the `.po` files in `locales/`; they are compiled in memory when first
used, so there is no build step to forget. English is the source language: its
msgids are the English text. What each language needs beyond its catalog (Babel
locale, own name, script direction, voices) is in `app/languages.py`.
"""

from datetime import datetime
from functools import lru_cache
from io import BytesIO

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from app import languages
from app.config import ROOT

LOCALES_DIR = ROOT / "locales"
SOURCE_LANGUAGE = "en"
KEYWORD_CONTEXT = "keyword"
# Translators mark what a native speaker has not checked yet: `#, unreviewed`.
UNREVIEWED = "unreviewed"
# Babel puts (narrow) no-break spaces in times and numbers ("6:00\u202fGD"); one such
# character would turn a whole Somali SMS into UCS-2, and a plain space reads the same.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def catalog_path(language: str):
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=32)
def catalog(language: str) -> Catalog | None:
    """The language's catalog as translators wrote it (flags included), or None."""
    path = catalog_path(language)
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, locale=language)


@lru_cache(maxsize=32)
def translations(language: str) -> NullTranslations:
    """The compiled catalog for a language (the msgids themselves for English)."""
    found = catalog(language)
    if found is None:
        return NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, found)
    buffer.seek(0)
    return Translations(buffer)


def clear_caches() -> None:
    """Read the catalogs again on next use (tests that write a catalog of their own)."""
    catalog.cache_clear()
    translations.cache_clear()


def gettext(language: str, msgid: str) -> str:
    return translations(language).gettext(msgid)


def keyword_words(language: str, msgid: str) -> list[str]:
    """The words a language accepts for one keyword: `JOIN|SIGN UP` -> ["JOIN", "SIGN UP"]."""
    text = translations(language).pgettext(KEYWORD_CONTEXT, msgid)
    return [w.strip() for w in text.split("|") if w.strip()]


def babel_locale(language: str) -> Locale:
    """The CLDR locale for a language's dates and numbers: nb -> nb_NO, ar -> ar."""
    row = languages.get(language)
    return Locale.parse(row.babel if row else language)


def language_name(language: str) -> str:
    """The language's name in itself, as people recognise it: "Norsk bokmål", "العربية"."""
    row = languages.get(language)
    if row:
        return row.name
    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]


def name_in(language: str, in_language: str) -> str:
    """A language's name as another language says it: ("ti", "nb") -> "tigrinja"."""
    try:
        return Locale.parse(in_language).languages.get(language) or language_name(language)
    except (ValueError, UnknownLocaleError):
        return language_name(language)


def names_for(language: str, in_languages) -> dict[str, list[str]]:
    """Every name people may write for a language, by the language the name is in: its
    own name and aliases, and its name in each of `in_languages`.

    ("pl", ["nb", "en", "ar"]) -> {"pl": ["Polski"], "nb": ["polsk"], "en": ["Polish"],
    "ar": ["البولندية"]}.
    """
    row = languages.get(language)
    names = {language: [language_name(language), *(row.aliases if row else ())]}
    for other in in_languages:
        names.setdefault(other, []).append(name_in(language, other))
    return names


def format_day(moment: datetime, language: str, zone) -> str:
    """Weekday and date, short: "tir. 24. nov." / "Tue 24 Nov" / "الثلاثاء، 24 نوفمبر".

    Digits stay 0-9 in every language (Babel's default numbering, "latn"): the same
    messages carry codes people type back, and one kind of digit is less to puzzle over.
    """
    text = format_skeleton("MMMEd", moment, tzinfo=zone, locale=babel_locale(language))
    return text.translate(_SPACES)


def format_clock(moment: datetime, language: str, zone) -> str:
    """Time of day as the language writes it: "11:00", "6:00 م"."""
    text = format_time(moment, "short", tzinfo=zone, locale=babel_locale(language))
    return text.translate(_SPACES)


def format_number(number, language: str) -> str:
    """A number with the language's separators ("1 234,5"), in digits 0-9."""
    text = format_decimal(number, locale=babel_locale(language), numbering_system="latn")
    return text.translate(_SPACES)


def N_(msgid: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark a msgid for extraction; translate it later with `gettext(language, msgid)`."""
    return msgid


def language_menu() -> str:
    """Each enabled language named in itself, numbered, one per line:

    "\\n1 Norsk bokmål\\n2 Norsk nynorsk\\n…\\n7 العربية". One line each, because a line
    mixing right-to-left and left-to-right names is shown in a muddled order.
    """
    from flask import current_app

    enabled = current_app.config["LANGUAGES"]
    return "".join(f"\n{i} {language_name(code)}" for i, code in enumerate(enabled, 1))
