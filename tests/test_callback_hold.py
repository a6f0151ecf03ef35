"""The machine does not talk over the human: automated texts wait while a callback is open."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import CallbackRequest, Message, Person
from app.services import callbacks, outbox
from app.timeutil import utcnow
from tests.conftest import RESIDENT
from tests.staff_helpers import make_staff, post_form, sign_in


def _person(name="Olga") -> Person:
    person = Person(phone=RESIDENT, name=name, language="nb")
    db.session.add(person)
    db.session.flush()
    return person


def _statuses() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Message.kind, Message.status)).all())


def test_a_reminder_queued_while_a_request_is_open_waits_then_goes_once(
    app, ctx, run_jobs, fake_twilio
):
    person = _person()
    request, _ = callbacks.request_callback(person, "nb", "asked")
    outbox.queue_sms(person, "Reminder: knitting tomorrow", kind="reminder")
    db.session.commit()
    run_jobs()
    assert fake_twilio.messages == []
    assert _statuses() == {"reminder": "held"}

    staff = make_staff("staff")
    callbacks.record_outcome(request, staff, "reached", None, done=True, send_text=True)
    db.session.commit()
    run_jobs()
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == ["Reminder: knitting tomorrow"]
    db.session.expire_all()
    assert _statuses() == {"reminder": "sent"}


def test_broadcasts_and_task_requests_are_held_too(app, ctx, run_jobs, fake_twilio):
    person = _person()
    callbacks.request_callback(person, "nb", "asked")
    outbox.queue_sms(person, "Spring party!", kind="broadcast")
    outbox.queue_sms(person, "Can you help?", kind="task_request")
    db.session.commit()
    run_jobs()
    assert fake_twilio.messages == []
    assert set(_statuses().values()) == {"held"}


def test_direct_answers_are_never_held(app, ctx, run_jobs, fake_twilio):
    person = _person()
    callbacks.request_callback(person, "nb", "asked")
    outbox.queue_sms(person, "You are signed up.", kind="confirmation")
    db.session.commit()
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == ["You are signed up."]


def test_without_an_open_request_nothing_is_held(app, ctx, run_jobs, fake_twilio):
    person = _person()
    request, _ = callbacks.request_callback(person, "nb", "asked")
    request.status, request.closed_at = CallbackRequest.DONE, utcnow()
    outbox.queue_sms(person, "Reminder", kind="reminder")
    db.session.commit()
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == ["Reminder"]


def test_a_claimed_request_holds_as_well_and_release_keeps_holding(app, ctx, run_jobs, fake_twilio):
    person = _person()
    request, _ = callbacks.request_callback(person, "nb", "asked")
    staff = make_staff("staff")
    callbacks.claim(request.id, staff)
    outbox.queue_sms(person, "Reminder", kind="reminder")
    callbacks.release(request, staff)
    db.session.commit()
    run_jobs()
    assert fake_twilio.messages == []


def test_texts_held_too_long_are_dropped_not_sent(app, ctx, run_jobs, fake_twilio):
    person = _person()
    request, _ = callbacks.request_callback(person, "nb", "asked")
    old = outbox.queue_sms(person, "Reminder: yesterday", kind="reminder")
    old.created_at = utcnow() - timedelta(hours=30)
    outbox.queue_sms(person, "Broadcast", kind="broadcast")
    db.session.commit()
    callbacks.close(request)
    db.session.commit()
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == ["Broadcast"]
    db.session.expire_all()
    assert _statuses()["reminder"] == "expired"


def test_the_page_shows_what_waits_until_staff_have_talked(app, client, run_jobs, fake_twilio):
    with app.app_context():
        person = _person()
        request, _ = callbacks.request_callback(person, "nb", "asked")
        outbox.queue_sms(person, "Reminder: knitting tomorrow", kind="reminder")
        outbox.queue_sms(person, "Spring party!", kind="broadcast")
        db.session.commit()
        request_id = request.id
        sign_in(client, make_staff("staff"))
    queue = client.get("/staff/callbacks").text
    assert "2 messages waiting until you have talked" in queue
    detail = client.get(f"/staff/callbacks/{request_id}").text
    assert "Reminder of an activity: Reminder: knitting tomorrow" in detail
    assert "Broadcast: Spring party!" in detail
    post_form(client, f"/staff/callbacks/{request_id}/claim")
    post_form(client, f"/staff/callbacks/{request_id}/outcome", {"outcome": "reached", "done": "1"})
    run_jobs()
    assert sorted(fake_twilio.bodies_to(RESIDENT)) == [
        "Reminder: knitting tomorrow",
        "Spring party!",
    ]
