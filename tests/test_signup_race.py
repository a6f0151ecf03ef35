"""The last free place, wanted by several people at the same moment (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Occurrence, SignUp
from tests import factories

pytestmark = pytest.mark.postgres_only


def race(app, post_signed, code: int, phones: list[str]) -> list[str]:
    """Everyone texts MELD <code> at once, each through the webhook, each in its own thread."""
    from tests.conftest import ACCOUNT_SID, SERVICE_NUMBER
    from tests.fake_twilio import new_sid

    start = threading.Barrier(len(phones))

    def text(phone: str) -> str:
        client = app.test_client()
        params = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": phone,
                  "To": SERVICE_NUMBER, "Body": f"MELD {code}"}  # fmt: skip
        from tests.conftest import PUBLIC_BASE_URL, sign

        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)}
        start.wait()
        return client.post("/twilio/sms", data=params, headers=headers).get_data(as_text=True)

    with ThreadPoolExecutor(len(phones)) as pool:
        return list(pool.map(text, phones))


def counts(app, code: int) -> tuple[int, int, int]:
    with app.app_context():
        occurrence = db.session.scalar(sa.select(Occurrence).where(Occurrence.code == code))
        statuses = list(db.session.scalars(sa.select(SignUp.status)))
        return statuses.count("confirmed"), statuses.count("waiting"), occurrence.booked


def test_two_residents_one_place_exactly_one_gets_it(app, post_signed):
    with app.app_context():
        code = factories.occurrence(capacity=1).code
    for _ in range(5):  # repeated so a lucky ordering cannot hide a lost update
        with app.app_context():
            db.session.execute(sa.delete(SignUp))
            db.session.execute(sa.update(Occurrence).values(booked=0))
            db.session.commit()
        replies = race(app, post_signed, code, ["+4791000001", "+4791000002"])
        assert sum("påmeldt" in r and "venteliste" not in r for r in replies) == 1
        assert counts(app, code) == (1, 1, 1)


def test_many_at_once_fill_exactly_the_places_and_queue_the_rest(app, post_signed):
    with app.app_context():
        code = factories.occurrence(capacity=3).code
    phones = [f"+479100{n:04d}" for n in range(10)]
    race(app, post_signed, code, phones)
    assert counts(app, code) == (3, 7, 3)


def test_one_person_signed_up_twice_at_once_holds_one_place(app):
    """Two sign-ups of one person at the same moment (the service called directly: the
    webhooks already take a person's texts one at a time): one place, not two."""
    from app.models import Person
    from app.services import signups
    from app.services.people import find_or_create
    from app.timeutil import utcnow

    with app.app_context():
        occurrence = factories.occurrence(capacity=5)
        occurrence_id, code = occurrence.id, occurrence.code
        person_id = find_or_create("+4791000009").id
        db.session.commit()

    def join(start: threading.Barrier) -> str:
        with app.app_context():
            person = db.session.get(Person, person_id)
            occurrence = db.session.get(Occurrence, occurrence_id)
            start.wait()
            outcome = signups.join(person, occurrence, utcnow()).outcome
            db.session.commit()
            return outcome

    for _ in range(5):
        with app.app_context():
            db.session.execute(sa.delete(SignUp))
            db.session.execute(sa.update(Occurrence).values(booked=0))
            db.session.commit()
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(join, [threading.Barrier(2)] * 2))
        assert outcomes == ["already", "joined"]
        assert counts(app, code) == (1, 0, 1)
