"""Coordinators' activity pages: who may open them, creating, editing, cancelling with SMS."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Activity, AuditEntry, Occurrence, SignUp
from app.services import activities, signups
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.staff_helpers import csrf_token, make_staff, sign_in

OSLO = ZoneInfo("Europe/Oslo")
ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+447700900123"


def next_weekday_at(hour: int, days_ahead: int = 7) -> datetime:
    """A local time about `days_ahead` days from now, on the hour."""
    day = (datetime.now(OSLO) + timedelta(days=days_ahead)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=OSLO)


def join(occurrence: Occurrence, phone: str, language: str = "nb") -> SignUp:
    person = find_or_create(phone)
    person.name = {ANNE: "Anne Hansen", BJORN: "Bjørn Berg", CHRIS: "Chris Smith"}.get(phone)
    person.language = language
    signup = signups.join(person, occurrence, utcnow()).signup
    db.session.commit()
    return signup


@pytest.fixture
def coordinator_client(app, client):
    with app.app_context():
        user = make_staff("coordinator")
        sign_in(client, user)
    return client


@pytest.fixture
def some_activity(app):
    with app.app_context():
        occurrence = factories.occurrence(capacity=1, starts_at=next_weekday_at(18))
        return occurrence.activity_id, occurrence.id


def post_form(client, path: str, data: dict | None = None):
    """POST a form with the CSRF token every staff page carries in its head."""
    token = csrf_token(client, "/staff/activities/new")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def pages(activity_id: int, occurrence_id: int) -> list[str]:
    return [
        "/staff/activities",
        "/staff/activities/new",
        f"/staff/activities/{activity_id}",
        f"/staff/activities/{activity_id}/edit",
        f"/staff/activities/{activity_id}/cancel",
        f"/staff/occurrences/{occurrence_id}/cancel",
        "/staff/activities/import",
    ]


def test_nobody_unauthenticated_sees_the_activity_pages(client, some_activity):
    for path in pages(*some_activity):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/staff/login" in response.headers["Location"]


def test_staff_role_may_not_open_activity_pages(app, client, some_activity):
    with app.app_context():
        sign_in(client, make_staff("staff"))
    for path in pages(*some_activity):
        assert client.get(path).status_code == 403, path
    assert post_form(client, f"/staff/activities/{some_activity[0]}/cancel").status_code == 403
    with app.app_context():
        assert not db.session.get(Activity, some_activity[0]).cancelled


def test_coordinators_and_admins_open_every_activity_page(app, client, some_activity):
    with app.app_context():
        sign_in(client, make_staff("admin"))
    for path in pages(*some_activity):
        assert client.get(path).status_code == 200, path


def test_create_an_activity_through_the_form_then_see_it_listed(app, coordinator_client):
    start = next_weekday_at(11, days_ahead=3)
    response = post_form(coordinator_client, "/staff/activities/new", {
        "title": "Språkkafé", "organisation": "Fjordvik bibliotek", "place": "Biblioteket",
        "date": start.date().isoformat(), "time": "11:00", "duration_minutes": "90",
        "capacity": "", "repeat_weekly": "y", "repeat_until": "",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        activity = db.session.scalar(sa.select(Activity).where(Activity.title == "Språkkafé"))
        assert activity.starts_at == start
        assert activity.capacity is None and activity.repeat_weekly
        assert activity.organisation.name == "Fjordvik bibliotek"
        occurrences = db.session.scalars(
            sa.select(Occurrence).where(Occurrence.activity_id == activity.id)
        ).all()
        assert len(occurrences) >= 3 and all(o.code for o in occurrences)
    html = coordinator_client.get("/staff/activities").get_data(as_text=True)
    assert "Språkkafé" in html and "Fjordvik bibliotek" in html


def test_the_form_says_kindly_what_is_missing(app, coordinator_client):
    response = post_form(coordinator_client, "/staff/activities/new", {
        "title": "", "organisation": "X", "place": "Y", "date": "1.desember", "time": "18",
        "duration_minutes": "120", "repeat_weekly": "y", "repeat_until": "2000-01-01",
    })  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a title." in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


def test_the_activity_page_lists_sign_ups_and_the_waiting_list_in_order_and_is_audited(
    app, coordinator_client, some_activity
):
    activity_id, occurrence_id = some_activity
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        for phone in (ANNE, BJORN, CHRIS):
            join(occurrence, phone)
    html = coordinator_client.get(f"/staff/activities/{activity_id}").get_data(as_text=True)
    assert "Anne Hansen" in html and "+47…01" in html and ANNE not in html
    waiting = html.split("Waiting list", 1)[1]
    assert waiting.index("Bjørn Berg") < waiting.index("Chris Smith")
    assert "1 of 1 places taken, 2 waiting." in html
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_id == activity_id))
        assert entry.action == "view_activity_signups" and entry.object_type == "activities"


def test_the_list_shows_booked_waiting_and_a_cancelled_badge(app, coordinator_client):
    with app.app_context():
        full = factories.occurrence("Bingo", capacity=1, starts_at=next_weekday_at(12, 2))
        join(full, ANNE)
        join(full, BJORN)
        gone = factories.occurrence("Turgruppe", starts_at=next_weekday_at(10, 1))
        activities.cancel_activity(gone.activity)
        db.session.commit()
    html = coordinator_client.get("/staff/activities").get_data(as_text=True)
    row = html.split("Bingo", 1)[1].split("</tr>", 1)[0]
    assert "1 / 1" in row and "<td>1</td>" in row
    assert "Cancelled" in html.split("Turgruppe", 1)[1].split("</tr>", 1)[0]
    assert html.index("Bingo") < html.index("Turgruppe")  # what is coming first
    filtered = coordinator_client.get("/staff/activities?q=bing").get_data(as_text=True)
    assert "Bingo" in filtered and "Turgruppe" not in filtered


def test_cancelling_a_date_texts_everyone_once_in_their_own_language(
    app, coordinator_client, some_activity, run_jobs, fake_twilio
):
    activity_id, occurrence_id = some_activity
    with app.app_context():
        occurrence = db.session.get(Occurrence, occurrence_id)
        join(occurrence, ANNE, "nb")
        join(occurrence, CHRIS, "en")  # waiting
        find_or_create(BJORN).language = "nb"
        join(occurrence, BJORN)
        signups.cancel(find_or_create(BJORN), occurrence)  # left: not told
        db.session.commit()
    page = coordinator_client.get(f"/staff/occurrences/{occurrence_id}/cancel")
    assert "2 people will get an SMS" in page.get_data(as_text=True)
    response = post_form(coordinator_client, f"/staff/occurrences/{occurrence_id}/cancel")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Occurrence, occurrence_id).cancelled
        assert not db.session.get(Activity, activity_id).cancelled
        # Pressing twice (or the service again) sends nothing more.
        activities.cancel_occurrence(db.session.get(Occurrence, occurrence_id))
        db.session.commit()
    run_jobs()
    [nb] = fake_twilio.bodies_to(ANNE)
    [en] = fake_twilio.bodies_to(CHRIS)
    assert nb.startswith("Strikkekafé") and "er avlyst" in nb and "AKTIVITETER" in nb
    assert "is cancelled. We are sorry. Reply ACTIVITIES" in en
    assert fake_twilio.bodies_to(BJORN) == []


def test_cancelling_the_whole_activity_cancels_every_coming_date(
    app, coordinator_client, run_jobs, fake_twilio
):
    with app.app_context():
        weekly = activities.create_activity(
            factories.organisation(), title="Sjakk", place="Huset",
            starts_at=next_weekday_at(17, 1), repeat_weekly=True,
        )  # fmt: skip
        db.session.commit()
        first, second = activities.future_occurrences(weekly)[:2]
        join(first, ANNE)
        join(second, ANNE)
        activity_id = weekly.id
    page = coordinator_client.get(f"/staff/activities/{activity_id}/cancel")
    assert "2 people will get an SMS" in page.get_data(as_text=True)
    post_form(coordinator_client, f"/staff/activities/{activity_id}/cancel")
    with app.app_context():
        assert db.session.get(Activity, activity_id).cancelled
        assert activities.future_occurrences(db.session.get(Activity, activity_id)) == []
    run_jobs()
    assert len(fake_twilio.bodies_to(ANNE)) == 2  # one per date she had signed up for
    html = coordinator_client.get(f"/staff/activities/{activity_id}").get_data(as_text=True)
    assert "Cancelled" in html and "Cancel this date" not in html


def test_editing_the_time_keeps_sign_ups_and_codes_and_tells_people(
    app, coordinator_client, run_jobs, fake_twilio
):
    with app.app_context():
        occurrence = factories.occurrence(starts_at=next_weekday_at(18, 2), capacity=5)
        join(occurrence, ANNE)
        activity_id, code, occurrence_id = occurrence.activity_id, occurrence.code, occurrence.id
        new_start = next_weekday_at(19, 2)
    form = coordinator_client.get(f"/staff/activities/{activity_id}/edit").get_data(as_text=True)
    assert 'value="18:00"' in form
    response = post_form(coordinator_client, f"/staff/activities/{activity_id}/edit", {
        "title": "Strikkekafé", "organisation": "Fjordvik frivilligsentral",
        "place": "Biblioteket", "date": new_start.date().isoformat(), "time": "19:00",
        "duration_minutes": "120", "capacity": "5",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.get(Occurrence, occurrence_id)
        assert moved.starts_at == new_start and moved.code == code and moved.booked == 1
        assert db.session.scalar(sa.select(SignUp.status)) == SignUp.CONFIRMED
    run_jobs()
    [told] = fake_twilio.bodies_to(ANNE)
    assert "er endret" in told and "kl. 19:00" in told and f"AVMELD {code}" in told


def test_editing_only_the_title_sends_nothing(app, run_jobs, fake_twilio, ctx):
    occurrence = factories.occurrence(capacity=5)
    join(occurrence, ANNE)
    assert activities.update_activity(occurrence.activity, title="Strikk og prat") == 0
    db.session.commit()
    run_jobs()
    assert fake_twilio.bodies_to(ANNE) == []


def test_a_shorter_series_cancels_dropped_dates_with_sign_ups_and_removes_empty_ones(
    app, ctx, run_jobs, fake_twilio
):
    start = next_weekday_at(17, 1)
    weekly = activities.create_activity(
        factories.organisation(), title="Sjakk", place="Huset", starts_at=start,
        repeat_weekly=True,
    )  # fmt: skip
    db.session.commit()
    dates = activities.future_occurrences(weekly)
    join(dates[2], ANNE)
    kept_code = dates[0].code
    told = activities.update_activity(weekly, repeat_until=(start + timedelta(weeks=1)).date())
    db.session.commit()
    assert told == 1
    left = activities.future_occurrences(weekly)
    assert [o.code for o in left] == [kept_code, dates[1].code]
    assert db.session.get(Occurrence, dates[2].id).cancelled  # had a sign-up: kept, cancelled
    assert db.session.get(Occurrence, dates[3].id) is None  # nobody: removed
    run_jobs()
    [sms] = fake_twilio.bodies_to(ANNE)
    assert "er avlyst" in sms


def test_more_places_move_people_up_from_the_waiting_list(app, ctx, run_jobs, fake_twilio):
    occurrence = factories.occurrence(capacity=1)
    join(occurrence, ANNE)
    join(occurrence, BJORN)
    activities.update_activity(occurrence.activity, capacity=2)
    db.session.commit()
    db.session.refresh(occurrence)
    assert occurrence.capacity == 2 and occurrence.booked == 2
    run_jobs()
    [sms] = fake_twilio.bodies_to(BJORN)
    assert sms.startswith("Gode nyheter!")


def test_fewer_places_never_take_a_confirmed_place_away(app, ctx):
    occurrence = factories.occurrence(capacity=3)
    for phone in (ANNE, BJORN):
        join(occurrence, phone)
    activities.update_activity(occurrence.activity, capacity=1)
    db.session.commit()
    db.session.refresh(occurrence)
    assert occurrence.capacity == 2 and occurrence.booked == 2


def test_unknown_activity_is_a_kind_404(coordinator_client):
    response = coordinator_client.get("/staff/activities/999")
    assert response.status_code == 404
    assert "nothing here" in response.get_data(as_text=True)
