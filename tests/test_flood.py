"""A number that floods the service is slowed down; a loop with another machine is
stopped; staff see both; and ordinary people, however they text, are never caught."""

from datetime import timedelta
from itertools import product
from string import ascii_lowercase

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import CallbackRequest, Message, Person
from app.timeutil import utcnow
from tests.conftest import RESIDENT
from tests.staff_helpers import make_staff, sign_in

OTHER = "+4798765432"
BRITISH = "+447700900123"
SLOW_DOWN_NB = "Du har sendt oss mange meldinger på kort tid"
SLOW_DOWN_EN = "You have sent us many messages in a short time"
AUTO_REPLY = "Takk for meldingen! Jeg er på ferie til 2. januar. Saksnummer {n}."
# Answered without side effects, and never the same twice in a row.
KEYWORDS = ["HJELP", "MENY", "AKTIVITETER", "MINE"]


def inbound(phone: str = RESIDENT) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).join(Person).where(Person.phone == phone, Message.direction == "in")
        )
    )


def requests_for(phone: str = RESIDENT) -> list[CallbackRequest]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(CallbackRequest).join(Person).where(Person.phone == phone)
        )
    )


def person(phone: str = RESIDENT) -> Person:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.phone == phone))


def words(count: int) -> list[str]:
    """`count` texts that differ in their letters, not only in a number."""
    return ["hva med " + "".join(p) for p in product(ascii_lowercase, repeat=2)][:count]


def human_pace(phone: str, seconds: float = 20) -> None:
    """Move this number's clock back, as if each text came `seconds` after the last: its
    texts, and the times its row counts them from (services.flood)."""
    found = person(phone)
    for message in inbound(phone):
        message.created_at -= timedelta(seconds=seconds)
    for field in ("last_text_at", "texts_window_at"):
        if getattr(found, field) is not None:
            setattr(found, field, getattr(found, field) - timedelta(seconds=seconds))
    db.session.commit()


# --- flooding -------------------------------------------------------------------------


def test_over_the_limit_texts_are_kept_one_notice_a_minute_and_staff_told(app, ctx, sms):
    limit = app.config["FLOOD_PER_MINUTE"]
    assert limit == 30
    answers = [sms(KEYWORDS[n % len(KEYWORDS)]) for n in range(limit)]
    assert all(len(a) == 1 and a[0] for a in answers)
    assert not any(SLOW_DOWN_NB in a[0] for a in answers)

    [notice] = sms("hallo? svar da")
    assert notice.startswith(SLOW_DOWN_NB) and "ringer deg" in notice
    later = [sms(text) for text in words(5)]
    assert later == [[]] * 5  # kept, not answered
    assert len(inbound()) == limit + 6  # nothing lost

    [request] = requests_for()
    assert (request.reason, request.status) == ("flooding", "open")


def test_a_flood_from_one_number_does_not_touch_another(app, ctx, sms):
    app.config["FLOOD_PER_MINUTE"] = len(KEYWORDS)
    for text in words(8):
        sms(text)
    for keyword in KEYWORDS:
        [answer] = sms(keyword, phone=OTHER)
        assert SLOW_DOWN_NB not in answer
    assert requests_for(OTHER) == []


def test_the_notice_is_in_the_persons_language(app, ctx, sms):
    app.config["FLOOD_PER_MINUTE"] = 2
    db.session.add(Person(phone=BRITISH, language="en"))
    db.session.commit()
    sms("HELP", phone=BRITISH), sms("MENU", phone=BRITISH)
    [notice] = sms("hello", phone=BRITISH)
    assert notice.startswith(SLOW_DOWN_EN)


def test_a_flooder_already_waiting_for_a_call_gets_no_second_request(app, ctx, sms):
    app.config["FLOOD_PER_MINUTE"] = 2
    sms("RING")  # asks for a person: an open request
    for text in words(6):
        sms(text)
    assert [r.reason for r in requests_for()] == ["asked"]


def test_without_redis_the_flood_limit_still_holds_and_nothing_is_lost(app, ctx):
    from tests.conftest import PUBLIC_BASE_URL, sign, twiml_messages

    no_redis = create_app(
        {
            **service_settings_of(app),
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "FLOOD_PER_MINUTE": 2,
        }
    )
    client = no_redis.test_client()
    answers = []
    for n, text in enumerate(words(6)):
        form = {"MessageSid": f"SMnoredis{n}", "From": RESIDENT, "To": "+4759440000",
                "Body": text, "AccountSid": app.config["TWILIO_ACCOUNT_SID"]}  # fmt: skip
        signature = sign(PUBLIC_BASE_URL + "/twilio/sms", form)
        response = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        answers.append(twiml_messages(response.data))
    assert [len(a) for a in answers] == [1, 1, 1, 0, 0, 0]
    assert answers[2][0].startswith(SLOW_DOWN_NB)
    assert len(inbound()) == 6
    assert [r.reason for r in requests_for()] == ["flooding"]
    with no_redis.app_context():
        db.session.remove()
        db.engine.dispose()


def test_twilio_redelivering_an_answered_text_is_not_counted(app, ctx, sms):
    app.config["FLOOD_PER_MINUTE"] = 2
    [first] = sms("MENY", sid="SM" + "1" * 32)
    for _ in range(3):  # the same MessageSid again: answered from the record
        assert sms("MENY", sid="SM" + "1" * 32) == [first]
    [second] = sms("HJELP")
    assert not second.startswith(SLOW_DOWN_NB)
    assert person().texts_in_window == 2


def service_settings_of(app) -> dict:
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
            "TWILIO_FROM_NUMBER", "TWILIO_API_URL", "PUBLIC_BASE_URL", "SECRET_KEY")  # fmt: skip
    return {key: app.config[key] for key in keys}


# --- loops with another machine --------------------------------------------------------


def bot(sms, text: str, phone: str = RESIDENT) -> list[str]:
    """Another machine's answer to ours, a couple of seconds after it (a network round trip)."""
    answer = sms(text, phone=phone)
    human_pace(phone, seconds=2)
    return answer


def test_an_auto_reply_loop_is_stopped_and_staff_told(app, ctx, sms):
    repeats = app.config["LOOP_REPEATS"]
    answers = [bot(sms, AUTO_REPLY.format(n=4711 + n)) for n in range(repeats)]
    assert all(answers[:-1]) and answers[-1] == []  # the fifth echo is not answered
    assert [bot(sms, AUTO_REPLY.format(n=n)) for n in range(3)] == [[]] * 3
    assert len(inbound()) == app.config["LOOP_REPEATS"] + 3
    paused = person().replies_paused_until
    assert paused is not None and paused > utcnow() + timedelta(minutes=55)
    [request] = requests_for()
    assert request.reason == "loop"


def test_a_fast_loop_of_one_keyword_is_stopped_too(app, ctx, sms):
    # Another bot answering our "you are welcome" with "OK", within moments, every time.
    answers = [bot(sms, "OK") for _ in range(app.config["LOOP_REPEATS"])]
    assert all(answers[:-1]) and answers[-1] == []
    assert [r.reason for r in requests_for()] == ["loop"]


def test_replies_come_back_when_the_pause_is_over(app, ctx, sms):
    for n in range(app.config["LOOP_REPEATS"]):
        bot(sms, AUTO_REPLY.format(n=n))
    found = person()
    found.replies_paused_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sms("HJELP")  # a different text, after the pause: answered


def test_a_loop_on_one_number_leaves_others_answered(app, ctx, sms):
    for n in range(app.config["LOOP_REPEATS"]):
        bot(sms, AUTO_REPLY.format(n=n))
    assert person().replies_paused_until is not None
    assert sms(AUTO_REPLY.format(n=1), phone=OTHER)
    assert requests_for(OTHER) == []


# --- ordinary people -------------------------------------------------------------------


def test_someone_reading_the_list_with_more_more_more_is_answered_every_time(app, ctx, sms):
    sms("AKTIVITETER")
    human_pace(RESIDENT)
    for _ in range(8):
        assert sms("MER"), "a person browsing was left unanswered"
        human_pace(RESIDENT)
    assert person().replies_paused_until is None
    assert requests_for() == []


def test_a_burst_of_one_text_within_moments_is_not_a_loop(app, ctx, sms):
    # Closer together than any reply could come back: a burst (the flood limit's concern).
    for _ in range(app.config["LOOP_REPEATS"] + 3):
        assert sms("Jeg vil gjerne bli med på turen")
    assert person().replies_paused_until is None


def test_the_same_question_a_few_times_is_answered(app, ctx, sms):
    for _ in range(app.config["LOOP_REPEATS"] - 1):
        assert bot(sms, "Når er strikkekafeen?")  # even at a machine's pace: too few
    assert person().replies_paused_until is None


def test_the_same_words_now_and_then_are_answered(app, ctx, sms):
    for _ in range(app.config["LOOP_REPEATS"] + 2):
        assert sms("Hei, er det noe i dag?")
        human_pace(RESIDENT, seconds=app.config["LOOP_SECONDS"] + 30)
    assert person().replies_paused_until is None
    assert all(r.reason not in ("loop", "flooding") for r in requests_for())


def test_a_busy_conversation_under_the_limit_is_answered(app, ctx, sms):
    for n in range(app.config["FLOOD_PER_MINUTE"]):
        assert sms(KEYWORDS[n % len(KEYWORDS)]), n
    assert requests_for() == []


# --- staff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, label",
    [("flooding", "Sent very many texts"), ("loop", "Another machine kept answering")],
)
def test_staff_see_why_the_request_was_opened(app, client, reason, label):
    with app.app_context():
        found = Person(phone=RESIDENT, language="nb")
        db.session.add(found)
        db.session.flush()
        db.session.add(CallbackRequest(person_id=found.id, language="nb", reason=reason))
        db.session.commit()
        sign_in(client, make_staff("staff", language="en"))
    assert label in client.get("/staff/callbacks").text
