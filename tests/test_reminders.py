"""The reminder the day before, sent once, at a sensible local hour."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.jobs.reminders import refresh_occurrences, send_due_reminders
from app.models import Activity, Occurrence, SignUp
from app.services import signups
from app.services.people import find_or_create
from tests import factories
from tests.conftest import RESIDENT

OSLO = ZoneInfo("Europe/Oslo")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def signed_up(starts_at: datetime, joined_at: datetime, phone: str = RESIDENT) -> SignUp:
    occurrence = factories.occurrence(starts_at=starts_at, capacity=5)
    person = find_or_create(phone)
    person.language = "nb"
    signup = signups.join(person, occurrence, joined_at).signup
    signup.created_at = joined_at
    db.session.commit()
    return signup


def test_reminders_go_out_the_day_before_from_the_reminder_hour_once(
    ctx, app, run_jobs, fake_twilio
):
    tomorrow_ten = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=10, minute=0)
    signup = signed_up(tomorrow_ten.astimezone(ZoneInfo("UTC")), tomorrow_ten - timedelta(days=3))
    today = tomorrow_ten - timedelta(days=1)
    assert send_due_reminders(today.replace(hour=16, minute=59)) == 0  # too early
    assert send_due_reminders(today.replace(hour=17, minute=5)) == 1
    assert send_due_reminders(today.replace(hour=17, minute=15)) == 1  # a second run adds none
    run_jobs()
    [reminder] = fake_twilio.bodies_to(RESIDENT)
    code = signup.occurrence.code
    assert reminder.startswith("Påminnelse: Strikkekafé er i morgen")
    assert "kl. 10:00" in reminder and f"AVMELD {code}" in reminder


def test_no_reminders_late_in_the_evening(ctx):
    tomorrow_ten = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=10, minute=0)
    signed_up(tomorrow_ten, tomorrow_ten - timedelta(days=3))
    assert send_due_reminders((tomorrow_ten - timedelta(days=1)).replace(hour=21, minute=30)) == 0


def test_no_reminder_for_a_sign_up_made_after_the_reminder_hour(ctx):
    tomorrow_ten = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=10, minute=0)
    evening = (tomorrow_ten - timedelta(days=1)).replace(hour=18)
    signed_up(tomorrow_ten, evening)
    assert send_due_reminders(evening + timedelta(minutes=30)) == 0


def test_no_reminder_for_the_waiting_list_or_a_cancelled_sign_up(ctx):
    tomorrow_ten = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=10, minute=0)
    signup = signed_up(tomorrow_ten, tomorrow_ten - timedelta(days=3))
    signups.cancel(signup.person, signup.occurrence)
    db.session.commit()
    assert send_due_reminders((tomorrow_ten - timedelta(days=1)).replace(hour=17, minute=5)) == 0


def test_weekly_activities_keep_local_time_across_daylight_saving(ctx):
    org = factories.organisation()
    from app.services.activities import create_activity, weekly_starts

    # Tuesdays 11:00 from the week before summer time ends (last Sunday of October).
    activity = create_activity(
        org, title="Seniortrim", place="Hallen", starts_at=local(2026, 10, 20, 11, 0),
        repeat_weekly=True,
    )  # fmt: skip
    starts = weekly_starts(activity, local(2026, 11, 11, 0, 0))
    assert [s.astimezone(OSLO).strftime("%d.%m %H:%M") for s in starts] == [
        "20.10 11:00", "27.10 11:00", "03.11 11:00", "10.11 11:00"
    ]


def test_refresh_creates_upcoming_occurrences_with_short_unique_codes(ctx):
    org = factories.organisation()
    db.session.add(Activity(organisation=org, title="Språkkafé", place="Biblioteket",
                            starts_at=datetime.now(OSLO) + timedelta(hours=5),
                            repeat_weekly=True))  # fmt: skip
    db.session.commit()
    assert refresh_occurrences() == 4  # four weeks ahead
    assert refresh_occurrences() == 0
    codes = list(db.session.scalars(sa.select(Occurrence.code).order_by(Occurrence.starts_at)))
    assert codes == [10, 11, 12, 13]
