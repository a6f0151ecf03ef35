"""The webhook itself: only Twilio may call it, it never acts twice, it never fails loudly."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Person, SignUp
from tests import factories
from tests.conftest import ACCOUNT_SID, RESIDENT, SERVICE_NUMBER
from tests.fake_twilio import new_sid


def form(body="Hei", sid=None, phone=RESIDENT):
    return {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": phone,
            "To": SERVICE_NUMBER, "Body": body}  # fmt: skip


def people_count():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_a_bad_or_missing_signature_is_refused_without_side_effects(ctx, post_signed, signature):
    assert post_signed("/twilio/sms", form(), signature=signature).status_code == 403
    assert people_count() == 0


def test_a_signature_for_other_parameters_is_refused(ctx, client):
    from tests.conftest import PUBLIC_BASE_URL, sign

    signature = sign(PUBLIC_BASE_URL + "/twilio/sms", form(body="Hei"))
    response = client.post("/twilio/sms", data=form(body="STOP"),
                           headers={"X-Twilio-Signature": signature})  # fmt: skip
    assert response.status_code == 403 and people_count() == 0


def test_json_is_refused(ctx, client):
    response = client.post("/twilio/sms", json=form(), headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 415 and people_count() == 0


def test_unknown_extra_parameters_are_accepted(ctx, sms):
    assert sms("Hei", FromCity="OSLO", SomethingNew="1")[0].startswith("Velkommen")


def test_a_repeated_message_sid_acts_once_and_gets_the_same_answer(ctx, sms):
    code = factories.occurrence(capacity=5).code
    sms("Hei"), sms("1")
    first = sms(f"MELD {code}", sid="SMrepeat")
    again = sms(f"MELD {code}", sid="SMrepeat")
    assert first == again and first[0].startswith("Du er påmeldt")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 1
    inbound = db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.twilio_sid == "SMrepeat")
    )
    assert inbound == 1


@pytest.mark.postgres_only
def test_the_same_delivery_twice_at_once_acts_once(app, sms):
    with app.app_context():
        code = factories.occurrence(capacity=5).code
    sms("Hei"), sms("1")
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: sms(f"MELD {code}", sid="SMtwice"), range(4)))
    assert all(r == replies[0] for r in replies if r)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 1


@pytest.mark.parametrize(
    "body",
    ["", "   ", "😀🎉", "x" * 1600, "ظظظ", "ፀፀፀ", "\u202e\u200f", "\x00\x01", "%s{0}{title}"],
)
def test_odd_bodies_get_a_kind_answer(ctx, sms, body):
    sms("Hei"), sms("1")
    [reply] = sms(body)
    assert reply.startswith("Beklager, det forsto vi ikke.")


def test_arabic_indic_digits_work_like_ascii(ctx, sms):
    occurrence = factories.occurrence(capacity=5)
    sms("Hei")
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(occurrence.code))
    assert sms("١")[0].startswith("Vi skriver til deg på Norsk bokmål")
    assert sms(f"meld {arabic}")[0].startswith("Du er påmeldt")


def test_a_sender_that_is_not_a_phone_number_gets_an_empty_answer(ctx, post_signed):
    response = post_signed("/twilio/sms", form(phone="TELENOR"))
    assert response.status_code == 200 and b"<Message>" not in response.data


def test_an_internal_failure_apologises_and_keeps_the_message(ctx, sms, monkeypatch, caplog):
    from app.conversation import actions

    def broken(*args):
        raise RuntimeError(f"injected fault for {RESIDENT}")

    monkeypatch.setitem(actions.ACTIONS, "list_activities", (broken, frozenset()))
    sms("Hei"), sms("1")
    [reply] = sms("AKTIVITETER", sid="SMbroken")
    assert reply.startswith("Beklager, noe gikk galt hos oss.") and "RING" in reply
    assert "SMbroken failed: RuntimeError at" in caplog.text and RESIDENT not in caplog.text
    db.session.expire_all()
    kept = db.session.scalar(sa.select(Message).where(Message.twilio_sid == "SMbroken"))
    assert kept.status == "failed" and kept.body == "AKTIVITETER" and kept.person_id
    monkeypatch.undo()
    # Twilio's redelivery of the same message is answered properly this time.
    assert sms("AKTIVITETER", sid="SMbroken")[0].startswith("Det er ikke planlagt noe")


def test_logs_hold_neither_numbers_nor_bodies(ctx, sms, caplog):
    caplog.set_level("DEBUG")
    sms("Hei hemmelig tekst"), sms("1"), sms("AKTIVITETER hemmelig")
    assert RESIDENT not in caplog.text and RESIDENT[3:] not in caplog.text
    assert "hemmelig" not in caplog.text
