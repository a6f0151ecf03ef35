"""Ten volunteers say yes at the same moment to a task needing two (PostgreSQL)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.tasks import settle_tasks
from app.models import Message, Task, TaskEvent, TaskOffer
from tests import factories
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, SERVICE_NUMBER, sign
from tests.fake_twilio import new_sid
from tests.task_helpers import COORDINATOR, ask, assert_each_sent_once
from tests.test_tasks import later

pytestmark = pytest.mark.postgres_only
PHONES = [f"+479120{n:04d}" for n in range(10)]


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


def everyone_says_yes(app, code: int) -> list[str]:
    """Each volunteer texts JA <code> through the signed webhook, all in their own thread."""
    start = threading.Barrier(len(PHONES))

    def text(phone: str) -> str:
        client = app.test_client()
        params = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": phone,
                  "To": SERVICE_NUMBER, "Body": f"JA {code}"}  # fmt: skip
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)}
        start.wait()
        response = client.post("/twilio/sms", data=params, headers=headers)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    with ThreadPoolExecutor(len(PHONES)) as pool:
        return list(pool.map(text, PHONES))


def test_ten_yeses_at_once_accept_exactly_two_and_tell_the_coordinator_once(
    app, run_jobs, fake_twilio
):
    with app.app_context():
        people = [factories.volunteer(phone, name=f"V{n}") for n, phone in enumerate(PHONES)]
        task = factories.task(needed=2)
        code, task_id = task.code, task.id
        ask(task, people)
        db.session.remove()
    run_jobs()  # the ten requests

    replies = everyone_says_yes(app, code)

    assert sum("Tusen takk! Du hjelper med" in r for r in replies) == 2
    assert sum("har fått all hjelpen som trengs" in r for r in replies) == 8
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.status, task.accepted, task.needed) == (Task.FILLED, 2, 2)
        offers = Counter(db.session.scalars(sa.select(TaskOffer.status)))
        assert offers == {"accepted": 2, "taken": 8}
        kinds = Counter(db.session.scalars(sa.select(TaskEvent.kind)))
        assert kinds["filled"] == 1 and kinds["accepted"] == 2
        coordinator = factories.coordinator()
        told = db.session.scalars(
            sa.select(Message.kind).where(Message.person_id == coordinator.person_id)
        ).all()
        assert told == ["coord_filled"]
        # Everyone answered, so nobody is left to be told "no longer needed".
        assert settle_tasks(later())["told_not_needed"] == 0
        db.session.remove()
    run_jobs()
    assert len(fake_twilio.bodies_to(COORDINATOR)) == 1
    for phone in PHONES:
        assert len(fake_twilio.bodies_to(phone)) == 1  # the request; answers came as replies
    with app.app_context():
        assert_each_sent_once(fake_twilio)
        db.session.remove()


def test_the_same_volunteer_saying_yes_twice_at_once_takes_one_place(app, run_jobs):
    with app.app_context():
        anne = factories.volunteer(PHONES[0])
        task = factories.task(needed=2)
        code, task_id = task.code, task.id
        ask(task, [anne])
        db.session.remove()
    start = threading.Barrier(5)

    def text(_):
        client = app.test_client()
        params = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": PHONES[0],
                  "To": SERVICE_NUMBER, "Body": f"JA {code}"}  # fmt: skip
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", params)}
        start.wait()
        return client.post("/twilio/sms", data=params, headers=headers).get_data(as_text=True)

    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(text, range(5)))
    assert sum("Tusen takk!" in r for r in replies) == 1
    assert sum("Du hjelper allerede med" in r for r in replies) == 4
    with app.app_context():
        assert db.session.get(Task, task_id).accepted == 1
        db.session.remove()
