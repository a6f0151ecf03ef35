"""Twilio's webhooks refuse what Twilio would never send, and a replay never acts twice.

Every refusal is checked for having left nothing behind: no person, no message, no
call, no callback request, no sign-up.
"""

import re
from io import BytesIO

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import Call, CallbackRequest, Message, Person, SignUp
from tests import factories
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, RESIDENT, SERVICE_NUMBER, sign
from tests.fake_twilio import new_sid
from tests.staff_helpers import csrf_token, make_staff, sign_in

CALL_SID = "CA" + "1" * 32
PATHS = [
    "/twilio/sms",
    "/twilio/voice",
    "/twilio/voice/step?n=1",
    "/twilio/voice/dial-done?n=2",
    "/twilio/voice/recorded?n=2",
    "/twilio/voice/bridge?request=1&call=1&token=x",
    "/twilio/status",
]


def sms_form(body: str = "MELD 12", sid: str | None = None) -> dict:
    return {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": RESIDENT,
            "To": SERVICE_NUMBER, "Body": body, "CallSid": CALL_SID, "Digits": "1",
            "MessageStatus": "delivered", "CallStatus": "in-progress"}  # fmt: skip


def rows() -> dict[str, int]:
    """How many rows each table a webhook could write to holds now."""
    db.session.expire_all()
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Person, Message, Call, CallbackRequest, SignUp)
    }


NOTHING = {"people": 0, "messages": 0, "calls": 0, "callback_requests": 0, "signups": 0}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "signature",
    [
        None,  # no header at all
        "",
        "bm90IGEgc2lnbmF0dXJl",
        sign(PUBLIC_BASE_URL + "/twilio/elsewhere", sms_form(sid="SMx")),  # another URL
    ],
)
def test_a_missing_or_wrong_signature_is_refused_and_leaves_nothing(ctx, client, path, signature):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post(path, data=sms_form(sid="SMx"), headers=headers)
    assert response.status_code == 403
    assert rows() == NOTHING


@pytest.mark.parametrize("path", PATHS)
def test_a_signature_made_with_another_token_is_refused(ctx, client, path):
    form = sms_form()
    forged = RequestValidator("not-our-token").compute_signature(PUBLIC_BASE_URL + path, form)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403
    assert rows() == NOTHING


@pytest.mark.parametrize("path", PATHS)
def test_a_changed_parameter_breaks_the_signature(ctx, client, path):
    form = sms_form(body="Hei")
    signature = sign(PUBLIC_BASE_URL + path, form)
    response = client.post(
        path, data={**form, "Body": "STOPP"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert rows() == NOTHING


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "kind", ["application/json", "text/plain", "multipart/form-data", "application/xml"]
)
def test_a_body_that_is_not_a_urlencoded_form_is_415_and_leaves_nothing(ctx, client, path, kind):
    form = sms_form()
    # Signed as if it were Twilio's form: the content type alone must be enough to refuse.
    headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, form)}
    if kind == "multipart/form-data":
        response = client.post(path, data={**form, "f": (BytesIO(b"x"), "x.txt")},
                               headers=headers, content_type=kind)  # fmt: skip
    elif kind == "application/json":
        response = client.post(path, json=form, headers=headers)
    else:
        response = client.post(path, data=str(form), headers=headers, content_type=kind)
    assert response.status_code == 415
    assert rows() == NOTHING


@pytest.mark.parametrize("path", PATHS)
def test_an_oversized_body_is_413_before_it_is_read(ctx, client, app, path):
    form = sms_form(body="x" * (app.config["TWILIO_WEBHOOK_MAX_BYTES"] + 1))
    # Correctly signed: size is refused whoever sent it.
    response = client.post(
        path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, form)}
    )
    assert response.status_code == 413
    assert rows() == NOTHING


def test_the_largest_real_sms_is_well_within_the_limit(ctx, sms):
    # 1,600 characters of three-byte UTF-8, percent-encoded: about 14 kB, plus media fields.
    media = {f"MediaUrl{n}": f"https://api.twilio.com/{'m' * 120}/{n}" for n in range(10)}
    [reply] = sms("€" * 1600, NumMedia="10", **media)
    assert reply


def test_a_staff_import_file_larger_than_a_webhook_may_be_is_still_read(app, client):
    """The webhooks' small limit is theirs alone: staff uploads keep IMPORT_MAX_BYTES."""
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    header = "title;starts_at;place;description\n"
    row = "Strikkekafé;2031-12-01 18:00;Biblioteket;{}\n"
    content = header + "".join(row.format("x" * 5000 + str(n)) for n in range(320))
    assert 1_500_000 < len(content.encode()) < app.config["IMPORT_MAX_BYTES"]
    token = csrf_token(client, "/staff/activities/import")
    preview = client.post(
        "/staff/activities/import",
        data={"file": (BytesIO(content.encode()), "big.csv"), "organisation": "Fjordvik",
              "csrf_token": token},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert preview.status_code == 200, preview.status_code
    assert "Preview: nothing is saved yet" in preview.text
    # The preview carries the file back (base64) in a form field: "Import now" must fit too.
    carried = re.search(r'name="content" value="([^"]+)"', preview.text).group(1)
    done = client.post(
        "/staff/activities/import",
        data={"content": carried, "filename": "big.csv", "organisation": "Fjordvik",
              "confirm": "yes", "csrf_token": token},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert done.status_code == 200, done.status_code
    assert "Imported" in done.text


# --- replays: the same signed request again, later --------------------------------------


def test_a_replayed_sms_after_the_conversation_moved_on_does_not_act_again(ctx, sms):
    code = factories.occurrence(capacity=5).code
    sms("Hei"), sms("1")
    joined = sms(f"MELD {code}", sid="SMjoin")
    sms(f"AVMELD {code}")
    replayed = sms(f"MELD {code}", sid="SMjoin")  # captured and posted again, signed
    assert replayed == joined
    db.session.expire_all()
    assert [s.status for s in db.session.scalars(sa.select(SignUp))] == ["cancelled"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.twilio_sid == "SMjoin")
        )
        == 1
    )


def test_replayed_voice_requests_act_once(ctx, voice_call, post_signed):
    factories.occurrence(capacity=5)
    db.session.add(Person(phone=RESIDENT, language="nb"))
    db.session.commit()
    call = voice_call(sid=CALL_SID).press("1").press("1")  # hear the first activity, sign up
    assert call.said.startswith("Du er påmeldt")
    form = {"CallSid": CALL_SID, "AccountSid": ACCOUNT_SID, "From": RESIDENT,
            "To": SERVICE_NUMBER, "CallStatus": "in-progress"}  # fmt: skip
    first = post_signed("/twilio/voice", form)  # the call's first request, again
    step = post_signed("/twilio/voice/step?n=2", {**form, "Digits": "1"})  # "sign me up" again
    assert first.status_code == step.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 1
    assert len(list(db.session.scalars(sa.select(SignUp)))) == 1


def test_a_replayed_status_callback_never_moves_a_status_back(ctx, post_signed):
    person = Person(phone=RESIDENT)
    db.session.add(person)
    db.session.flush()
    sid = "SM" + "b" * 32
    db.session.add(Message(person_id=person.id, direction="out", kind="test", body="Hei",
                           status="sent", twilio_sid=sid))  # fmt: skip
    db.session.commit()
    params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01"}
    sent = {**params, "MessageStatus": "sent"}
    assert post_signed("/twilio/status", sent).status_code == 204
    post_signed("/twilio/status", {**params, "MessageStatus": "delivered"})
    assert post_signed("/twilio/status", sent).status_code == 204  # the old one, replayed
    db.session.expire_all()
    assert db.session.scalar(sa.select(Message.status).where(Message.twilio_sid == sid)) == (
        "delivered"
    )
