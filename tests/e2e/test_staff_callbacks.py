"""A staff member calls a resident back, in a real browser, against the fake Twilio server."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import CallbackRequest, Person
from app.services import callbacks
from app.timeutil import utcnow
from tests.conftest import ACCOUNT_SID, RESIDENT, SERVICE_NUMBER
from tests.staff_helpers import make_staff, sign_in_page

STAFF_PHONE = "+4798765432"


def _waiting_resident() -> int:
    person = Person(phone=RESIDENT, name="Olga Nowak", language="pl")
    db.session.add(person)
    db.session.flush()
    request, _ = callbacks.request_callback(person, "pl", "asked")
    request.created_at = utcnow() - timedelta(hours=26)
    db.session.commit()
    return request.id


def test_sign_in_claim_call_and_record_the_outcome(
    app, live_server, page, run_jobs, fake_twilio, post_signed
):
    # Arranged in an app context of its own, closed before the browser acts, so no
    # transaction of the test's stays open beside the server's (SQLite would refuse).
    with app.app_context():
        request_id = _waiting_resident()
        staff = make_staff("staff", name="Siri", phone=STAFF_PHONE, language="en")
        db.session.remove()

    sign_in_page(page, live_server, staff)
    expect(page.get_by_role("heading", level=1)).to_have_text("Callbacks")
    card = page.get_by_role("article").filter(has_text="Olga Nowak")
    expect(card).to_contain_text("Waiting longer than promised")
    expect(card).to_contain_text("Polish")

    card.get_by_role("button", name=re.compile("Take this request")).click()
    expect(page.get_by_text("You have taken this request.")).to_be_visible()

    page.get_by_role("button", name="Call Olga Nowak").click()
    expect(page.locator("#call-status")).to_have_text("Ringing your phone…")
    run_jobs()
    [placed] = fake_twilio.calls
    assert placed["To"] == STAFF_PHONE and placed["From"] == SERVICE_NUMBER
    assert "/twilio/voice/bridge?request=" in placed["Url"]

    # Twilio reports that the staff member answered: the page, polling, says so.
    post_signed(
        "/twilio/status",
        {"CallSid": placed["sid"], "AccountSid": ACCOUNT_SID, "CallStatus": "in-progress"},
    )
    expect(page.locator("#call-status")).to_have_text("Call in progress.", timeout=6000)

    page.get_by_label("Reached").check()
    page.get_by_label("Note").fill("Wants to join the knitting café")
    page.get_by_role("button", name="Save and close the request").click()
    expect(page.get_by_text("The request is closed.")).to_be_visible()
    expect(page.get_by_text("Nobody is waiting for a call right now.")).to_be_visible()

    with app.app_context():
        closed = db.session.get(CallbackRequest, request_id)
        assert closed.status == "done" and closed.outcome == "reached" and closed.attempts == 1
        db.session.remove()
