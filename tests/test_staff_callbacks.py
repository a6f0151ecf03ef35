"""The callback queue: seeing who waits, claiming, calling through Twilio, the outcome."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import AuditEntry, CallbackRequest, Message, Person, StaffCall
from app.services import callbacks
from app.timeutil import utcnow
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, RESIDENT, SERVICE_NUMBER
from tests.fake_twilio import new_sid
from tests.staff_helpers import make_staff, post_form, sign_in

STAFF_PHONE = "+4798765432"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"


def _waiting(app, *, name="Olga Nowak", language="nb", age=timedelta(hours=2), **fields):
    """A resident with an open request and a few messages; returns the request id."""
    with app.app_context():
        person = Person(phone=fields.pop("phone", RESIDENT), name=name, language=language)
        db.session.add(person)
        db.session.flush()
        request, _ = callbacks.request_callback(
            person, language, fields.pop("reason", "asked"), **fields
        )
        request.created_at = utcnow() - age
        for n, (direction, body) in enumerate([("in", "RING"), ("out", "A person will call")]):
            db.session.add(
                Message(
                    person_id=person.id,
                    direction=direction,
                    body=body,
                    status="received" if direction == "in" else "replied",
                    kind="inbound" if direction == "in" else "reply",
                    created_at=utcnow() - age + timedelta(seconds=n),
                )
            )
        db.session.commit()
        return request.id


@pytest.fixture
def staff(app):
    with app.app_context():
        return make_staff("staff", phone=STAFF_PHONE, name="Siri")


@pytest.fixture
def signed_in(client, staff):
    sign_in(client, staff)
    return client


def _get(app, model, ident):
    with app.app_context():
        found = db.session.get(model, ident)
        db.session.expunge(found)
        return found


def _claim(client, request_id):
    return post_form(client, f"/staff/callbacks/{request_id}/claim")


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_shows_who_waits_oldest_first(app, signed_in):
    newer = _waiting(app, name="Newer", phone="+4791111111", age=timedelta(minutes=5))
    older = _waiting(
        app,
        name="Older",
        phone="+4792222222",
        age=timedelta(hours=3),
        reason="voice",
        channel="voice",
        recording_url=RECORDING,
    )
    page = signed_in.get("/staff/callbacks").text
    assert page.index("Older") < page.index("Newer")
    assert "3 hours" in page and "5 minutes" in page
    assert f'<audio controls preload="none" src="{RECORDING}.mp3"' in page
    assert "Called and wanted a person" in page and "Phone call" in page
    assert "+47…22" in page and "+4792222222" not in page  # masked
    assert "Norwegian Bokmål" in page or "Norwegian" in page
    assert f"/staff/callbacks/{older}/claim" in page and f"/staff/callbacks/{newer}/claim" in page


def test_a_request_waiting_longer_than_promised_is_flagged_in_words(app, signed_in):
    _waiting(app, age=timedelta(hours=25))
    page = signed_in.get("/staff/callbacks").text
    assert "Waiting longer than promised" in page
    assert "card overdue" in page


def test_a_fresh_request_is_not_flagged(app, signed_in):
    _waiting(app, age=timedelta(hours=1))
    assert "Waiting longer than promised" not in signed_in.get("/staff/callbacks").text


def test_the_queue_says_when_nobody_waits(signed_in):
    assert "Nobody is waiting" in signed_in.get("/staff/callbacks").text


def test_opening_a_request_shows_recent_messages_and_is_audited(app, signed_in, staff):
    request_id = _waiting(app)
    page = signed_in.get(f"/staff/callbacks/{request_id}").text
    assert "RING" in page and "A person will call" in page
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry))
        assert entry.action == "view_messages" and entry.staff_id == staff.id
        assert entry.person_id is not None and entry.object_type == "callback_requests"
        assert entry.object_id == request_id


def test_only_the_last_ten_messages_are_shown(app, signed_in):
    request_id = _waiting(app)
    with app.app_context():
        person_id = db.session.get(CallbackRequest, request_id).person_id
        for n in range(12):
            db.session.add(
                Message(
                    person_id=person_id,
                    direction="in",
                    body=f"message {n:02}",
                    status="received",
                    kind="inbound",
                    created_at=utcnow() + timedelta(seconds=n),
                )
            )
        db.session.commit()
    page = signed_in.get(f"/staff/callbacks/{request_id}").text
    assert "message 11" in page and "message 02" in page and "message 01" not in page


def test_an_unknown_request_is_a_kind_404(signed_in):
    response = signed_in.get("/staff/callbacks/999")
    assert response.status_code == 404 and "There is nothing here" in response.text


# --- claiming -------------------------------------------------------------------------------


def test_claim_takes_the_request(app, signed_in, staff):
    request_id = _waiting(app)
    response = _claim(signed_in, request_id)
    assert response.status_code == 302
    assert response.location.endswith(f"/staff/callbacks/{request_id}")
    request = _get(app, CallbackRequest, request_id)
    assert request.status == "claimed" and request.claimed_by_id == staff.id
    assert "Taken by you" in signed_in.get(f"/staff/callbacks/{request_id}").text


def test_a_second_claim_loses_and_says_who_has_it(app, signed_in, staff):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    other = app.test_client()
    with app.app_context():
        sign_in(other, make_staff("staff", name="Per"))
    response = _claim(other, request_id)
    assert response.location.endswith("/staff/callbacks")
    assert "Already taken by Siri." in other.get("/staff/callbacks").text
    assert _get(app, CallbackRequest, request_id).claimed_by_id == staff.id
    assert "Taken by Siri" in other.get("/staff/callbacks").text


def test_release_gives_it_back(app, signed_in):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    post_form(signed_in, f"/staff/callbacks/{request_id}/release")
    request = _get(app, CallbackRequest, request_id)
    assert request.status == "open" and request.claimed_by_id is None


def test_only_the_holder_may_release_call_or_record(app, signed_in):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    other = app.test_client()
    with app.app_context():
        sign_in(other, make_staff("staff"))
    post_form(other, f"/staff/callbacks/{request_id}/release")
    post_form(other, f"/staff/callbacks/{request_id}/call")
    post_form(other, f"/staff/callbacks/{request_id}/outcome", {"outcome": "reached", "done": "1"})
    request = _get(app, CallbackRequest, request_id)
    assert request.status == "claimed" and request.attempts == 0 and request.outcome is None


@pytest.mark.postgres_only
def test_two_staff_claiming_at_once_one_wins(app, database_url):
    request_id = _waiting(app)
    with app.app_context():
        ids = [make_staff("staff").id for _ in range(8)]
    barrier = threading.Barrier(len(ids))
    wins = []

    def claim(staff_id):
        with app.app_context():
            from app.models import StaffUser

            user = db.session.get(StaffUser, staff_id)
            barrier.wait()
            result = callbacks.claim(request_id, user)
            db.session.commit()
            wins.append(result.won)
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1
    assert _get(app, CallbackRequest, request_id).claimed_by_id in ids


# --- the call ---------------------------------------------------------------------------------


def _call(app, client, request_id, run_jobs):
    _claim(client, request_id)
    response = post_form(client, f"/staff/callbacks/{request_id}/call")
    assert response.status_code == 302
    run_jobs()
    return response


def test_call_rings_the_staff_members_phone_with_a_signed_bridge(
    app, signed_in, run_jobs, fake_twilio
):
    request_id = _waiting(app)
    _call(app, signed_in, request_id, run_jobs)
    [placed] = fake_twilio.calls
    assert placed["To"] == STAFF_PHONE and placed["From"] == SERVICE_NUMBER
    assert placed["StatusCallback"] == PUBLIC_BASE_URL + "/twilio/status"
    url = urlsplit(placed["Url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == PUBLIC_BASE_URL + "/twilio/voice/bridge"
    assert parse_qs(url.query)["request"] == [str(request_id)]
    assert RESIDENT not in placed["Url"]
    request = _get(app, CallbackRequest, request_id)
    assert request.attempts == 1 and request.last_attempt_at is not None
    with app.app_context():
        call = db.session.scalar(sa.select(StaffCall))
        assert call.call_sid == placed["sid"] and call.status == "queued"
    page = signed_in.get(f"/staff/callbacks/{request_id}").text
    assert "Ringing your phone" in page


def test_status_callbacks_move_the_call_on_and_the_page_polls_them(
    app, signed_in, run_jobs, fake_twilio, post_signed
):
    request_id = _waiting(app)
    _call(app, signed_in, request_id, run_jobs)
    sid = fake_twilio.calls[0]["sid"]
    status = signed_in.get(f"/staff/callbacks/{request_id}/call-status").get_json()
    assert status == {"status": "queued", "label": "Ringing your phone…", "final": False}
    for step in ("ringing", "in-progress", "completed"):
        response = post_signed(
            "/twilio/status",
            {"CallSid": sid, "AccountSid": ACCOUNT_SID, "CallStatus": step, "CallDuration": "42"},
        )
        assert response.status_code == 204
        if step == "in-progress":
            assert (
                signed_in.get(f"/staff/callbacks/{request_id}/call-status").get_json()["label"]
                == "Call in progress."
            )
    # A late "ringing" never moves it back.
    post_signed("/twilio/status", {"CallSid": sid, "CallStatus": "ringing"})
    status = signed_in.get(f"/staff/callbacks/{request_id}/call-status").get_json()
    assert status["status"] == "completed" and status["final"] is True
    with app.app_context():
        assert db.session.scalar(sa.select(StaffCall.duration_seconds)) == 42


def test_without_an_own_phone_the_page_says_to_add_it(app, client, run_jobs, fake_twilio):
    with app.app_context():
        sign_in(client, make_staff("staff"))
    request_id = _waiting(app)
    _claim(client, request_id)
    assert (
        "Add your own phone number in your profile"
        in client.get(f"/staff/callbacks/{request_id}").text
    )
    post_form(client, f"/staff/callbacks/{request_id}/call")
    run_jobs()
    assert fake_twilio.calls == []
    assert (
        "Add your phone number in your profile first."
        in client.get(f"/staff/callbacks/{request_id}").text
    )
    assert _get(app, CallbackRequest, request_id).attempts == 0


def test_in_simulator_mode_nothing_is_dialled(app, fake_twilio, run_jobs):
    simulator = create_app(
        {
            **{
                k: app.config[k]
                for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "TWILIO_API_URL")
            },
            "TESTING": True,
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_AUTH_TOKEN": "",
        }
    )
    client = simulator.test_client()
    request_id = _waiting(app)
    with app.app_context():
        sign_in(client, make_staff("staff", phone=STAFF_PHONE))
    _claim(client, request_id)
    post_form(client, f"/staff/callbacks/{request_id}/call")
    run_jobs()
    assert fake_twilio.calls == []
    assert "Simulator mode: no call was placed" in client.get(f"/staff/callbacks/{request_id}").text
    assert _get(app, CallbackRequest, request_id).attempts == 1
    with simulator.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_refused_call_is_shown_as_failed(app, signed_in, run_jobs, fake_twilio):
    request_id = _waiting(app)
    fake_twilio.fail_next(1, status=400, code=21211)
    _call(app, signed_in, request_id, run_jobs)
    assert "The call could not be placed" in signed_in.get(f"/staff/callbacks/{request_id}").text


# --- the bridge -------------------------------------------------------------------------------


def _bridge(app, post_signed, url, **change):
    path = url.removeprefix(PUBLIC_BASE_URL)
    params = {
        "CallSid": new_sid("CA"),
        "AccountSid": ACCOUNT_SID,
        "From": SERVICE_NUMBER,
        "To": STAFF_PHONE,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
    }
    response = post_signed(path, params)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return ElementTree.fromstring(response.data)


def test_the_bridge_tells_staff_who_it_is_and_dials_the_resident(
    app, signed_in, run_jobs, fake_twilio, post_signed
):
    request_id = _waiting(app, language="pl")
    _call(app, signed_in, request_id, run_jobs)
    root = _bridge(app, post_signed, fake_twilio.calls[0]["Url"])
    said = " ".join(" ".join(s.itertext()) for s in root.iter("Say"))
    assert "Connecting you to Olga Nowak, who asked for a call in Polish." in said
    dial = root.find("Dial")
    assert dial.get("callerId") == SERVICE_NUMBER
    assert dial.find("Number").text == RESIDENT


def test_the_bridge_speaks_the_staff_members_language(
    app, client, run_jobs, fake_twilio, post_signed
):
    with app.app_context():
        sign_in(client, make_staff("staff", phone=STAFF_PHONE, language="nb"))
    request_id = _waiting(app, language="pl")
    _call(app, client, request_id, run_jobs)
    root = _bridge(app, post_signed, fake_twilio.calls[0]["Url"])
    said = " ".join(" ".join(s.itertext()) for s in root.iter("Say"))
    assert "Du kobles til Olga Nowak" in said and "polsk" in said


def test_the_bridge_needs_twilios_signature_and_our_token(
    app, signed_in, run_jobs, fake_twilio, post_signed, client
):
    request_id = _waiting(app)
    _call(app, signed_in, request_id, run_jobs)
    url = fake_twilio.calls[0]["Url"]
    path = url.removeprefix(PUBLIC_BASE_URL)
    assert client.post(path, data={"CallSid": "CA1"}).status_code == 403  # unsigned
    forged = url.replace("token=", "token=00")
    root = _bridge(app, post_signed, forged)
    assert root.find("Dial") is None and root.find("Hangup") is not None


def test_the_bridge_does_not_dial_for_a_closed_request(
    app, signed_in, run_jobs, fake_twilio, post_signed
):
    request_id = _waiting(app)
    _call(app, signed_in, request_id, run_jobs)
    post_form(
        signed_in, f"/staff/callbacks/{request_id}/outcome", {"outcome": "reached", "done": "1"}
    )
    root = _bridge(app, post_signed, fake_twilio.calls[0]["Url"])
    assert root.find("Dial") is None


# --- the outcome ------------------------------------------------------------------------------


def test_reached_and_done_closes_the_request_with_the_note(app, signed_in, run_jobs, fake_twilio):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    response = post_form(
        signed_in,
        f"/staff/callbacks/{request_id}/outcome",
        {"outcome": "reached", "note": "Wants the knitting café", "send_text": "y", "done": "1"},
    )
    assert response.location.endswith("/staff/callbacks")
    request = _get(app, CallbackRequest, request_id)
    assert request.status == "done" and request.outcome == "reached"
    assert request.closed_at is not None and "Wants the knitting café" in request.note
    run_jobs()
    assert fake_twilio.messages == []  # reached: no "we tried" text
    assert "Nobody is waiting" in signed_in.get("/staff/callbacks").text


def test_no_answer_texts_the_resident_once_in_their_language(app, signed_in, run_jobs, fake_twilio):
    request_id = _waiting(app, language="nb")
    _call(app, signed_in, request_id, run_jobs)
    form = {"outcome": "no_answer", "send_text": "y", "done": "1"}
    post_form(signed_in, f"/staff/callbacks/{request_id}/outcome", form)
    post_form(signed_in, f"/staff/callbacks/{request_id}/outcome", form)  # sent twice
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == [
        "Vi prøvde å ringe deg, men nådde deg ikke. Svar RING hvis du fortsatt vil at noen "
        "skal ringe deg."
    ]


def test_no_answer_kept_open_says_we_will_try_again(app, signed_in, run_jobs, fake_twilio):
    request_id = _waiting(app, language="en")
    _call(app, signed_in, request_id, run_jobs)
    post_form(
        signed_in,
        f"/staff/callbacks/{request_id}/outcome",
        {"outcome": "no_answer", "send_text": "y", "done": "0"},
    )
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == [
        "We tried to call you but did not reach you. We will try again later."
    ]
    request = _get(app, CallbackRequest, request_id)
    assert request.status == "claimed" and request.outcome == "no_answer"


def test_no_answer_without_the_tick_sends_nothing(app, signed_in, run_jobs, fake_twilio):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    post_form(
        signed_in, f"/staff/callbacks/{request_id}/outcome", {"outcome": "no_answer", "done": "1"}
    )
    run_jobs()
    assert fake_twilio.messages == []
    assert _get(app, CallbackRequest, request_id).status == "done"


def test_an_outcome_must_be_chosen(app, signed_in):
    request_id = _waiting(app)
    _claim(signed_in, request_id)
    response = post_form(
        signed_in, f"/staff/callbacks/{request_id}/outcome", {"done": "1"}, follow_redirects=True
    )
    assert response.status_code == 200 and "Choose what happened." in response.text
    assert _get(app, CallbackRequest, request_id).status == "claimed"
