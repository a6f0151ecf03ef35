"""A coordinator creates an activity in a real browser; a resident then finds it by SMS."""

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.timeutil import local_zone
from tests.staff_helpers import make_staff, sign_in_page


def test_create_an_activity_and_see_it_listed_and_offered_by_sms(app, ctx, live_server, page, sms):
    coordinator = make_staff("coordinator", language="nb")
    sign_in_page(page, live_server, coordinator)
    page.goto(f"{live_server}/staff/activities")
    page.get_by_role("link", name=re.compile("Ny aktivitet|New activity")).click()

    day = (datetime.now(local_zone()) + timedelta(days=3)).date()
    # The first "Tittel" is the activity's own; the translation fieldsets below repeat it.
    page.get_by_label(re.compile("^(Tittel|Title)")).first.fill("Språkkafé")
    page.get_by_label(re.compile("^(Organisasjon|Organisation)")).fill("Fjordvik bibliotek")
    page.get_by_label(re.compile("^(Sted|Place)$")).fill("Biblioteket")
    page.get_by_label(re.compile("^(Dato|Date)$")).fill(day.isoformat())
    page.get_by_label(re.compile("^(Starter|Starts at)")).fill("11:30")
    page.get_by_label(re.compile("^(Plasser|Places)")).fill("8")
    page.get_by_role("button", name=re.compile("Opprett aktivitet|Create activity")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Språkkafé")
    page.get_by_role("link", name=re.compile("Alle aktiviteter|All activities")).click()
    row = page.get_by_role("row").filter(has_text="Språkkafé")
    expect(row).to_contain_text("Fjordvik bibliotek")
    expect(row).to_contain_text("0 / 8")

    db.session.rollback()  # end this test's read, so the webhook may write on SQLite
    [reply] = sms("AKTIVITETER")
    assert "Språkkafé" in reply and "11:30" in reply
