"""Eleven languages: the table, menus, names, digits, dates, encodings and right-to-left SMS."""

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app import i18n, languages
from app.config import Config
from app.conversation.engine import Prompt
from app.conversation.flow import get_flow
from app.conversation.keywords import normalise
from app.conversation.render import RLM, for_sms, mark_rtl, render
from app.extensions import db
from app.models import Person, TaskOffer
from app.services.people import find_or_create, language_of
from app.sms_length import encoding, is_gsm7, segments, to_gsm7
from tests import factories
from tests.conftest import RESIDENT
from tests.task_helpers import ask, reload

ORDER = ["nb", "nn", "en", "pl", "lt", "uk", "ar", "so", "ti", "ur", "fa"]
OWN_NAMES = ["Norsk bokmål", "Norsk nynorsk", "English", "Polski", "Lietuvių", "Українська",
             "العربية", "Soomaali", "ትግርኛ", "اردو", "فارسی / دری"]  # fmt: skip
MOMENT = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday, 18:00 in Oslo
OSLO = ZoneInfo("Europe/Oslo")


def person(phone=RESIDENT) -> Person:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.phone == phone))


# --- the table ----------------------------------------------------------------------------


def test_eleven_languages_are_enabled_by_default_in_the_menus_order():
    assert list(languages.DEFAULT_ORDER) == ORDER
    if "LANGUAGES" not in os.environ:
        assert Config.LANGUAGES == ORDER


def test_each_language_has_its_own_name_a_locale_and_a_direction(app):
    with app.app_context():
        assert [i18n.language_name(code) for code in ORDER] == OWN_NAMES
        for code in ORDER:
            assert i18n.babel_locale(code).language == code
    assert [c for c in ORDER if languages.is_rtl(c)] == ["ar", "ur", "fa"]


def test_voices_and_speech_come_from_the_table():
    voices = languages.default_voices()
    assert voices["pl"] == "Polly.Ola-Neural" and voices["nn"] == voices["nb"]
    assert not {"so", "ti", "ur", "fa"} & set(voices)
    assert languages.get("so").speech is None and languages.get("ti").speech is None
    assert languages.get("fa").speech == "fa-IR" and languages.get("ur").speech == "ur-PK"
    if "VOICE_NB" not in os.environ:
        assert Config.VOICES["nb"] == "Polly.Ida-Neural"


def test_a_voice_variable_overrides_the_tables_voice(monkeypatch):
    import importlib

    import app.config

    monkeypatch.setenv("VOICE_PL", "Google.pl-PL-Wavenet-A")
    monkeypatch.setenv("VOICE_AR", "")
    try:
        reloaded = importlib.reload(app.config)
        assert reloaded.Config.VOICES["pl"] == "Google.pl-PL-Wavenet-A"
        assert reloaded.Config.VOICES["ar"] == ""  # empty: no voice, recordings instead
    finally:
        monkeypatch.undo()
        importlib.reload(app.config)


@pytest.mark.parametrize(
    "phone, language",
    [("+48601234567", "pl"), ("+380501234567", "uk"), ("+963944123456", "ar"),
     ("+9647701234567", "ar"), ("+201001234567", "ar"), ("+252612345678", "so"),
     ("+2917123456", "ti"), ("+923001234567", "ur"), ("+989121234567", "fa"),
     ("+93701234567", "fa"), ("+4791234567", "nb"), ("+442079460123", "en"),
     ("+4915112345678", None)],
)  # fmt: skip
def test_a_numbers_country_suggests_its_language(ctx, phone, language):
    from app.services.people import suggested_language

    assert suggested_language(find_or_create(phone)) == language


# --- dates, times, numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "language, day, clock",
    [("nb", "tir. 24. nov.", "18:00"), ("nn", "ty. 24. nov.", "18:00"),
     ("pl", "wt., 24 lis", "18:00"), ("uk", "вт, 24 лист.", "18:00"),
     ("ar", "الثلاثاء، 24 نوفمبر", "6:00 م"), ("so", "Tldo, Nof 24", "6:00 GD"),
     ("ti", "ሰሉ፣ 24 ሕዳ", "6:00 ድ.ቀ."), ("ur", "منگل، 24 نومبر", "6:00 PM"),
     ("fa", "سه\u200cشنبه 24 نوامبر", "18:00")],
)  # fmt: skip
def test_dates_and_times_are_in_each_languages_own_words_with_digits_0_to_9(
    app, language, day, clock
):
    assert i18n.format_day(MOMENT, language, OSLO) == day
    assert i18n.format_clock(MOMENT, language, OSLO) == clock


def test_no_babel_space_turns_a_somali_text_into_ucs2():
    text = f"Waqtiga: {i18n.format_clock(MOMENT, 'so', OSLO)}"
    assert is_gsm7(text)
    assert i18n.format_number(1234.5, "nb") == "1 234,5"
    assert i18n.format_number(1234, "ar") == "1,234"  # 0-9: the digits people type back


# --- SMS encoding -------------------------------------------------------------------------


def test_diacritics_gsm7_lacks_are_dropped_and_other_scripts_kept():
    assert to_gsm7("Zapisałeś się na Łódź, żółć") == "Zapisales sie na Lodz, zolc"
    assert to_gsm7("Užsiregistravote į būrelį") == "Uzsiregistravote i bureli"
    assert to_gsm7("Strikkekafé på Ørsta") == "Strikkekafé på Ørsta"  # GSM-7 already
    assert to_gsm7("Українська") == "Українська"


def test_polish_sms_is_gsm7_by_default_but_not_on_the_phone(ctx, app):
    assert "pl" in app.config["SMS_TRANSLITERATE"] and "lt" in app.config["SMS_TRANSLITERATE"]
    assert for_sms("Dziękujemy, zapisałeś się!", "pl") == "Dziekujemy, zapisales sie!"
    app.config["SMS_TRANSLITERATE"] = []
    assert encoding(for_sms("Dziękujemy!", "pl")) == "UCS-2"
    app.config["SMS_TRANSLITERATE"] = ["pl"]
    voice = get_flow("voice")
    assert render(voice, [Prompt("{title}", {"title": "Łódź"})], "pl") == ["Łódź"]


def test_ucs2_segments_are_counted_at_67_characters():
    assert segments("ж" * 70) == 1 and segments("ж" * 71) == 2
    assert segments("ж" * 134) == 2 and segments("ж" * 135) == 3
    assert segments("x" * 306) == 2 and segments("x" * 307) == 3


# --- right to left ------------------------------------------------------------------------


def test_a_right_to_left_line_starting_with_a_latin_word_gets_a_mark():
    text = "JA 45 للتسجيل\nأرسل JA 45\n1 Norsk bokmål\n7 العربية"
    assert mark_rtl(text).split("\n") == [RLM + "JA 45 للتسجيل", "أرسل JA 45",
                                          "1 Norsk bokmål", "7 العربية"]  # fmt: skip


def test_marks_are_added_in_arabic_urdu_and_persian_sms_only(ctx):
    line = "12 Strikkekafé، الثلاثاء"
    assert for_sms(line, "ar").startswith(RLM) and for_sms(line, "fa").startswith(RLM)
    assert for_sms(line, "ur").startswith(RLM)
    assert for_sms(line, "uk") == line and for_sms(line, "nb") == line


# --- normalising what people type -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed, same_as",
    [("عـــربي", "عربي"), ("مَرْحَبًا", "مرحبا"), ("فارسی", "فارسي"), ("کمک", "كمك"),
     ("العربيه", "العربية"), ("СТОП", "стоп"), ("ПІДПИСАТИСЯ", "підписатися"),
     ("\u200fJA 45", "ja 45"), ("ja ٤٥", "ja 45"), ("ja ۴۵", "ja 45"), ("ja ４５", "ja 45"),
     ("ja ፬፭", "ja 45"), ("می\u200cخواهم", "می خواهم")],
)  # fmt: skip
def test_normalise_folds_scripts_people_write_in_more_than_one_way(typed, same_as):
    assert normalise(typed) == normalise(same_as)


# --- the SMS language menu ----------------------------------------------------------------


def test_the_sms_menu_lists_every_language_numbered_one_per_line_in_its_own_script(ctx, sms):
    [reply] = sms("Hei")
    menu = reply.split("\n")[-11:]
    assert menu == [f"{i} {name}" for i, name in enumerate(OWN_NAMES, 1)]
    assert segments(reply) <= 5  # eleven scripts: UCS-2; sent once per person


@pytest.mark.parametrize("answer, language", [("10", "ur"), ("11", "fa"), ("١١", "fa"),
                                               ("۴", "pl")])  # fmt: skip
def test_two_digit_and_other_script_numbers_choose_a_language(ctx, sms, answer, language):
    sms("Hei")
    sms(answer)
    assert person().language == language


@pytest.mark.parametrize(
    "answer, language",
    [("polski", "pl"), ("Polish", "pl"), ("polsk", "pl"), ("العربية", "ar"), ("عربي", "ar"),
     ("Arabic", "ar"), ("українська", "uk"), ("Soomaali", "so"), ("ትግርኛ", "ti"),
     ("urdu", "ur"), ("farsi", "fa"), ("فارسی", "fa"), ("dari", "fa"), ("nynorsk", "nn"),
     ("English", "en"), ("lietuviu", "lt")],
)  # fmt: skip
def test_a_language_can_be_chosen_by_its_name_in_any_script(ctx, sms, answer, language):
    sms("Hei")
    [reply] = sms(answer)
    assert person().language == language
    assert for_sms(i18n.language_name(language), language) in reply  # lt: "Lietuviu"


def test_a_languages_name_switches_language_from_anywhere(ctx, sms):
    sms("Hei"), sms("1")  # bokmål, in the menu
    [reply] = sms("English")
    assert reply.startswith("We will write to you in English.")
    assert person().language == "en"


# --- everyone's words in every language ----------------------------------------------------


def test_a_ukrainian_who_types_stop_is_opted_out(ctx, sms):
    db.session.add(Person(phone=RESIDENT, language="uk"))
    db.session.commit()
    sms("STOP")
    assert person().opted_out


def test_a_ukrainian_who_types_norwegian_or_english_keywords_is_understood(ctx, sms):
    factories.occurrence("Strikkekafé", capacity=5)
    db.session.add(Person(phone=RESIDENT, language="uk"))
    db.session.commit()
    for word in ("AKTIVITETER", "activities"):
        [reply] = sms(word)
        assert "Strikkekaf" in reply


@pytest.mark.parametrize("answer", ["JA {code}", "ja {arabic}", "JA{persian}", "tak {code}"])
def test_a_polish_volunteer_says_yes_in_any_language_and_any_digits(ctx, sms, app, answer):
    app.config["QUIET_HOURS"] = "0-0"
    # The languages this is about (a task must fit every enabled language's SMS).
    app.config["LANGUAGES"] = ["nb", "en", "pl", "uk"]
    pawel = factories.volunteer("+4791100009", "Paweł", "pl")
    task = factories.task(needed=1)
    ask(task, [pawel])
    code = str(task.code)
    typed = answer.format(
        code=code,
        arabic="".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in code),
        persian="".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code),
    )
    sms(typed, phone="+4791100009")
    assert reload(task).accepted == 1
    assert db.session.scalar(sa.select(TaskOffer.status)) == "accepted"


def test_the_guess_is_only_an_enabled_language(ctx, app):
    assert language_of(find_or_create("+48601234567")) == "pl"
    app.config["LANGUAGES"] = ["nb", "en"]
    assert language_of(find_or_create("+48601234568")) == "nb"  # the default


def test_a_task_is_measured_in_the_languages_its_volunteers_read(ctx):
    from datetime import timedelta

    from app.services.task_planning import TaskError, create_task
    from app.timeutil import utcnow

    coordinator = factories.coordinator()

    def refused(**fields) -> str:
        with pytest.raises(TaskError) as error:
            create_task(coordinator, title="Kjøring", place="Her", now=utcnow(),
                        starts_at=utcnow() + timedelta(days=2), description="Д" * 160,
                        **fields)  # fmt: skip
        return str(error.value.values["where"])

    assert "[nb]" in refused() and "[uk]" not in refused()  # nobody volunteers in Ukrainian
    assert "[nb]" not in refused(language="uk") and "[uk]" in refused(language="uk")
    factories.volunteer("+4791100077", "Olena", "uk")
    assert "[uk]" in refused() and "[ar]" not in refused()
