"""Redis stopped in the middle of a broadcast and started again, empty: every recipient
still gets exactly one message. Meanwhile the webhooks answer from the database, and
`/healthz` names the part that is down."""

import time
from xml.etree import ElementTree

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Person
from tests import factories
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, RESIDENT, SERVICE_NUMBER, sign
from tests.fake_twilio import new_sid
from tests.faults.conftest import wait_for
from tests.faults.test_worker_killed import RECIPIENTS, TEXT, settled, start_broadcast


@pytest.mark.fault
def test_redis_lost_mid_broadcast_delays_but_never_loses_or_doubles(
    fault_app, processes, fake_twilio, redis_server
):
    phones = start_broadcast(fault_app)
    processes.worker()
    processes.scheduler()
    wait_for(lambda: len(fake_twilio.messages) >= RECIPIENTS // 5, 60, "a fifth to be sent")

    redis_server.stop()  # killed: the queues, the jobs and the rate limits are gone
    sent_before = len(fake_twilio.messages)
    time.sleep(1.5)  # an outage, not a blip: the processes must notice it
    assert len(fake_twilio.messages) < RECIPIENTS, "the broadcast ended before the outage"
    redis_server.start()  # back, and empty

    wait_for(lambda: len(fake_twilio.per_recipient()) == RECIPIENTS, 90, "every recipient")
    wait_for(lambda: settled(fault_app), 30, "every row settled")
    counts = fake_twilio.per_recipient()
    assert sorted(counts) == sorted(phones)
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}
    assert sent_before < RECIPIENTS
    logs = processes.logs()  # the processes' own logs: ids and codes, never numbers or texts
    assert not any(phone in logs for phone in phones) and TEXT not in logs


def signed_post(url: str, path: str, form: dict) -> requests.Response:
    """POST to the running web process as Twilio would: signed for the public URL."""
    signature = sign(PUBLIC_BASE_URL + path, form)
    return requests.post(url + path, data=form, headers={"X-Twilio-Signature": signature},
                         timeout=10)  # fmt: skip


def twiml(response: requests.Response) -> ElementTree.Element:
    assert response.status_code == 200, response.text[:500]
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    return root


@pytest.mark.fault
def test_without_redis_the_webhooks_answer_from_the_database_and_texts_wait(
    fault_app, processes, fake_twilio, redis_server
):
    with fault_app.app_context():
        occurrence = factories.occurrence("Strikkekafé", capacity=5)
        code = occurrence.code
        db.session.add(Person(phone=RESIDENT, language="nb"))
        db.session.commit()
    _, url = processes.web()
    assert requests.get(url + "/healthz", timeout=5).json()["status"] == "ok"

    redis_server.stop()
    health = requests.get(url + "/healthz", timeout=5)
    assert health.status_code == 200  # degraded, not down: keep sending webhooks here
    assert health.json()["status"] == "degraded" and health.json()["redis"] == "down"

    def sms(body: str) -> list[str]:
        form = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": RESIDENT,
                "To": SERVICE_NUMBER, "Body": body}  # fmt: skip
        return [m.text or "" for m in twiml(signed_post(url, "/twilio/sms", form)).iter("Message")]

    [listing] = sms("AKTIVITETER")
    assert "Strikkekafé" in listing
    [joined] = sms(f"AVMELD {code}")  # nothing to cancel yet: a kind answer all the same
    assert not joined.startswith("Beklager, noe gikk galt")

    call = {"CallSid": new_sid("CA"), "AccountSid": ACCOUNT_SID, "From": RESIDENT,
            "To": SERVICE_NUMBER, "CallStatus": "in-progress"}  # fmt: skip
    root = twiml(signed_post(url, "/twilio/voice", call))
    for key in ("1", "1"):  # what is on; sign up for the first
        action = root.find("Gather").get("action").removeprefix(PUBLIC_BASE_URL)
        root = twiml(signed_post(url, action, {**call, "Digits": key}))
    said = " ".join("".join(s.itertext()) for s in root.iter("Say"))
    assert said.startswith("Du er påmeldt Strikkekafé")
    assert all(s.get("language") == "nb-NO" for s in root.iter("Say"))

    with fault_app.app_context():
        db.session.rollback()
        [waiting] = db.session.scalars(
            sa.select(Message).where(Message.direction == "out", Message.status == "queued")
        ).all()  # the texted confirmation, a row in the outbox
    assert fake_twilio.messages == []

    redis_server.start()
    processes.worker()
    processes.scheduler()
    wait_for(lambda: fake_twilio.bodies_to(RESIDENT), 30, "the confirmation to go out")
    wait_for(lambda: settled(fault_app), 30, "every row settled")
    [text] = fake_twilio.bodies_to(RESIDENT)
    assert text.startswith("Du er påmeldt Strikkekafé") and waiting.id
    assert requests.get(url + "/healthz", timeout=5).json()["status"] == "ok"
