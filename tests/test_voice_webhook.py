"""The voice webhooks as Twilio meets them: signatures, retries, races, faults, statuses."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Call, CallbackRequest, Person, SignUp
from tests import factories
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, RESIDENT, SERVICE_NUMBER, sign
from tests.fake_twilio import new_sid

STEP = "/twilio/voice/step"


def known(phone=RESIDENT, language="nb") -> Person:
    db.session.add(Person(phone=phone, language=language))
    db.session.commit()
    return db.session.scalar(sa.select(Person).where(Person.phone == phone))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(sid: str, phone: str = RESIDENT, **extra) -> dict:
    return {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": phone, "To": SERVICE_NUMBER,
            "CallStatus": "in-progress", **extra}  # fmt: skip


@pytest.mark.parametrize("path", ["/twilio/voice", f"{STEP}?n=1", "/twilio/voice/dial-done?n=2",
                                  "/twilio/voice/recorded?n=3"])  # fmt: skip
def test_every_voice_webhook_refuses_a_bad_signature(ctx, client, path):
    response = client.post(path, data=form(new_sid("CA")), headers={"X-Twilio-Signature": "x"})

    assert response.status_code == 403
    assert count(Call) == 0 and count(Person) == 0


def test_the_signature_covers_the_step_number(ctx, client, voice_call):
    known()
    call = voice_call()
    params = form(call.sid, Digits="1")
    signature = sign(f"{PUBLIC_BASE_URL}{STEP}?n=1", params)

    response = client.post(f"{STEP}?n=2", data=params, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 403


def test_a_retried_step_answers_the_same_and_acts_once(ctx, voice_call, post_signed):
    factories.occurrence(capacity=5)
    known()
    call = voice_call().press("1")
    action = call.gather.get("action").removeprefix(PUBLIC_BASE_URL)

    first = post_signed(action, form(call.sid, Digits="1"))
    again = post_signed(action, form(call.sid, Digits="1"))

    assert first.status_code == again.status_code == 200
    assert first.data == again.data and "Du er påmeldt".encode() in first.data
    assert count(SignUp) == 1


def test_an_old_step_hears_the_current_prompt_and_nothing_is_done(ctx, voice_call, post_signed):
    factories.occurrence(capacity=5)
    known()
    call = voice_call().press("1").press("1")  # signed up; now at step 2

    stale = post_signed(f"{STEP}?n=1", form(call.sid, Digits="1"))

    assert "Trykk 1 eller si ja for å melde deg på.".encode() in stale.data
    assert b"You are" not in stale.data and b"allerede" not in stale.data
    assert f"{STEP}?n=3".encode() in stale.data
    assert count(SignUp) == 1


def test_a_retried_call_start_answers_the_same_with_one_record(ctx, post_signed):
    known()
    sid = new_sid("CA")

    first = post_signed("/twilio/voice", form(sid))
    again = post_signed("/twilio/voice", form(sid))

    assert first.data == again.data
    assert count(Call) == 1


def test_a_step_of_an_unknown_call_starts_afresh(ctx, post_signed):
    known()

    response = post_signed(f"{STEP}?n=4", form(new_sid("CA"), Digits="1"))

    assert response.status_code == 200
    assert b"Velkommen til Samtale." in response.data
    assert count(Call) == 1


@pytest.mark.parametrize("n", ["", "abc", "-1", "99999999999"])
def test_a_strange_step_number_hears_the_current_prompt(ctx, voice_call, post_signed, n):
    known()
    call = voice_call()

    response = post_signed(f"{STEP}?n={n}", form(call.sid, Digits="1"))

    assert response.status_code == 200 and "Trykk 1 for å høre".encode() in response.data


@pytest.mark.parametrize("phone", ["", "anonymous", "+266696687", "Restricted"])
def test_a_hidden_number_gets_a_kind_answer(ctx, post_signed, phone):
    response = post_signed("/twilio/voice", form(new_sid("CA"), phone=phone))

    assert response.status_code == 200
    assert b"vi ser ikke telefonnummeret ditt" in response.data
    assert b"<Hangup" in response.data


def test_a_missing_call_sid_gets_a_kind_answer(ctx, post_signed):
    response = post_signed("/twilio/voice", {"From": RESIDENT})

    assert response.status_code == 200 and b"<Response>" in response.data


def test_an_internal_failure_apologises_and_takes_a_message(ctx, voice_call, monkeypatch,
                                                           caplog):  # fmt: skip
    from app.conversation import actions

    def broken(*args):
        raise RuntimeError(f"injected fault for {RESIDENT}")

    monkeypatch.setitem(actions.ACTIONS, "voice_first_activity", (broken, frozenset()))
    known(language="en")
    call = voice_call().press("1")

    assert call.said.startswith("Sorry, something went wrong on our side.")
    assert call.verb("Record") is not None
    assert "failed: RuntimeError at" in caplog.text and RESIDENT not in caplog.text
    monkeypatch.undo()
    call.record("https://api.twilio.com/rec/RE1")
    assert call.said.startswith("Thank you. A person will call you")
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert request.recording_url == "https://api.twilio.com/rec/RE1" and request.language == "en"


def test_an_internal_failure_in_opening_hours_puts_the_caller_through(ctx, app, voice_call,
                                                                     monkeypatch):  # fmt: skip
    from app.conversation import actions

    app.config.update(STAFF_PHONE="+4791999999", OPENING_HOURS="mon-sun 00:00-24:00")
    monkeypatch.setitem(actions.ACTIONS, "voice_first_activity", (None, frozenset()))
    known()

    call = voice_call().press("1")

    assert call.said.startswith("Beklager, noe gikk galt hos oss.")
    assert call.verb("Dial").find("Number").text == "+4791999999"
    call.dial_done("busy")
    assert call.verb("Record") is not None


def test_logs_hold_neither_numbers_nor_what_was_said(ctx, voice_call, caplog):
    caplog.set_level("DEBUG")
    known()

    voice_call().say("hemmelig ord").say("1")

    assert RESIDENT not in caplog.text and RESIDENT[3:] not in caplog.text
    assert "hemmelig" not in caplog.text


@pytest.mark.postgres_only
def test_the_same_step_delivered_twice_at_once_acts_once(app, post_signed):
    with app.app_context():
        factories.occurrence(capacity=5)
        known()
    client = app.test_client()
    sid = new_sid("CA")

    def post(path, params):
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params)}
        return client.post(path, data=params, headers=headers)

    post("/twilio/voice", form(sid))
    post(f"{STEP}?n=1", form(sid, Digits="1"))
    for attempt in range(5):
        with app.app_context():
            db.session.execute(sa.delete(SignUp))
            db.session.commit()
        n = 2 + 2 * attempt
        start = threading.Barrier(2)

        def deliver(_, n=n, start=start):
            start.wait()
            return app.test_client().post(
                f"{STEP}?n={n}", data=form(sid, Digits="1"),
                headers={"X-Twilio-Signature": sign(f"{PUBLIC_BASE_URL}{STEP}?n={n}",
                                                    form(sid, Digits="1"))},
            )  # fmt: skip

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(deliver, range(2)))
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].data == answers[1].data
        with app.app_context():
            assert count(SignUp) == 1
        post(f"{STEP}?n={n + 1}", form(sid, Digits="3"))  # back to the same activity


# Call status callbacks


def status(post_signed, sid, call_status, **extra):
    params = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "CallStatus": call_status,
              "ApiVersion": "2010-04-01", **extra}  # fmt: skip
    return post_signed("/twilio/status", params)


def test_a_call_status_is_recorded_forward_only_with_its_duration(ctx, voice_call, post_signed):
    known()
    call = voice_call()

    assert status(post_signed, call.sid, "completed", CallDuration="73").status_code == 204
    assert status(post_signed, call.sid, "ringing").status_code == 204  # late and out of order

    db.session.expire_all()
    row = db.session.scalar(sa.select(Call).where(Call.call_sid == call.sid))
    assert (row.status, row.duration_seconds) == ("completed", 73)
    assert row.ended_at is not None


@pytest.mark.parametrize("call_status", ["", "weird"])
def test_an_unknown_call_or_status_is_ignored_quietly(ctx, post_signed, call_status):
    assert status(post_signed, new_sid("CA"), call_status or "completed").status_code == 204
    assert status(post_signed, new_sid("CA"), call_status).status_code == 204


def test_a_retried_recording_callback_keeps_one_request_and_answers_the_same(ctx, app, voice_call):
    app.config.update(STAFF_PHONE="+4791999999", OPENING_HOURS="mon-sun 00:00-24:00")
    known()
    call = voice_call().press("0")
    dial_action = call.verb("Dial").get("action")
    call.dial_done("no-answer")
    busy = call.responses[-1]
    record_action = call.verb("Record").get("action")

    assert call.post(dial_action, DialCallStatus="no-answer").responses[-1] == busy
    first = call.post(record_action, RecordingUrl="https://api.twilio.com/rec/RE9").responses[-1]
    again = call.post(record_action, RecordingUrl="https://api.twilio.com/rec/RE9").responses[-1]

    assert first == again and b"<Hangup" in first
    assert count(CallbackRequest) == 1


def test_the_hash_key_is_a_key_not_the_end_of_input(ctx, voice_call):
    known()

    assert voice_call().gather.get("finishOnKey") == ""
