"""Activities in residents' own languages: stored per language, shown to each reader in
theirs, or in Norwegian with "(in Norwegian)"; edited on the staff pages, imported by CSV."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import i18n
from app.extensions import db
from app.jobs.reminders import send_due_reminders
from app.models import Activity, ActivityTranslation, Person
from app.services import activities, activity_import, signups
from app.services.activity_translations import (
    TranslationError,
    localised,
    remove_translation,
    set_translation,
)
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.conftest import RESIDENT
from tests.staff_helpers import csrf_token, make_staff, sign_in

OSLO = ZoneInfo("Europe/Oslo")
KNITTING_PL = "Kawiarnia z drutami"


def resident(language: str, phone: str = RESIDENT) -> Person:
    person = find_or_create(phone)
    person.language = language
    db.session.commit()
    return person


def knitting(**fields) -> Activity:
    fields.setdefault("description", "Ta med garn og pinner.")
    occurrence = factories.occurrence("Strikkekafé", capacity=5, **fields)
    return occurrence.activity


# --- the service ----------------------------------------------------------------------------


def test_a_translation_is_kept_replaced_and_removed(ctx):
    activity = knitting()
    set_translation(activity, "pl", KNITTING_PL, "Przynieś włóczkę.")
    set_translation(activity, "pl", "  Dzierganie  ", None)
    db.session.commit()
    [row] = db.session.scalars(sa.select(ActivityTranslation)).all()
    assert (row.language, row.title, row.description) == ("pl", "Dzierganie", None)
    assert remove_translation(activity, "pl") and not remove_translation(activity, "pl")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityTranslation)) == 0


@pytest.mark.parametrize("language, title", [("nb", "Strikk"), ("xx", "Strikk"), ("pl", " ")])
def test_a_translation_must_be_for_another_enabled_language_and_have_a_title(
    ctx, language, title
):
    with pytest.raises(TranslationError):
        set_translation(knitting(), language, title)


def test_each_reader_gets_their_language_or_norwegian_with_a_note(ctx):
    activity = knitting()
    set_translation(activity, "pl", KNITTING_PL)  # no description: that stays Norwegian
    db.session.commit()

    polish, english = localised(activity, "pl"), localised(activity, "en")
    note = i18n.gettext("pl", "(in Norwegian)")
    assert polish.noted_title == KNITTING_PL
    assert polish.noted_description == f"Ta med garn og pinner. {note}"
    assert english.noted_title == "Strikkekafé (in Norwegian)"
    assert localised(activity, "nb").noted_title == "Strikkekafé"
    assert localised(activity, "nn").noted_title == "Strikkekafé"  # nynorsk reads bokmål


def test_deleting_an_activity_deletes_its_translations(ctx):
    activity = knitting()
    set_translation(activity, "uk", "В'язання")
    db.session.commit()
    for occurrence in db.session.scalars(sa.select(activities.Occurrence)).all():
        db.session.delete(occurrence)
    db.session.delete(activity)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityTranslation)) == 0


# --- what residents see and hear -------------------------------------------------------------


def test_the_sms_list_shows_each_reader_their_title(ctx, sms):
    activity = knitting()
    set_translation(activity, "pl", KNITTING_PL)
    db.session.commit()

    resident("pl")
    assert KNITTING_PL in sms("AKTIVITETER")[0]
    resident("en", "+4791234999")
    [english] = sms("ACTIVITIES", phone="+4791234999")
    assert "Strikkekafé (in Norwegian)" in english
    resident("nb", "+4791234998")
    [norwegian] = sms("AKTIVITETER", phone="+4791234998")
    assert "Strikkekafé," in norwegian and "norsk)" not in norwegian


def test_info_shows_the_translated_description(ctx, sms):
    activity = knitting()
    set_translation(activity, "en", "Knitting café", "Bring yarn and needles.")
    db.session.commit()
    code = db.session.scalar(sa.select(activities.Occurrence.code))
    resident("en")

    [reply] = sms(f"INFO {code}")

    assert reply.startswith("Knitting café, ") and "Bring yarn and needles." in reply
    assert "Ta med garn" not in reply


def test_reminders_and_cancellations_use_the_readers_title(ctx, app, run_jobs, fake_twilio):
    start = datetime.combine(datetime.now(OSLO).date() + timedelta(days=1),
                             datetime.min.time(), OSLO).replace(hour=18)  # fmt: skip
    occurrence = factories.occurrence("Strikkekafé", capacity=5, starts_at=start)
    set_translation(occurrence.activity, "en", "Knitting café")
    person = resident("en")
    signup = signups.join(person, occurrence, utcnow() - timedelta(days=2)).signup
    signup.created_at = utcnow() - timedelta(days=2)
    db.session.commit()

    evening = start.replace(hour=17, minute=30) - timedelta(days=1)
    assert send_due_reminders(evening) == 1
    activities.cancel_occurrence(db.session.get(activities.Occurrence, occurrence.id))
    db.session.commit()
    run_jobs()

    reminder, cancelled = fake_twilio.bodies_to(RESIDENT)
    assert reminder.startswith("Reminder: Knitting café is tomorrow")
    assert cancelled.startswith("Knitting café on ")
    assert "Strikkekafé" not in reminder + cancelled


def test_the_phone_reads_the_callers_title(ctx, voice_call):
    activity = knitting()
    set_translation(activity, "en", "Knitting café")
    db.session.commit()
    resident("en")

    call = voice_call().press("1")

    assert call.said.startswith("Knitting café. ")


def test_the_phone_says_when_a_title_is_in_norwegian(ctx, voice_call):
    knitting()
    resident("en")

    assert voice_call().press("1").said.startswith("Strikkekafé (in Norwegian). ")


def _statements(app, send) -> list[str]:
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            send()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_a_translated_list_costs_one_query_more_however_many_activities(app, ctx, sms):
    for i in range(3):
        activity = factories.occurrence(f"Aktivitet {i}", timedelta(days=1 + i)).activity
        set_translation(activity, "en", f"Activity {i}")
    db.session.commit()
    resident("nb"), resident("en", "+4791234999")

    norwegian = _statements(app, lambda: sms("AKTIVITETER"))
    english = _statements(app, lambda: sms("ACTIVITIES", phone="+4791234999"))

    extra = [s for s in english if "activity_translations" in s]
    assert len(extra) == 1 and not [s for s in norwegian if "activity_translations" in s]


# --- staff pages ---------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(app, client):
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    return client


def _edit(client, activity_id: int, **extra):
    token = csrf_token(client, "/staff/activities/new")
    data = {
        "title": "Strikkekafé", "organisation": "Fjordvik frivilligsentral",
        "place": "Biblioteket", "date": (datetime.now(OSLO) + timedelta(days=3)).date().isoformat(),
        "time": "18:00", "duration_minutes": "120", "capacity": "5", "csrf_token": token, **extra,
    }  # fmt: skip
    return client.post(f"/staff/activities/{activity_id}/edit", data=data)


def test_staff_see_a_title_and_description_field_per_language(app, coordinator_client):
    with app.app_context():
        activity_id = knitting().id

    page = coordinator_client.get(f"/staff/activities/{activity_id}/edit").get_data(as_text=True)

    for code in ("nn", "en", "pl", "lt", "uk", "ar", "so", "ti", "ur", "fa"):
        assert f'name="translation_{code}-title"' in page
        assert f'name="translation_{code}-description"' in page
    assert 'name="translation_nb-title"' not in page  # the activity's own language
    assert '<legend lang="ar">العربية</legend>' in page
    assert 'dir="rtl" id="translation_ar-title"' in page or 'id="translation_ar-title"' in page
    assert 'lang="ar"' in page and 'dir="rtl"' in page


def test_staff_add_change_and_clear_translations(app, coordinator_client):
    with app.app_context():
        activity_id = knitting().id

    response = _edit(coordinator_client, activity_id, **{
        "translation_pl-title": KNITTING_PL, "translation_ar-title": "مقهى الحياكة",
        "translation_ar-description": "أحضر الصوف.",
    })  # fmt: skip
    assert response.status_code == 302
    page = coordinator_client.get(f"/staff/activities/{activity_id}/edit").get_data(as_text=True)
    assert f'value="{KNITTING_PL}"' in page and "أحضر الصوف." in page

    _edit(coordinator_client, activity_id, **{"translation_ar-title": "مقهى الحياكة"})
    with app.app_context():
        rows = db.session.scalars(sa.select(ActivityTranslation)).all()
        assert [(r.language, r.title, r.description) for r in rows] == [
            ("ar", "مقهى الحياكة", None)
        ]


def test_a_description_without_a_title_is_refused_kindly(app, coordinator_client):
    with app.app_context():
        activity_id = knitting().id

    response = _edit(coordinator_client, activity_id, **{"translation_uk-description": "Опис"})

    assert response.status_code == 200
    assert "Write the title too, or leave both empty." in response.get_data(as_text=True)


def test_a_new_activity_can_have_translations_at_once(app, coordinator_client):
    token = csrf_token(coordinator_client, "/staff/activities/new")
    response = coordinator_client.post("/staff/activities/new", data={
        "title": "Turgruppe", "organisation": "Fjordvik frivilligsentral", "place": "Torget",
        "date": (datetime.now(OSLO) + timedelta(days=3)).date().isoformat(), "time": "11:00",
        "duration_minutes": "60", "translation_en-title": "Walking group", "csrf_token": token,
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(ActivityTranslation.title)) == "Walking group"


# --- CSV import ------------------------------------------------------------------------------


def test_csv_columns_title_and_description_per_language_are_imported(ctx):
    day = (datetime.now(OSLO) + timedelta(days=5)).date().isoformat()
    csv = ("title;starts_at;place;title_en;description_en;title_uk;title_zz\n"
           f"Strikkekafé;{day} 18:00;Biblioteket;Knitting café;Bring yarn;В'язання;x\n")

    report = activity_import.import_data(csv.encode(), "file:a.csv", "Fjordvik")

    assert report.ok and len(report.created) == 1
    assert {n.msgid for n in report.skipped} == {"Columns not used: {columns}."}  # title_zz
    rows = {r.language: (r.title, r.description)
            for r in db.session.scalars(sa.select(ActivityTranslation))}  # fmt: skip
    assert rows == {"en": ("Knitting café", "Bring yarn"), "uk": ("В'язання", None)}

    again = activity_import.import_data(csv.replace("Knitting café", "Knitting").encode(),
                                        "file:a.csv", "Fjordvik")  # fmt: skip
    assert len(again.updated) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(ActivityTranslation.title).where(
        ActivityTranslation.language == "en")) == "Knitting"  # fmt: skip
