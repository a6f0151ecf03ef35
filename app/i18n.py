"""Translations and local formatting, per person rather than per request.

Catalogs are the `.po` files in `locales/`; they are compiled in memory when first
used, so there is no build step to forget. English is the source language: its
msgids are the English text.
"""

from datetime import datetime
from functools import lru_cache
from io import BytesIO

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.config import ROOT

LOCALES_DIR = ROOT / "locales"
SOURCE_LANGUAGE = "en"
# Babel locale used for dates per language code; English here is written in Norway.
_BABEL_LOCALE = {"en": "en_GB", "nb": "nb_NO", "nn": "nn_NO"}
KEYWORD_CONTEXT = "keyword"


def catalog_path(language: str):
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=32)
def translations(language: str) -> NullTranslations:
    """The compiled catalog for a language (the msgids themselves for English)."""
    path = catalog_path(language)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, msgid: str) -> str:
    return translations(language).gettext(msgid)


def keyword_words(language: str, msgid: str) -> list[str]:
    """The words a language accepts for one keyword: `JOIN|SIGN UP` -> ["JOIN", "SIGN UP"]."""
    text = translations(language).pgettext(KEYWORD_CONTEXT, msgid)
    return [w.strip() for w in text.split("|") if w.strip()]


def babel_locale(language: str) -> Locale:
    return Locale.parse(_BABEL_LOCALE.get(language, language))


def language_name(language: str) -> str:
    """The language's name in itself, as people recognise it: "Norsk bokmål", "English"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def format_day(moment: datetime, language: str, zone) -> str:
    """Weekday and date, short: "tir. 24. nov." / "Tue 24 Nov"."""
    return format_skeleton("MMMEd", moment, tzinfo=zone, locale=babel_locale(language))


def format_clock(moment: datetime, language: str, zone) -> str:
    """Time of day: "11:00"."""
    return format_time(moment, "short", tzinfo=zone, locale=babel_locale(language))


def N_(msgid: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark a msgid for extraction; translate it later with `gettext(language, msgid)`."""
    return msgid


def language_menu() -> str:
    """"1 Norsk bokmål, 2 English": each enabled language named in itself, numbered."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    return ", ".join(f"{i} {language_name(code)}" for i, code in enumerate(languages, 1))
