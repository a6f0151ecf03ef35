"""`POST /twilio/status`: message status callbacks from Twilio."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Person

ACCOUNT_SID = "AC" + "0" * 32
SID = "SM" + "a" * 32


@pytest.fixture
def sent_message(ctx):
    """An outbound message Twilio has accepted; returns its id."""
    person = Person(phone="+4791234567")
    db.session.add(person)
    db.session.flush()
    message = Message(
        person_id=person.id, direction="out", kind="test", body="Hei", status="sent", twilio_sid=SID
    )
    db.session.add(message)
    db.session.commit()
    return message.id


@pytest.fixture
def callback(post_signed):
    """Send a status callback the way Twilio does; returns the response."""

    def post(status: str, sid: str = SID, error_code: str | None = None):
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }
        if error_code is not None:
            params["ErrorCode"] = error_code
        return post_signed("/twilio/status", params)

    return post


def current(message_id: int) -> Message:
    """The row as it is now: end this session's transaction first, to see other commits."""
    db.session.commit()
    return db.session.get(Message, message_id)


def assert_empty_ok(response) -> None:
    assert response.status_code == 204
    assert response.data == b""


def test_signature_is_required(client, post_signed, sent_message):
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    assert client.post("/twilio/status", data=params).status_code == 403
    assert post_signed("/twilio/status", params, signature="forged").status_code == 403
    assert current(sent_message).status == "sent"


def test_delivered_after_sent(callback, sent_message):
    assert_empty_ok(callback("delivered"))
    assert current(sent_message).status == "delivered"


def test_a_late_sent_does_not_undo_delivered(callback, sent_message):
    assert_empty_ok(callback("delivered"))
    assert_empty_ok(callback("sent"))
    assert_empty_ok(callback("queued"))
    assert current(sent_message).status == "delivered"


def test_a_repeated_callback_is_harmless(callback, sent_message):
    for _ in range(2):
        assert_empty_ok(callback("delivered"))
    assert current(sent_message).status == "delivered"
    assert_empty_ok(callback("read"))
    assert_empty_ok(callback("read"))
    assert current(sent_message).status == "read"


def test_undelivered_keeps_the_error_code(callback, sent_message):
    assert_empty_ok(callback("undelivered", error_code="30003"))
    message = current(sent_message)
    assert (message.status, message.error_code) == ("undelivered", 30003)
    assert not db.session.get(Person, message.person_id).opted_out
    # A final outcome stays: a stray "delivered" afterwards does not overwrite it.
    assert_empty_ok(callback("delivered"))
    assert current(sent_message).status == "undelivered"


def test_unsubscribed_error_opts_the_person_out(callback, sent_message):
    assert_empty_ok(callback("failed", error_code="21610"))
    message = current(sent_message)
    assert (message.status, message.error_code) == ("failed", 21610)
    person = db.session.get(Person, message.person_id)
    assert person.opted_out and person.opted_out_at is not None


def test_unknown_sid_is_answered_and_ignored(callback, sent_message):
    assert_empty_ok(callback("delivered", sid="SM" + "f" * 32))
    assert_empty_ok(callback("failed", sid="SM" + "e" * 32, error_code="21610"))
    assert current(sent_message).status == "sent"
    assert db.session.scalar(sa.select(sa.func.count()).where(Person.opted_out)) == 0


def test_odd_input_is_answered_and_ignored(callback, post_signed, sent_message):
    assert_empty_ok(callback("some-future-status"))
    assert_empty_ok(callback("delivered", error_code="not-a-number"))
    assert_empty_ok(post_signed("/twilio/status", {"CallSid": "CA" + "0" * 32}))
    message = current(sent_message)
    assert (message.status, message.error_code) == ("delivered", None)


def test_inbound_messages_are_not_touched(ctx, callback):
    person = Person(phone="+4791234568")
    db.session.add(person)
    db.session.flush()
    inbound = Message(
        person_id=person.id, direction="in", body="Hei", status="received", twilio_sid=SID
    )
    db.session.add(inbound)
    db.session.commit()

    assert_empty_ok(callback("delivered"))
    assert current(inbound.id).status == "received"
